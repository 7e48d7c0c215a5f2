"""Backbones with torchvision-compatible state_dict keys: ResNet and EfficientNet."""
from .efficientnet import EfficientNet, efficientnet_b0, efficientnet_b1
from .resnet import BasicBlock, Bottleneck, ResNet, load_pretrained, resnet18, resnet34, resnet50, resnet101

__all__ = ['ResNet', 'BasicBlock', 'Bottleneck', 'resnet18', 'resnet34', 'resnet50', 'resnet101',
           'load_pretrained', 'EfficientNet', 'efficientnet_b0', 'efficientnet_b1']
