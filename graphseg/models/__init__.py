"""Backbones (:mod:`.backbones`) and full networks, one file per family, created by name through a
small registry (:func:`create_model`, :func:`list_models`)."""
from .registry import (ModelInfo, create_model, list_models, model_entrypoint, model_info,
                       model_logits, register_model)

from .backbones import (BasicBlock, Bottleneck, EfficientNet, ResNet, efficientnet_b0,
                        efficientnet_b1, efficientnet_b3, load_pretrained, resnet18, resnet34,
                        resnet50, resnet50_deepstem, resnet101)
from .baselines import ConvBNReLU, DenseFCN, fcn_resnet18, fcn_small, hg_fcn_resnet18, hg_fcn_small
from .hyperseg import (HYPERSEG_CAMVID_L, HYPERSEG_CAMVID_S, HYPERSEG_L, HYPERSEG_M, HYPERSEG_S,
                       HyperSeg, HyperSegConfig, ResNetPyramid, hyperseg_camvid_l,
                       hyperseg_camvid_s, hyperseg_l, hyperseg_m, hyperseg_s)
from .official import load_official
from .qgn import QGN, qgn_resnet34, qgn_resnet50
from .dilated import (DilatedResNet, FCNHead, resnet18_dilated, resnet34_dilated, resnet50_dcn,
                      resnet50_dilated, resnet101_dcn, resnet101_dilated)
from .hgresnet import (GraphBasicBlock, GraphBottleneck, HGResNet, HGStage, hg_resnet18,
                       hg_resnet34, hg_resnet50, hg_resnet50_dcn, hg_resnet101, hg_resnet101_dcn)
from .resunet import (HGResUNet, ResUNet, hg_resunet18, hg_resunet18_attn, hg_resunet50, resunet18,
                      resunet50)
from .rgnet import (nonlocal_resnet18, nonlocal_resnet50, nonlocal_resnet101, rgnet_resnet18,
                    rgnet_resnet50, rgnet_resnet101)

__all__ = [
    'register_model', 'list_models', 'create_model', 'model_logits', 'model_info',
    'model_entrypoint', 'ModelInfo', 'ResNet', 'BasicBlock', 'Bottleneck', 'resnet18', 'resnet34',
    'resnet50', 'resnet101', 'resnet50_deepstem', 'load_pretrained', 'EfficientNet',
    'efficientnet_b0', 'efficientnet_b1', 'efficientnet_b3', 'ConvBNReLU', 'DenseFCN', 'fcn_small',
    'fcn_resnet18', 'hg_fcn_small', 'hg_fcn_resnet18', 'HyperSeg', 'HyperSegConfig', 'HYPERSEG_S',
    'HYPERSEG_M', 'HYPERSEG_L', 'HYPERSEG_CAMVID_S', 'HYPERSEG_CAMVID_L', 'ResNetPyramid',
    'hyperseg_s', 'hyperseg_m', 'hyperseg_l', 'hyperseg_camvid_s', 'hyperseg_camvid_l',
    'load_official', 'QGN', 'qgn_resnet34', 'qgn_resnet50', 'DilatedResNet', 'FCNHead',
    'resnet18_dilated', 'resnet34_dilated', 'resnet50_dilated', 'resnet101_dilated', 'resnet50_dcn',
    'resnet101_dcn', 'HGResNet', 'HGStage', 'GraphBasicBlock', 'GraphBottleneck', 'hg_resnet18',
    'hg_resnet34', 'hg_resnet50', 'hg_resnet101', 'hg_resnet50_dcn', 'hg_resnet101_dcn',
    'rgnet_resnet18', 'rgnet_resnet50', 'rgnet_resnet101', 'nonlocal_resnet18', 'nonlocal_resnet50',
    'nonlocal_resnet101', 'ResUNet', 'HGResUNet', 'resunet18', 'resunet50', 'hg_resunet18',
    'hg_resunet50', 'hg_resunet18_attn',
]
