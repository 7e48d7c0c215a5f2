r"""Dilated ResNets for segmentation: the dense counterparts of HG-ResNet and RGNet, and their -DCN
rows.

``resnet{18,34,50,101}_dilated`` are the baselines every table of the two
papers compares against (HG-Conv, Hamaguchi et al., CVPR 2021, Sec. 4.4 /
Table 8; RepGraph, Yu et al., ECCV 2020, Sec. 4.1): a ResNet with dilation
instead of striding in stages 3-4 (output stride 8, as torchvision's
``replace_stride_with_dilation=(False, True, True)``), a 3x3 Conv-BN-ReLU head
to 512 channels, a 1x1 classifier, and an auxiliary FCN head on the stage-3
map (loss weight 0.4, :class:`~graphseg.engine.TrainConfig`). The backbone
keeps torchvision's ``state_dict`` keys, so
``load_pretrained(model.backbone, 'resnet50-imagenet.pth', strict=False)``
loads an ImageNet checkpoint (``strict=False`` skips the unused ``fc``).

``resnet{50,101}_dcn`` replace every 3x3 convolution of stage 3 by a
deformable one (:class:`~graphseg.nn.DeformConv2dPack`, DCNv1, offsets from a
zero-initialised 3x3 conv), the "-DCN" rows of HG-Conv's Table 8; the
pretrained 3x3 kernels load into them unchanged (the offset convs are new
keys, ``layer3.i.conv2.conv_offset.*``).

:class:`DilatedResNet` also carries an optional ``context`` module between the
head and the classifier; RGNet and its non-local baseline
(:mod:`graphseg.models.rgnet`) are this network with a RepGraph or non-local
block there, and :class:`~graphseg.models.HGResNet` replaces its stage 4.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_image_batch, check_int
from ..nn.deform_conv import DeformConv2dPack
from .backbones.resnet import ResNet, resnet18, resnet34, resnet50, resnet101
from .baselines import ConvBNReLU
from .registry import register_model

#: the classes and helpers; every @register_model factory below is appended by the registry
__all__ = ['DilatedResNet', 'FCNHead', 'dilated_backbone', 'deformable_stage', 'OUTPUT_STRIDE']

#: Output stride of the dilated networks.
OUTPUT_STRIDE = 8


class FCNHead(nn.Sequential):
    """3x3 Conv-BN-ReLU, dropout, 1x1 classifier: the auxiliary head (torchvision's ``FCNHead``)."""

    def __init__(self, in_channels: int, channels: int, num_classes: int,
                 dropout: float = 0.1) -> None:
        check_int(in_channels, 'in_channels', 1)
        check_int(channels, 'channels', 1)
        check_int(num_classes, 'num_classes', 1)
        super().__init__(ConvBNReLU(in_channels, channels, 3), nn.Dropout2d(dropout),
                         nn.Conv2d(channels, num_classes, 1))


def dilated_backbone(name: str, in_channels: int = 3) -> ResNet:
    """A registered ResNet with output stride 8 (dilation 2 in stage 3, 4 in stage 4)."""
    factories = {'resnet18': resnet18, 'resnet34': resnet34, 'resnet50': resnet50,
                 'resnet101': resnet101}
    if name not in factories:
        raise ValueError(f"backbone must be one of {tuple(factories)}, got {name!r}")
    return factories[name](in_channels=in_channels,
                           replace_stride_with_dilation=(False, True, True))


def deformable_stage(layer: nn.Sequential, **kwargs) -> nn.Sequential:
    """Replace every 3x3 ``conv2`` of a ResNet stage by a :class:`~graphseg.nn.DeformConv2dPack`
    with its weights (in place; ``kwargs`` such as ``modulated=True`` go to the pack)."""
    for block in layer:
        block.conv2 = DeformConv2dPack.from_conv2d(block.conv2, **kwargs)
    return layer


def check_backbone(backbone: nn.Module, strides: list, what: str, num_classes: int) -> None:
    """Raise unless ``backbone`` is a graphseg ResNet with feature ``strides`` and ``num_classes``
    an int >= 1."""
    if not isinstance(backbone, ResNet):
        raise TypeError(f"backbone must be a graphseg ResNet, got {type(backbone).__name__}")
    if list(backbone.feature_strides) != strides:
        raise ValueError(f"backbone must have {what}: feature strides {strides}, got "
                         f"{backbone.feature_strides}")
    check_int(num_classes, 'num_classes', 1)


class DilatedResNet(nn.Module):
    r"""Dilated ResNet (output stride 8) + 3x3 Conv-BN-ReLU head + ``context`` + classifier, with an
    aux head.

    .. code-block:: text

        x -> stem, layer1, layer2, layer3 (dilation 2) ------------> aux head (training only)
                                  |
                                  +-> layer4 (dilation 4) -> head (3x3 CBR to 512)
                                      -> context -> classifier

    Args:
        backbone (ResNet): a ResNet with output stride 8 (:func:`dilated_backbone`).
        num_classes (int): :math:`K`.
        head_channels (int): channels of the 3x3 head. (default: ``512``)
        context (nn.Module, optional): module on the head's output, e.g. a
            :class:`~graphseg.nn.RepGraph` (RGNet) or :class:`~graphseg.nn.NonLocal2d`. (default:
            none)
        aux (bool): auxiliary FCN head on the stage-3 map. (default: ``True``)
        aux_channels (int): channels of the auxiliary head. (default: ``256``)
        dropout (float): dropout before the classifiers. (default: ``0.1``)

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`, :math:`H, W \geq 8`
        - **output:** ``{'out': (B, K, H, W)}``, plus ``'aux'`` :math:`(B, K, H, W)` in training
          mode
    """

    def __init__(self, backbone: ResNet, num_classes: int, head_channels: int = 512,
                 context: Optional[nn.Module] = None, aux: bool = True, aux_channels: int = 256,
                 dropout: float = 0.1) -> None:
        super().__init__()
        check_backbone(backbone, [4, 8, 8, 8],
                       'output stride 8 (replace_stride_with_dilation=(False, True, True))',
                       num_classes)
        # classification head unused (load_pretrained skips a checkpoint's fc)
        backbone.fc = nn.Identity()
        self.backbone, self.num_classes = backbone, num_classes
        C3, C4 = backbone.feature_channels[2:]
        self.head = ConvBNReLU(C4, head_channels, 3)
        self.context = context if context is not None else nn.Identity()
        self.classifier = nn.Sequential(nn.Dropout2d(dropout),
                                        nn.Conv2d(head_channels, num_classes, 1))
        self.aux_head = FCNHead(C3, aux_channels, num_classes, dropout) if aux else None

    @property
    def in_channels(self) -> int:
        return self.backbone.conv1.in_channels

    def check_input(self, x: Tensor) -> None:
        """Raise a clear error unless ``x`` is a floating ``(B, C_in, H, W)`` batch with
        ``H, W >= 8``."""
        check_image_batch(x, 'x', self.in_channels, OUTPUT_STRIDE, 'the output stride', module=self)

    def encode(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """The stage-3 and stage-4 maps, both at stride 8."""
        b = self.backbone
        x = b.maxpool(b.relu(b.bn1(b.conv1(x))))
        x3 = b.layer3(b.layer2(b.layer1(x)))
        return x3, b.layer4(x3)

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        self.check_input(x)
        size = x.shape[-2:]
        x3, x4 = self.encode(x)
        out = self.classifier(self.context(self.head(x4)))
        result = {'out': F.interpolate(out, size=size, mode='bilinear', align_corners=False)}
        if self.training and self.aux_head is not None:
            result['aux'] = F.interpolate(self.aux_head(x3), size=size, mode='bilinear',
                                          align_corners=False)
        return result


def _dilated(backbone: str, num_classes: int, in_channels: int, dcn: bool = False,
             **kwargs) -> DilatedResNet:
    body = dilated_backbone(backbone, in_channels)
    if dcn:
        deformable_stage(body.layer3)
    return DilatedResNet(body, num_classes, **kwargs)


@register_model(aux=True)
def resnet18_dilated(num_classes: int = 19, in_channels: int = 3, **kwargs) -> DilatedResNet:
    """Dilated ResNet-18 (output stride 8), 3x3 head, aux head on stage 3: the dense counterpart of
    :func:`hg_resnet18` (HG-Conv Sec. 4.4) and the plain baseline of RGNet (RepGraph Sec. 4.1)."""
    return _dilated('resnet18', num_classes, in_channels, **kwargs)


@register_model(aux=True)
def resnet34_dilated(num_classes: int = 19, in_channels: int = 3, **kwargs) -> DilatedResNet:
    """Dilated ResNet-34 (output stride 8): the dense counterpart of :func:`hg_resnet34`."""
    return _dilated('resnet34', num_classes, in_channels, **kwargs)


@register_model(aux=True)
def resnet50_dilated(num_classes: int = 19, in_channels: int = 3, **kwargs) -> DilatedResNet:
    """Dilated ResNet-50 (output stride 8): the dense counterpart of :func:`hg_resnet50`."""
    return _dilated('resnet50', num_classes, in_channels, **kwargs)


@register_model(aux=True)
def resnet101_dilated(num_classes: int = 19, in_channels: int = 3, **kwargs) -> DilatedResNet:
    """Dilated ResNet-101 (output stride 8): the dense counterpart of :func:`hg_resnet101`."""
    return _dilated('resnet101', num_classes, in_channels, **kwargs)


@register_model(aux=True)
def resnet50_dcn(num_classes: int = 19, in_channels: int = 3, **kwargs) -> DilatedResNet:
    """:func:`resnet50_dilated` with deformable 3x3 convolutions in stage 3 (HG-Conv Table 8's
    "-DCN")."""
    return _dilated('resnet50', num_classes, in_channels, dcn=True, **kwargs)


@register_model(aux=True)
def resnet101_dcn(num_classes: int = 19, in_channels: int = 3, **kwargs) -> DilatedResNet:
    """:func:`resnet101_dilated` with deformable 3x3 convolutions in stage 3 (HG-Conv Table 8:
    ResNet-101-DCN, 1,826 GFLOPs on Cityscapes)."""
    return _dilated('resnet101', num_classes, in_channels, dcn=True, **kwargs)
