"""Backbones and full networks, created by name through a small registry."""
from .registry import create_model, list_models, register_model

__all__ = ['register_model', 'list_models', 'create_model']
from .resnet import BasicBlock, Bottleneck, ResNet, load_pretrained, resnet18, resnet34, resnet50, resnet101

__all__ += ['ResNet', 'BasicBlock', 'Bottleneck', 'resnet18', 'resnet34', 'resnet50', 'resnet101',
            'load_pretrained']
from .qgn import QGN, qgn_resnet18, qgn_resnet34, qgn_resnet50

__all__ += ['QGN', 'qgn_resnet18', 'qgn_resnet34', 'qgn_resnet50']
