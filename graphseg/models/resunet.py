r"""ResUNet and HG-ResUNet with active focus (Hamaguchi et al., CVPR 2021, Sec. 4.4 and Eq. 11-13).

HG-Conv's road-extraction and salient-object experiments use a U-Net with
residual units (ResUNet) and its HG version:

* ``resunet{18,50}`` -- the dense network: a ResNet encoder (torchvision keys;
  stem at stride 2, stages at 4, 8, 16, 32) and a decoder of 4 residual units
  (:class:`~graphseg.models.BasicBlock` with a 1x1 projection), each on the
  upsampled previous map concatenated with the encoder skip of its stride;
  a 1x1 classifier at stride 2, upsampled to the input.
* ``hg_resunet{18,50}`` -- **HG-Conv on the last encoder block and the first
  decoder block**: the stage-3 map (stride 16) is clustered once; the encoder's
  stage 4 runs on the groups (:class:`~graphseg.models.HGStage`, no striding: the
  groups set the resolution), its output is concatenated with its input and
  refined by a 1x1 Conv-BN-ReLU; the first decoder unit also runs on the groups
  (same graph) and its output is concatenated with its input and refined by a 1x1
  Conv-BN-ReLU. The other decoder units are the dense ones.
* ``hg_resunet18_attn`` -- with **active focus**: an auxiliary head on the
  stage-3 map predicts a coarse segmentation whose attention -- uncertainty
  (Eq. 13) or the object probability (Eq. 12) -- steers the centre sampling
  (Eq. 11), so groups are smaller where the prediction is unsure (or on the
  object). Its logits are returned as ``'aux'`` in training mode (trained with
  the loop's auxiliary loss).

The networks default to a binary output (``num_classes=2``: background and
road / salient object) and take any :math:`K`.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_choice, check_image_batch, check_int, check_number
from ..nn.hgconv import ActiveFocus
from .backbones.resnet import BasicBlock, ResNet, resnet18, resnet50
from .baselines import ConvBNReLU
from .dilated import FCNHead, check_backbone
from .hgresnet import GraphBasicBlock, HGStage
from .registry import register_model

#: the classes and helpers; every @register_model factory below is appended by the registry
__all__ = ['ResUNet', 'HGResUNet', 'residual_unit', 'DECODER_CHANNELS']

#: Channels of the 4 decoder units (strides 16, 8, 4, 2).
DECODER_CHANNELS = (256, 128, 64, 64)


def residual_unit(in_channels: int, out_channels: int) -> BasicBlock:
    """A decoder unit: two 3x3 Conv-BN with a 1x1 Conv-BN projection shortcut (ResUNet's residual
    unit)."""
    proj = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                         nn.BatchNorm2d(out_channels))
    return BasicBlock(in_channels, out_channels, downsample=proj)


def _up(x: Tensor, like: Tensor) -> Tensor:
    return F.interpolate(x, size=like.shape[-2:], mode='bilinear', align_corners=False)


class ResUNet(nn.Module):
    r"""U-Net with a ResNet encoder and residual decoder units (the dense counterpart of
    :class:`HGResUNet`).

    Args:
        backbone (ResNet): encoder with output stride 32 (no dilation).
        num_classes (int): :math:`K`. (default: ``2``)
        decoder_channels (sequence of 4 ints): channels of the decoder units at strides 16, 8, 4, 2.

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`, :math:`H, W \geq` :attr:`output_stride`
        - **output:** ``{'out': (B, K, H, W)}``
    """

    output_stride = 32

    def __init__(self, backbone: ResNet, num_classes: int = 2,
                 decoder_channels: Sequence[int] = DECODER_CHANNELS) -> None:
        super().__init__()
        check_backbone(backbone, [4, 8, 16, 32], 'output stride 32 (no dilation)', num_classes)
        if len(decoder_channels) != 4:
            raise ValueError("decoder_channels must have 4 entries (strides 16, 8, 4, 2), got "
                             f"{decoder_channels!r}")
        backbone.fc = nn.Identity()
        self.backbone, self.num_classes = backbone, num_classes
        skips = [backbone.feature_channels[2], backbone.feature_channels[1],
                 backbone.feature_channels[0],
                 backbone.conv1.out_channels]  # strides 16, 8, 4, 2
        ins = [backbone.feature_channels[3]] + list(decoder_channels[:-1])
        self.decoder = nn.ModuleList(residual_unit(i + s, o) for i, s,
                                     o in zip(ins, skips, decoder_channels))
        self.classifier = nn.Conv2d(decoder_channels[-1], num_classes, 1)

    @property
    def in_channels(self) -> int:
        return self.backbone.conv1.in_channels

    def check_input(self, x: Tensor) -> None:
        """Raise a clear error unless ``x`` is a floating ``(B, C_in, H, W)`` batch at least the
        output stride."""
        check_image_batch(x, 'x', self.in_channels, self.output_stride, 'the output stride',
                          module=self)

    def encode(self, x: Tensor) -> List[Tensor]:
        """Stem (stride 2), stages 1-3 (strides 4, 8, 16)."""
        b = self.backbone
        stem = b.relu(b.bn1(b.conv1(x)))
        x1 = b.layer1(b.maxpool(stem))
        x2 = b.layer2(x1)
        return [stem, x1, x2, b.layer3(x2)]

    def bottom(self, x3: Tensor, skip: Tensor) -> Tuple[Tensor, Dict[str, Tensor]]:
        """Stage 4 and the first decoder unit: the stride-16 decoder map (and extra outputs)."""
        x4 = self.backbone.layer4(x3)
        return self.decoder[0](torch.cat([_up(x4, skip), skip], dim=1)), {}

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        self.check_input(x)
        stem, x1, x2, x3 = self.encode(x)
        d, extra = self.bottom(x3, x3)
        for unit, skip in zip(self.decoder[1:], (x2, x1, stem)):
            d = unit(torch.cat([_up(d, skip), skip], dim=1))
        out = F.interpolate(self.classifier(d), size=x.shape[-2:], mode='bilinear',
                            align_corners=False)
        return {'out': out, **extra}


class HGResUNet(ResUNet):
    r"""HG-ResUNet (`Hamaguchi et al., CVPR 2021 <https://arxiv.org/abs/2104.11176>`_, Sec. 4.4):
    HG-Conv on the last encoder block and the first decoder block, optionally with active focus
    (Eq. 11-13).

    .. code-block:: text

        X3 (stride 16) -- clustering (steered by C_attn of the aux head, active focus) --> groups
        E4 = 1x1 CBR([X3, unpool(layer4's blocks on the groups)])   # last encoder block
        D  = [E4, X3];
        D16 = 1x1 CBR([D, unpool(decoder unit on the groups)])      # first decoder block
        D16 -> dense decoder units at strides 8, 4, 2 -> classifier

    Args:
        backbone (ResNet): encoder with output stride 32; its ``layer4`` becomes an
            :class:`HGStage`.
        num_classes (int): :math:`K`. (default: ``2``)
        ratio (float): groups per stride-16 pixel. (default: ``1/16``: as many groups as HG-ResNet's
            1/64 of its stride-8 map)
        attention (str, optional): active focus, ``'uncertainty'`` (Eq. 13) or ``'object'`` (Eq. 12,
            on ``focus_class``); ``None`` for none. (default: ``None``)
        focus_class (int): the attended class of ``'object'``. (default: ``1``)
        alpha (float): :math:`\alpha` of Eq. 11. (default: ``10``)
        decoder_channels: as :class:`ResUNet`.
        **kwargs: clustering options of :class:`~graphseg.nn.hgconv.HGClustering`.

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`, :math:`H, W \geq 16`
        - **output:** ``{'out': (B, K, H, W)}``; with active focus also ``'aux'`` (the coarse
          prediction, upsampled) in training mode and ``'attention'`` :math:`(B, H/16, W/16)` (the
          map that steered the sampling)
    """

    output_stride = 16

    def __init__(self, backbone: ResNet, num_classes: int = 2, ratio: float = 1 / 16,
                 attention: Optional[str] = None, focus_class: int = 1, alpha: float = 10.,
                 decoder_channels: Sequence[int] = DECODER_CHANNELS, **kwargs) -> None:
        super().__init__(backbone, num_classes, decoder_channels)
        if attention is not None:
            check_choice(attention, 'attention', ('uncertainty', 'object'))
        if attention == 'object':
            check_int(focus_class, 'focus_class', 0, num_classes - 1)
        check_number(alpha, 'alpha', 0.)
        C3, C4 = self.backbone.feature_channels[2:]
        d0 = decoder_channels[0]
        kwargs.update(ratio=ratio, alpha=alpha)
        self.backbone.layer4 = HGStage.from_layer(self.backbone.layer4, **kwargs)
        self.fuse_encoder = ConvBNReLU(C3 + C4, C4, 1)
        self.decoder[0] = HGStage([GraphBasicBlock(C4 + C3, d0, downsample=True)], **kwargs)
        self.fuse_decoder = ConvBNReLU(C4 + C3 + d0, d0, 1)
        self.focus = (
            ActiveFocus(attention, focus_class if attention == 'object' else None)
            if attention
            else None
        )
        self.aux_head = FCNHead(C3, 128, num_classes) if attention else None

    def bottom(self, x3: Tensor, skip: Tensor) -> Tuple[Tensor, Dict[str, Tensor]]:
        extra: Dict[str, Tensor] = {}
        attention = None
        if self.focus is not None:  # Eq. 12 / 13 from the coarse prediction, Eq. 11 in the sampling
            coarse = self.aux_head(x3)
            attention = self.focus(coarse.detach().softmax(1))
            extra['attention'] = attention
            if self.training:
                extra['aux'] = coarse
        # last encoder block on the groups
        u4, graph = self.backbone.layer4(x3, attention, return_graph=True)
        e4 = self.fuse_encoder(torch.cat([x3, u4], dim=1))
        d = torch.cat([e4, skip], dim=1)
        u = self.decoder[0](d, graph=graph)  # first decoder block on the same groups
        return self.fuse_decoder(torch.cat([d, u], dim=1)), extra

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        result = super().forward(x)
        if 'aux' in result:
            result['aux'] = F.interpolate(result['aux'], size=x.shape[-2:], mode='bilinear',
                                          align_corners=False)
        return result


@register_model
def resunet18(num_classes: int = 2, in_channels: int = 3, **kwargs) -> ResUNet:
    """ResUNet on ResNet-18: the dense counterpart of :func:`hg_resunet18` (HG-Conv Sec. 4.4)."""
    return ResUNet(resnet18(in_channels=in_channels), num_classes, **kwargs)


@register_model
def resunet50(num_classes: int = 2, in_channels: int = 3, **kwargs) -> ResUNet:
    """ResUNet on ResNet-50: the dense counterpart of :func:`hg_resunet50`."""
    return ResUNet(resnet50(in_channels=in_channels), num_classes, **kwargs)


@register_model
def hg_resunet18(num_classes: int = 2, in_channels: int = 3, ratio: float = 1 / 16,
                 **kwargs) -> HGResUNet:
    """HG-ResUNet-18: HG-Conv on the last encoder and the first decoder block (HG-Conv Sec. 4.4)."""
    return HGResUNet(resnet18(in_channels=in_channels), num_classes, ratio, **kwargs)


@register_model
def hg_resunet50(num_classes: int = 2, in_channels: int = 3, ratio: float = 1 / 16,
                 **kwargs) -> HGResUNet:
    """HG-ResUNet-50: HG-Conv on the last encoder and the first decoder block."""
    return HGResUNet(resnet50(in_channels=in_channels), num_classes, ratio, **kwargs)


@register_model(aux=True)
def hg_resunet18_attn(num_classes: int = 2, in_channels: int = 3, ratio: float = 1 / 16,
                      attention: str = 'uncertainty', **kwargs) -> HGResUNet:
    """HG-ResUNet-18 with active focus (HG-Conv Eq. 11-13): an auxiliary head's uncertainty (or,
    with ``attention='object'``, its foreground probability) steers the centre sampling."""
    return HGResUNet(resnet18(in_channels=in_channels), num_classes, ratio, attention=attention,
                     **kwargs)
