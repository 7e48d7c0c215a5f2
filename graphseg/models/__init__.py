"""Backbones and full networks, created by name through a small registry."""
from .registry import create_model, list_models, register_model

__all__ = ['register_model', 'list_models', 'create_model']
from .resnet import BasicBlock, Bottleneck, ResNet, load_pretrained, resnet18, resnet34, resnet50, resnet101

__all__ += ['ResNet', 'BasicBlock', 'Bottleneck', 'resnet18', 'resnet34', 'resnet50', 'resnet101',
            'load_pretrained']
from .baselines import ConvBNReLU, DenseFCN, fcn_resnet18, fcn_small, hg_fcn_resnet18, hg_fcn_small

__all__ += ['ConvBNReLU', 'DenseFCN', 'fcn_small', 'fcn_resnet18', 'hg_fcn_small', 'hg_fcn_resnet18']

from .efficientnet import EfficientNet, efficientnet_b0, efficientnet_b1
from .hyperseg import (HYPERSEG_L, HYPERSEG_M, HYPERSEG_S, HyperSeg, HyperSegConfig, ResNetPyramid, hyperseg_l,
                       hyperseg_m, hyperseg_s)

__all__ += ['EfficientNet', 'efficientnet_b0', 'efficientnet_b1', 'HyperSeg', 'HyperSegConfig', 'HYPERSEG_S',
            'HYPERSEG_M', 'HYPERSEG_L', 'ResNetPyramid', 'hyperseg_s', 'hyperseg_m', 'hyperseg_l']

from .qgn import QGN, qgn_resnet18, qgn_resnet34, qgn_resnet50

__all__ += ['QGN', 'qgn_resnet18', 'qgn_resnet34', 'qgn_resnet50']
