"""Backbones (:mod:`.backbones`) and full networks, one file per family, created by name through a
small registry (:func:`create_model`, :func:`list_models`)."""
from .registry import (ModelInfo, list_models, model_entrypoint, model_info, model_logits,
                       register_model)

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
from .inference import (InferenceModel, count_batchnorms, fold_batchnorm, fold_bn_into_,
                        keep_cpu_memory, optimize_for_inference)
from .hrnet import (HGHRNetV2, HRNetConfig, HRNetV2, hg_hrnetv2_w18_small_v2, hg_hrnetv2_w48,
                    hrnetv2_w18_small_v1, hrnetv2_w18_small_v2, hrnetv2_w48)
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
    'hg_resunet50', 'hg_resunet18_attn', 'optimize_for_inference', 'keep_cpu_memory',
    'fold_batchnorm', 'fold_bn_into_', 'count_batchnorms', 'InferenceModel',
]
# the networks added for the papers' tables (HRNetV2 / HG-HRNetV2, the road orientation network,
# QGN with a PSPNet module, RGNet with RepGraph layers in the backbone)
from .roads import (HGHourglass, StackHourglassMTL, hg_orientation,  # noqa: E402
                          hg_orientation_plus_attn, orientation, orientation_plus)
from .qgn import (PyramidPooling, qgn_resnet34_psp, qgn_resnet50_psp,  # noqa: E402
                  resnet101_deepstem)
from .rgnet import (insert_repgraph, rgnet_resnet50_1layer, rgnet_resnet50_3layer,  # noqa: E402
                    rgnet_resnet50_5layer, rgnet_resnet50_res2, rgnet_resnet50_res3,
                    rgnet_resnet50_res4, rgnet_resnet50_res5)

__all__ += [
    'HRNetV2', 'HGHRNetV2', 'HRNetConfig', 'hrnetv2_w48', 'hrnetv2_w18_small_v1',
    'hrnetv2_w18_small_v2', 'hg_hrnetv2_w48', 'hg_hrnetv2_w18_small_v2', 'StackHourglassMTL',
    'HGHourglass', 'orientation', 'orientation_plus', 'hg_orientation', 'hg_orientation_plus_attn',
    'PyramidPooling', 'qgn_resnet34_psp', 'qgn_resnet50_psp', 'resnet101_deepstem',
    'insert_repgraph', 'rgnet_resnet50_res2', 'rgnet_resnet50_res3', 'rgnet_resnet50_res4',
    'rgnet_resnet50_res5', 'rgnet_resnet50_1layer', 'rgnet_resnet50_3layer',
    'rgnet_resnet50_5layer',
]
# weights by name: the catalogue, and create_model(..., weights=, backbone_weights=) over the
# registry
from .pretrained import (LoadReport, Weights, create_model, download_weights,  # noqa: E402
                         get_weights, list_weights, load_backbone_weights, load_released_weights)
__all__ += ['Weights', 'LoadReport', 'list_weights', 'get_weights', 'download_weights',
            'load_backbone_weights', 'load_released_weights']
