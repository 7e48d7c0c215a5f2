"""Fully convolutional networks whose head is a stack of 3x3 Conv-BN-ReLU, or HG-Conv in its place.

That head is exactly what HG-Conv replaces (Hamaguchi et al., CVPR 2021,
Section 3): ``fcn_*`` are the dense baselines and ``hg_fcn_*`` the same
networks with :class:`~graphseg.nn.HGConv` as the head.
"""
from __future__ import annotations

from typing import Dict, Optional, Type

import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_image_batch, check_int
from .registry import register_model
from .backbones.resnet import resnet18
from ..nn.hgconv import HGConv

__all__ = ['ConvBNReLU', 'DenseFCN']  # and every @register_model factory below


class ConvBNReLU(nn.Sequential):
    """``Conv2d(k, bias=False) -> norm -> ReLU`` with "same" padding."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 norm_layer: Type[nn.Module] = nn.BatchNorm2d) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, bias=False),
            norm_layer(out_channels),
            nn.ReLU(inplace=True),
        )


class DenseFCN(nn.Module):
    r"""Encoder -> ``num_layers`` x (3x3 Conv-BN-ReLU) head -> 1x1 classifier -> bilinear
    upsampling.

    Args:
        encoder (nn.Module): maps :math:`(B, C_{in}, H, W)` to :math:`(B, C_e, H/s, W/s)`.
        encoder_channels (int): :math:`C_e`.
        num_classes (int): :math:`K`.
        width (int): channels of the head. (default: ``64``)
        num_layers (int): 3x3 Conv-BN-ReLU layers in the head. (default: ``3``)
        head (nn.Module, optional): a head mapping :math:`C_e` to ``width`` channels
            at the same resolution, replacing the Conv-BN-ReLU stack (e.g. HG-Conv).

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`
        - **output:** ``{'out': logits (B, K, H, W)}``
    """

    def __init__(self, encoder: nn.Module, encoder_channels: int, num_classes: int, width: int = 64,
                 num_layers: int = 3, norm_layer: Type[nn.Module] = nn.BatchNorm2d,
                 head: Optional[nn.Module] = None) -> None:
        super().__init__()
        if isinstance(num_layers, int) and num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        for name, v in (('encoder_channels', encoder_channels), ('num_classes', num_classes),
                        ('width', width), ('num_layers', num_layers)):
            check_int(v, name, 1)
        self.encoder = encoder
        self.head = head if head is not None else nn.Sequential(
            *[ConvBNReLU(encoder_channels if i == 0 else width, width, 3, norm_layer=norm_layer)
              for i in range(num_layers)])
        self.classifier = nn.Conv2d(width, num_classes, 1)

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        first = next((m for m in self.encoder.modules() if isinstance(m, nn.Conv2d)), None)
        check_image_batch(x, 'x', first.in_channels if first is not None else None, module=self)
        z = self.head(self.encoder(x))
        return {
            'out': F.interpolate(
                self.classifier(z), size=x.shape[-2:], mode='bilinear', align_corners=False
            )
        }


class _ResNetEncoder(nn.Module):
    """The last feature map of a ResNet (``forward_features(x)[-1]``)."""

    def __init__(self, resnet: nn.Module) -> None:
        super().__init__()
        self.resnet = resnet

    def forward(self, x: Tensor) -> Tensor:
        return self.resnet.forward_features(x)[-1]


def _small_encoder(in_channels: int, width: int) -> nn.Module:
    check_int(in_channels, 'in_channels', 1)
    check_int(width, 'width', 1)
    return nn.Sequential(ConvBNReLU(in_channels, 32, 3, stride=2),
                         ConvBNReLU(32, width, 3, stride=2))


@register_model
def fcn_small(in_channels: int = 3, num_classes: int = 11, width: int = 64,
              num_layers: int = 3) -> DenseFCN:
    """A small FCN for the MNIST-segmentation demo: two stride-2 convs, then the 3x3 head (stride
    4)."""
    return DenseFCN(_small_encoder(in_channels, width), width, num_classes, width, num_layers)


@register_model
def hg_fcn_small(in_channels: int = 3, num_classes: int = 11, width: int = 64, num_layers: int = 3,
                 ratio: float = 1 / 4, conv: str = 'directional', **hgconv_kwargs) -> DenseFCN:
    """:func:`fcn_small` with an HG-Conv head (``ratio`` groups per pixel of the stride-4 map).

    On the 64x64 MNIST-digit canvases (a 16x16 map) one seed of ``graphseg demo``
    (600 steps) gave val mIoU 0.28 / 0.43 / 0.51 at ratio 1/8 / 1/4 / 1/2 against
    0.49 for the dense head: thin strokes need enough groups.
    """
    head = HGConv(width, width, num_layers, ratio=ratio, conv=conv, **hgconv_kwargs)
    return DenseFCN(_small_encoder(in_channels, width), width, num_classes, width, num_layers,
                    head=head)


@register_model
def fcn_resnet18(in_channels: int = 3, num_classes: int = 19, width: int = 256,
                 num_layers: int = 3) -> DenseFCN:
    """FCN on a dilated ResNet-18 (output stride 8) with a 3x3 Conv-BN-ReLU head."""
    backbone = resnet18(in_channels=in_channels, replace_stride_with_dilation=(False, True, True))
    return DenseFCN(_ResNetEncoder(backbone), 512, num_classes, width, num_layers)


@register_model
def hg_fcn_resnet18(in_channels: int = 3, num_classes: int = 19, width: int = 256,
                    num_layers: int = 3, ratio: float = 1 / 64, conv: str = 'directional',
                    **hgconv_kwargs) -> DenseFCN:
    """:func:`fcn_resnet18` with an HG-Conv head, the paper's HG-ResNet setting (ratio 1/64)."""
    backbone = resnet18(in_channels=in_channels, replace_stride_with_dilation=(False, True, True))
    head = HGConv(512, width, num_layers, ratio=ratio, conv=conv, **hgconv_kwargs)
    return DenseFCN(_ResNetEncoder(backbone), 512, num_classes, width, num_layers, head=head)
