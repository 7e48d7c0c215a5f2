"""Backbones (:mod:`.backbones`) and full networks, one file per family, created by name through a small
registry (:func:`create_model`, :func:`list_models`)."""
from .registry import create_model, list_models, register_model

from .backbones import (BasicBlock, Bottleneck, EfficientNet, ResNet, efficientnet_b0, efficientnet_b1, efficientnet_b3,
                        load_pretrained, resnet18, resnet34, resnet50, resnet50_deepstem, resnet101)
from .baselines import ConvBNReLU, DenseFCN, fcn_resnet18, fcn_small, hg_fcn_resnet18, hg_fcn_small
from .hyperseg import (HYPERSEG_CAMVID_L, HYPERSEG_CAMVID_S, HYPERSEG_L, HYPERSEG_M, HYPERSEG_S, HyperSeg,
                       HyperSegConfig, ResNetPyramid, hyperseg_camvid_l, hyperseg_camvid_s, hyperseg_l, hyperseg_m,
                       hyperseg_s)
from .official import load_official
from .qgn import QGN, qgn_resnet34, qgn_resnet50

__all__ = [
    'register_model', 'list_models', 'create_model',
    'ResNet', 'BasicBlock', 'Bottleneck', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet50_deepstem',
    'load_pretrained', 'EfficientNet', 'efficientnet_b0', 'efficientnet_b1', 'efficientnet_b3',
    'ConvBNReLU', 'DenseFCN', 'fcn_small', 'fcn_resnet18', 'hg_fcn_small', 'hg_fcn_resnet18',
    'HyperSeg', 'HyperSegConfig', 'HYPERSEG_S', 'HYPERSEG_M', 'HYPERSEG_L', 'HYPERSEG_CAMVID_S', 'HYPERSEG_CAMVID_L',
    'ResNetPyramid', 'hyperseg_s', 'hyperseg_m', 'hyperseg_l', 'hyperseg_camvid_s', 'hyperseg_camvid_l',
    'load_official',
    'QGN', 'qgn_resnet34', 'qgn_resnet50',
]
