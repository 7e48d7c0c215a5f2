"""Dense baselines: fully convolutional networks whose head is a stack of 3x3 Conv-BN-ReLU.

That head is exactly what HG-Conv replaces (Hamaguchi et al., CVPR 2021,
Section 3), so these are the reference points for the graph layers.
"""
from __future__ import annotations

from typing import Type

import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_floating, check_ndim
from .registry import register_model
from .resnet import resnet18


class ConvBNReLU(nn.Sequential):
    """``Conv2d(k, bias=False) -> norm -> ReLU`` with "same" padding."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 norm_layer: Type[nn.Module] = nn.BatchNorm2d) -> None:
        super().__init__(nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, bias=False),
                         norm_layer(out_channels), nn.ReLU(inplace=True))


class DenseFCN(nn.Module):
    r"""Encoder -> ``num_layers`` x (3x3 Conv-BN-ReLU) head -> 1x1 classifier -> bilinear upsampling.

    Args:
        encoder (nn.Module): maps :math:`(B, C_{in}, H, W)` to :math:`(B, C_e, H/s, W/s)`.
        encoder_channels (int): :math:`C_e`.
        num_classes (int): :math:`K`.
        width (int): channels of the head. (default: ``64``)
        num_layers (int): 3x3 Conv-BN-ReLU layers in the head. (default: ``3``)

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`
        - **output:** logits :math:`(B, K, H, W)`
    """

    def __init__(self, encoder: nn.Module, encoder_channels: int, num_classes: int, width: int = 64,
                 num_layers: int = 3, norm_layer: Type[nn.Module] = nn.BatchNorm2d) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.encoder = encoder
        self.head = nn.Sequential(*[ConvBNReLU(encoder_channels if i == 0 else width, width, 3, norm_layer=norm_layer)
                                    for i in range(num_layers)])
        self.classifier = nn.Conv2d(width, num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        check_ndim(x, 'x', 4, '(B, C, H, W)')
        check_floating(x, 'x')
        z = self.head(self.encoder(x))
        return F.interpolate(self.classifier(z), size=x.shape[-2:], mode='bilinear', align_corners=False)


class _ResNetEncoder(nn.Module):
    """The last feature map of a ResNet (``forward_features(x)[-1]``)."""

    def __init__(self, resnet: nn.Module) -> None:
        super().__init__()
        self.resnet = resnet

    def forward(self, x: Tensor) -> Tensor:
        return self.resnet.forward_features(x)[-1]


@register_model
def fcn_small(in_channels: int = 3, num_classes: int = 11, width: int = 64, num_layers: int = 3) -> DenseFCN:
    """A small FCN for the MNIST-segmentation demo: two stride-2 convs, then the 3x3 head (stride 4)."""
    encoder = nn.Sequential(ConvBNReLU(in_channels, 32, 3, stride=2), ConvBNReLU(32, width, 3, stride=2))
    return DenseFCN(encoder, width, num_classes, width, num_layers)


@register_model
def fcn_resnet18(in_channels: int = 3, num_classes: int = 19, width: int = 256, num_layers: int = 3) -> DenseFCN:
    """FCN on a dilated ResNet-18 (output stride 8) with a 3x3 Conv-BN-ReLU head."""
    backbone = resnet18(in_channels=in_channels, replace_stride_with_dilation=(False, True, True))
    return DenseFCN(_ResNetEncoder(backbone), 512, num_classes, width, num_layers)


__all__ = ['ConvBNReLU', 'DenseFCN', 'fcn_small', 'fcn_resnet18']
