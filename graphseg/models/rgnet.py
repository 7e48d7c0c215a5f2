r"""RGNet (Yu et al., *Representative Graph Neural Network*, ECCV 2020, Sec. 4.1) and its non-local
baseline.

RGNet is the dilated ResNet of :mod:`graphseg.models.dilated` (output stride 8,
auxiliary FCN head on stage 3 with loss weight 0.4) whose 3x3 Conv-BN-ReLU head
reduces stage 4 to 512 channels, followed by **one Bottleneck RepGraph block**
(:class:`~graphseg.nn.RepGraph`, :math:`S = 9` representative nodes per
position) and the classifier. The paper's comparison rows are the same network
with a non-local block (Wang et al., CVPR 2018; :class:`~graphseg.nn.NonLocal2d`,
embedded Gaussian) in its place -- ``nonlocal_resnet*`` -- and without any
block -- the plain backbone baseline, :func:`~graphseg.models.resnet18_dilated` etc.

Both blocks reduce the 512 head channels to ``inter_channels = 256`` before
attending (Bottleneck RepGraph's reduce conv; the non-local block's
:math:`\theta, \phi, g` with reduction 2), so the two differ only in whom each
position attends to: :math:`S = 9` learned samples or all :math:`HW` positions.
Both are the identity at initialisation (last BatchNorm scale zero).
"""
from __future__ import annotations

from ..check import check_int
from ..nn.repgraph import NonLocal2d, RepGraph
from .dilated import DilatedResNet, dilated_backbone
from .registry import register_model

__all__ = ['HEAD_CHANNELS']  # and every @register_model factory below

#: Channels of the 3x3 head that RGNet's block runs on (RepGraph Sec. 4.1).
HEAD_CHANNELS = 512


def _rgnet(backbone: str, num_classes: int, in_channels: int, inter_channels: int, num_samples: int,
           **kwargs) -> DilatedResNet:
    check_int(inter_channels, 'inter_channels', 1)
    check_int(num_samples, 'num_samples', 1)
    block = RepGraph(HEAD_CHANNELS, inter_channels, num_samples, variant='bottleneck')
    return DilatedResNet(dilated_backbone(backbone, in_channels), num_classes, HEAD_CHANNELS,
                         context=block, **kwargs)


def _nonlocal(backbone: str, num_classes: int, in_channels: int, inter_channels: int,
              **kwargs) -> DilatedResNet:
    check_int(inter_channels, 'inter_channels', 1)
    if HEAD_CHANNELS % inter_channels:
        raise ValueError(f"inter_channels must divide the {HEAD_CHANNELS} head channels, got "
                         f"{inter_channels}")
    block = NonLocal2d(HEAD_CHANNELS, reduction=HEAD_CHANNELS // inter_channels)
    return DilatedResNet(dilated_backbone(backbone, in_channels), num_classes, HEAD_CHANNELS,
                         context=block, **kwargs)


@register_model(aux=True)
def rgnet_resnet18(num_classes: int = 19, in_channels: int = 3, inter_channels: int = 256,
                   num_samples: int = 9, **kwargs) -> DilatedResNet:
    """RGNet on a dilated ResNet-18: 3x3 head to 512 channels, one Bottleneck RepGraph block (S =
    9), classifier, aux head on stage 3 (RepGraph Sec. 4.1)."""
    return _rgnet('resnet18', num_classes, in_channels, inter_channels, num_samples, **kwargs)


@register_model(aux=True)
def rgnet_resnet50(num_classes: int = 19, in_channels: int = 3, inter_channels: int = 256,
                   num_samples: int = 9, **kwargs) -> DilatedResNet:
    """RGNet on a dilated ResNet-50 (RepGraph Sec. 4.1)."""
    return _rgnet('resnet50', num_classes, in_channels, inter_channels, num_samples, **kwargs)


@register_model(aux=True)
def rgnet_resnet101(num_classes: int = 19, in_channels: int = 3, inter_channels: int = 256,
                    num_samples: int = 9, **kwargs) -> DilatedResNet:
    """RGNet on a dilated ResNet-101, the paper's main model (RepGraph Sec. 4.1, Tables 4-6)."""
    return _rgnet('resnet101', num_classes, in_channels, inter_channels, num_samples, **kwargs)


@register_model(aux=True)
def nonlocal_resnet18(num_classes: int = 19, in_channels: int = 3, inter_channels: int = 256,
                      **kwargs) -> DilatedResNet:
    """The non-local baseline of RGNet on a dilated ResNet-18: :func:`rgnet_resnet18` with a
    non-local block (embedded Gaussian, :math:`C' = 256`) in place of RepGraph."""
    return _nonlocal('resnet18', num_classes, in_channels, inter_channels, **kwargs)


@register_model(aux=True)
def nonlocal_resnet50(num_classes: int = 19, in_channels: int = 3, inter_channels: int = 256,
                      **kwargs) -> DilatedResNet:
    """The non-local baseline of RGNet on a dilated ResNet-50."""
    return _nonlocal('resnet50', num_classes, in_channels, inter_channels, **kwargs)


@register_model(aux=True)
def nonlocal_resnet101(num_classes: int = 19, in_channels: int = 3, inter_channels: int = 256,
                       **kwargs) -> DilatedResNet:
    """The non-local baseline of RGNet on a dilated ResNet-101 (RepGraph Table 2's comparison)."""
    return _nonlocal('resnet101', num_classes, in_channels, inter_channels, **kwargs)
