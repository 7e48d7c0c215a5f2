r"""HyperSeg: patch-wise hypernetwork for real-time semantic segmentation (Nirkin, Wolf, Hassner, CVPR 2021).

.. math::
    F_1, \dots, F_n = b(I) \;\text{(Eq. 1)}, \quad \phi = h(F_n) \;\text{(Eq. 2)}, \quad
    \theta^{m_i} = w_i(\phi_i) \;\text{(Eq. 3)}, \quad S = d(\{F_i\}, \{P_i\} \mid \{\theta^{m_i}\}) \;\text{(Eq. 4)}

The backbone :math:`b` (an EfficientNet-B1 or ResNet-18, :mod:`graphseg.models`)
gives one map per resolution; the context head :math:`h` turns the last one
into the signal :math:`\phi`; the decoder :math:`d` runs from the coarsest level
to the finest, each level a :class:`~graphseg.nn.hyperseg.MetaBlock` on
``cat(F_i reduced by a 1x1 conv, upsampled previous output, P_i)`` whose
patch-wise weights its own mapper :math:`w_i` generates from its own slice
:math:`\phi_i` of the signal (slices from :func:`divide_channels`; unlike the
released v1.0 code, slice :math:`i` starts where slice :math:`i - 1` ends, so every
channel of :math:`\phi` is used). The patch grid is :math:`\phi`'s pixel grid, so a
level at stride :math:`s` has patches of :math:`s_n / s` pixels.

The S / M / L templates are the paper's Table 5 with the numbers of the
authors' released training configs (``level_channels`` = :math:`c_i`,
``feature_scales`` = :math:`r_i`, ``weight_groups`` = :math:`g_{w_i}`; S and M omit
the finest, full-resolution level; the paper pairs L with EfficientNet-B3, here
it takes any backbone). The paper's ablations are flags: ``grid_size=(1, 1)`` (one weight set
per image), ``positional_encoding=False``, ``dynamic=False`` ("w/o DPWConv":
static convolutions, no context head).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Type, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_image_batch, check_int, check_number
from ..nn.hyperseg import ContextHead, MetaBlock, divide_channels, positional_encoding
from ..nn.hyperseg.fuse import register_bn_pairs
from .registry import create_model, list_models, register_model
from .backbones.resnet import BasicBlock, Bottleneck, ResNet


@dataclass(frozen=True)
class HyperSegConfig:
    r"""A HyperSeg decoder template (Table 5). Per-level tuples run from the coarsest level to the finest.

    Attributes:
        level_channels: :math:`c_i`, output channels of each meta block (``None``: the
            level's reduced feature channels); the finest level outputs the classes.
        feature_scales: :math:`r_i`, channel ratio of the 1x1 reduction of each backbone
            map (coarse to fine; 1 = no reduction). The image level has none.
        weight_groups: :math:`g_{w_i}`, groups of each weight mapper.
        expand_ratio: hidden width ratio of the inverted residual blocks.
        context_levels: levels of the context head's nested U-Net.
        image_level: the input image is the finest decoder level (L); S and M omit it.
        min_dw_patch: meta blocks whose patches are smaller than this (pixels per side)
            are pw1 only (Section 3.2).
    """
    level_channels: Tuple[Optional[int], ...]
    feature_scales: Tuple[float, ...]
    weight_groups: Tuple[int, ...]
    expand_ratio: float = 2.
    context_levels: int = 2
    image_level: bool = False
    min_dw_patch: int = 8

    def __post_init__(self) -> None:  # lengths are checked against the backbone by HyperSeg
        check_number(self.expand_ratio, 'expand_ratio', 0., strict=True)
        check_int(self.context_levels, 'context_levels', 1)


#: HyperSeg-S (Cityscapes / CamVid real-time model)
HYPERSEG_S = HyperSegConfig(level_channels=(32, 16, 8, 8, 8), feature_scales=(0.4, 0.25, 0.2, 1 / 6, 1.),
                            weight_groups=(32, 16, 8, 16, 4))
#: HyperSeg-M
HYPERSEG_M = HyperSegConfig(level_channels=(64, 32, 16, 16, 16), feature_scales=(0.25, 0.25, 0.25, 0.25, 1.),
                            weight_groups=(32, 16, 8, 16, 4))
#: HyperSeg-L (every level, including the full-resolution image level)
HYPERSEG_L = HyperSegConfig(level_channels=(None,) * 6, feature_scales=(0.25,) * 5, weight_groups=(16,) * 6,
                            context_levels=3, image_level=True, min_dw_patch=4)


class ResNetPyramid(nn.Module):
    """A :class:`~graphseg.models.ResNet` seen as 5 maps: the stem (stride 2) and ``layer1..4``.

    Gives ResNet the same stride-2 ... stride-32 pyramid as EfficientNet, so the
    HyperSeg templates apply unchanged; :meth:`forward_head` is the identity.
    """

    def __init__(self, body: ResNet) -> None:
        super().__init__()
        self.body = body
        self.feature_channels = [body.conv1.out_channels] + list(body.feature_channels)
        self.feature_strides = [2] + list(body.feature_strides)
        self.head_channels = self.feature_channels[-1]

    def forward_features(self, x: Tensor) -> List[Tensor]:
        b = self.body
        stem = b.relu(b.bn1(b.conv1(x)))
        feats = [stem]
        y = b.maxpool(stem)
        for layer in (b.layer1, b.layer2, b.layer3, b.layer4):
            y = layer(y)
            feats.append(y)
        return feats

    def forward_head(self, x: Tensor) -> Tensor:
        return x


register_bn_pairs(ResNet, [('conv1', 'bn1')])
register_bn_pairs(BasicBlock, [('conv1', 'bn1'), ('conv2', 'bn2')])
register_bn_pairs(Bottleneck, [('conv1', 'bn1'), ('conv2', 'bn2'), ('conv3', 'bn3')])


def _build_backbone(backbone: Union[str, nn.Module], in_channels: int) -> nn.Module:
    if isinstance(backbone, str):
        known = list_models(task='backbone')
        if backbone not in known:
            raise ValueError(f"backbone must be one of {known} or an nn.Module, got {backbone!r}")
        backbone = create_model(backbone, in_channels=in_channels)
    if isinstance(backbone, ResNet):
        backbone = ResNetPyramid(backbone)
    for attr in ('forward_features', 'forward_head', 'feature_channels', 'feature_strides', 'head_channels'):
        if not hasattr(backbone, attr):
            raise TypeError(f"backbone must provide {attr} (see EfficientNet / ResNetPyramid), "
                            f"got {type(backbone).__name__}")
    return backbone


class HyperSeg(nn.Module):
    r"""HyperSeg: encoder + context head + weight mappers + a decoder of meta blocks (Eq. 1-4).

    Args:
        config (HyperSegConfig): the template (:data:`HYPERSEG_S`, :data:`HYPERSEG_M`, :data:`HYPERSEG_L`).
        num_classes (int): output classes. (default: ``19``)
        backbone (str or nn.Module): a registered model name (``'efficientnet_b1'``,
            ``'resnet18'`` ...) or a module with ``forward_features``, ``forward_head``,
            ``feature_channels``, ``feature_strides`` and ``head_channels``. (default: ``'efficientnet_b1'``)
        in_channels (int): input channels. (default: ``3``)
        grid_size ((int, int), optional): the patch grid; ``None`` = :math:`\phi`'s own
            grid (stride 32), ``(1, 1)`` = one weight set per image (ablation). (default: ``None``)
        positional_encoding (bool): concatenate :math:`P_i` to every level's input. (default: ``True``)
        dynamic (bool): dynamic patch-wise convolutions; ``False`` = "w/o DPWConv". (default: ``True``)
        padding_mode (str): image-border padding of the depthwise convolutions. (default: ``'reflect'``)
        norm_layer: normalisation class of the decoder and heads. (default: :class:`torch.nn.BatchNorm2d`)

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)` with :math:`H, W` divisible by the backbone's
          largest stride (32)
        - **output:** ``{'out': logits (B, num_classes, H, W)}``
    """

    def __init__(self, config: HyperSegConfig, num_classes: int = 19,
                 backbone: Union[str, nn.Module] = 'efficientnet_b1', *, in_channels: int = 3,
                 grid_size: Optional[Tuple[int, int]] = None, positional_encoding: bool = True,
                 dynamic: bool = True, padding_mode: str = 'reflect',
                 norm_layer: Type[nn.Module] = nn.BatchNorm2d) -> None:
        super().__init__()
        if not isinstance(config, HyperSegConfig):
            raise TypeError(f"config must be a HyperSegConfig (e.g. HYPERSEG_S), got {type(config).__name__}")
        check_int(num_classes, 'num_classes', 1)
        check_int(in_channels, 'in_channels', 1)
        self.config, self.num_classes, self.in_channels = config, num_classes, in_channels
        self.use_positional_encoding, self.dynamic = positional_encoding, dynamic
        if grid_size is not None:
            grid_size = (int(grid_size[0]), int(grid_size[1]))
            if min(grid_size) < 1:
                raise ValueError(f"grid_size must be positive, got {grid_size}")
        self.grid_size = grid_size
        self.backbone = _build_backbone(backbone, in_channels)
        chans, strides = list(self.backbone.feature_channels), list(self.backbone.feature_strides)
        n_maps = len(chans)
        n_levels = n_maps + int(config.image_level)
        if len(config.feature_scales) != n_maps:
            raise ValueError(f"config.feature_scales must have one entry per backbone map ({n_maps}), "
                             f"got {len(config.feature_scales)}")
        for name in ('level_channels', 'weight_groups'):
            if len(getattr(config, name)) != n_levels:
                raise ValueError(f"config.{name} must have one entry per decoder level ({n_levels}), "
                                 f"got {len(getattr(config, name))}")
        self.max_stride = strides[-1]

        # 1x1 channel reductions of F_i (coarse -> fine), r_i
        reduce, feat_ch = [], []
        for c, r in zip(chans[::-1], config.feature_scales):
            out = int(round(c * r))
            reduce.append(nn.Identity() if r == 1 else
                          nn.Sequential(nn.Conv2d(c, out, 1, bias=False), norm_layer(out)))
            feat_ch.append(c if r == 1 else out)
        self.reduce = nn.ModuleList(reduce)
        level_strides = strides[::-1] + ([1] if config.image_level else [])
        feat_ch += [in_channels] if config.image_level else []

        # decoder levels: sizes, then signal shares proportional to |theta^{m_i}|
        pe = 2 if positional_encoding else 0
        specs, prev = [], 0
        for i in range(n_levels):
            cin = feat_ch[i] + prev + pe
            cout = num_classes if i == n_levels - 1 else (config.level_channels[i] or feat_ch[i])
            patch = self.max_stride // level_strides[i]
            specs.append((cin, cout, patch < config.min_dw_patch))
            prev = cout
        self.level_strides = level_strides
        if dynamic:
            self.context_head = ContextHead(self.backbone.head_channels, levels=config.context_levels,
                                            norm_layer=norm_layer)
            sizes = [MetaBlock.count_params(cin, cout, config.expand_ratio, pointwise_only=pw)
                     for cin, cout, pw in specs]
            unit = math.lcm(*config.weight_groups)
            shares = divide_channels(self.context_head.out_channels, unit, sizes)
        else:
            self.context_head = None
            shares = [None] * n_levels
        offsets = [0] + list(itertools.accumulate(shares)) if dynamic else [0] * (n_levels + 1)
        self.signal_slices = [(offsets[i], offsets[i + 1]) for i in range(n_levels)]
        self.decoder = nn.ModuleList([
            MetaBlock(cin, cout, share, expand_ratio=config.expand_ratio, pointwise_only=pw,
                      weight_groups=g, padding_mode=padding_mode, dynamic=dynamic, norm_layer=norm_layer)
            for (cin, cout, pw), share, g in zip(specs, shares, config.weight_groups)])

    def forward_signal(self, x: Tensor) -> Tuple[List[Tensor], Optional[Tensor]]:
        r"""Backbone maps :math:`F_i` (fine to coarse) and the signal :math:`\phi` on the patch grid."""
        feats = self.backbone.forward_features(x)
        phi = None
        if self.dynamic:
            phi = self.context_head(self.backbone.forward_head(feats[-1]))  # Eq. 2
            if self.grid_size is not None:
                phi = F.adaptive_avg_pool2d(phi, self.grid_size)
        return feats, phi

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        check_image_batch(x, 'x', self.in_channels, self)
        B, _, H, W = x.shape
        if H % self.max_stride or W % self.max_stride:
            raise ValueError(f"x height and width must be divisible by the backbone stride {self.max_stride}, "
                             f"got {H}x{W}")
        if self.grid_size is not None and ((H // self.max_stride) % self.grid_size[0]
                                           or (W // self.max_stride) % self.grid_size[1]):
            raise ValueError(f"grid_size {self.grid_size} must divide the stride-{self.max_stride} map "
                             f"{H // self.max_stride}x{W // self.max_stride} of a {H}x{W} input")
        feats, phi = self.forward_signal(x)
        levels = [red(f) for red, f in zip(self.reduce, feats[::-1])]  # coarse -> fine
        if self.config.image_level:
            levels.append(x)
        p = None
        for i, (f, block) in enumerate(zip(levels, self.decoder)):
            parts = [f]
            if p is not None:
                parts.append(F.interpolate(p, size=f.shape[-2:], mode='bilinear', align_corners=False))
            if self.use_positional_encoding:
                pe = positional_encoding(f.size(2), f.size(3), device=f.device, dtype=f.dtype)
                parts.append(pe.expand(B, -1, -1, -1))
            signal = None
            if phi is not None:
                a, b = self.signal_slices[i]
                signal = phi[:, a:b]  # phi_i: this block's own slice (Eq. 3)
            p = block(torch.cat(parts, dim=1), signal)
        if p.shape[-2:] != (H, W):
            p = F.interpolate(p, size=(H, W), mode='bilinear', align_corners=False)
        return {'out': p}


@register_model
def hyperseg_s(num_classes: int = 19, backbone: Union[str, nn.Module] = 'efficientnet_b1', **kwargs) -> HyperSeg:
    """HyperSeg-S (Table 5); ``kwargs`` as :class:`HyperSeg` (ablation flags included)."""
    return HyperSeg(HYPERSEG_S, num_classes, backbone, **kwargs)


@register_model
def hyperseg_m(num_classes: int = 19, backbone: Union[str, nn.Module] = 'efficientnet_b1', **kwargs) -> HyperSeg:
    """HyperSeg-M (Table 5)."""
    return HyperSeg(HYPERSEG_M, num_classes, backbone, **kwargs)


@register_model
def hyperseg_l(num_classes: int = 19, backbone: Union[str, nn.Module] = 'efficientnet_b1', **kwargs) -> HyperSeg:
    """HyperSeg-L (Table 5; the paper pairs it with EfficientNet-B3, here any registered backbone)."""
    return HyperSeg(HYPERSEG_L, num_classes, backbone, **kwargs)


__all__ = ['HyperSeg', 'HyperSegConfig', 'HYPERSEG_S', 'HYPERSEG_M', 'HYPERSEG_L', 'ResNetPyramid',
           'hyperseg_s', 'hyperseg_m', 'hyperseg_l']
