"""Backbones with torchvision-compatible state_dict keys: ResNet and EfficientNet."""
from .efficientnet import (Conv2dStaticSame, EfficientNet, efficientnet_b0, efficientnet_b1,
                           efficientnet_b3)
from .resnet import (BasicBlock, Bottleneck, ResNet, load_pretrained, resnet18, resnet34, resnet50,
                     resnet50_deepstem, resnet101)

__all__ = ['ResNet', 'BasicBlock', 'Bottleneck', 'resnet18', 'resnet34', 'resnet50', 'resnet101',
           'resnet50_deepstem', 'load_pretrained', 'EfficientNet', 'Conv2dStaticSame',
           'efficientnet_b0', 'efficientnet_b1', 'efficientnet_b3']
