"""Backbones and full networks, created by name through a small registry."""
from .registry import create_model, list_models, register_model

__all__ = ['register_model', 'list_models', 'create_model']
from .resnet import BasicBlock, Bottleneck, ResNet, load_pretrained, resnet18, resnet34, resnet50, resnet101

__all__ += ['ResNet', 'BasicBlock', 'Bottleneck', 'resnet18', 'resnet34', 'resnet50', 'resnet101',
            'load_pretrained']
from .baselines import ConvBNReLU, DenseFCN, fcn_resnet18, fcn_small, hg_fcn_resnet18, hg_fcn_small

__all__ += ['ConvBNReLU', 'DenseFCN', 'fcn_small', 'fcn_resnet18', 'hg_fcn_small', 'hg_fcn_resnet18']
