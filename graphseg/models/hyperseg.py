r"""HyperSeg: patch-wise hypernetwork for real-time semantic segmentation (Nirkin, Wolf, Hassner,
CVPR 2021).

.. math::
    F_1, \dots, F_n = b(I) \;\text{(Eq. 1)}, \quad \phi = h(F_n) \;\text{(Eq. 2)}, \quad
    \theta^{m_i} = w_i(\phi_i) \;\text{(Eq. 3)}, \quad
    S = d(\{F_i\}, \{P_i\} \mid \{\theta^{m_i}\}) \;\text{(Eq. 4)}

The backbone :math:`b` (an EfficientNet, :mod:`graphseg.models.backbones`) gives one
map per resolution (strides 2 ... 32), each reduced by a 1x1 convolution + BN
(ratio :math:`r_i`); the context head :math:`h` turns the last map into the
signal :math:`\phi`; the decoder :math:`d` runs from the coarsest level to the
finest, each level a :class:`~graphseg.nn.hyperseg.MetaBlock` on
``cat(P_i, F_i, upsampled previous output)`` whose patch-wise weights a weight
mapper :math:`w_i` generates from its slice :math:`\phi_i` of the signal. The
patch grid is :math:`\phi`'s pixel grid, so a level at stride :math:`s` has
patches of :math:`32 / s` pixels.

The templates are the authors' five released models, module for module, with
the released parameter counts (``pretrained=False``, measured with the
authors' code; pinned in ``tests/test_hyperseg_official.py``):

================================  ===================  ===========  ===================
builder                           released config      backbone     parameters
================================  ===================  ===========  ===================
:func:`hyperseg_s` (19 classes)   Cityscapes-S         EffNet-B1    10,041,398
:func:`hyperseg_m` (19)           Cityscapes-M         EffNet-B1    10,311,214
:func:`hyperseg_l` (21)           VOC-L                EffNet-B3    39,680,458
:func:`hyperseg_camvid_s` (12)    CamVid-S             EffNet-B1     9,949,064
:func:`hyperseg_camvid_l` (12)    CamVid-L             EffNet-B1     9,969,104
================================  ===================  ===========  ===================

What the released code does and graphseg does the same way: the EfficientNet with
TensorFlow ``'SAME'`` padding fixed for the variant's image size and BN eps 1e-3
(:class:`~graphseg.models.backbones.EfficientNet` ``tf_padding``), no classifier; the
feature reductions (BN eps 1e-3, momentum 0.01); dropout (0.2 B1, 0.3 B3) on the
head map in training; the context head designs (:class:`~graphseg.nn.hyperseg.ContextHead`);
the signal split (:func:`~graphseg.nn.hyperseg.divide_channels`, rule ``'floor'`` with unit
= the largest weight groups, or ``'legacy'`` for L with weights rounded up to the groups and
unit max(8, groups)); one mapper shared by the last two levels of S (the released
``unify_level``); the meta blocks' halo rule (``'patch'`` for S/M/CamVid, ``'image'`` for L);
ReLU after the 1x1 levels, ReLU6 inside the inverted residuals; the positional encoding
:math:`P` (:func:`~graphseg.nn.hyperseg.positional_encoding`: x then y, prepended); the
decoder input order ``(P_i, F_i, previous)``; the final bilinear upsampling. The released
checkpoints load with :func:`graphseg.models.load_official`.

Deliberate deviations (each an option that restores the released behaviour where it is
a behaviour, not a crash):

* ``signal_slices='cumulative'`` (default): mapper :math:`i` reads the channels right
  after mapper :math:`i - 1`'s, so every channel of :math:`\phi` is used. The released
  v1.0 code (Cityscapes-M, both CamVid models) gives every mapper a slice starting
  at channel 0 (its slice offsets are never accumulated across levels), so 864 of M's
  1,280 signal channels are never read; ``signal_slices='released'`` reproduces it (use
  it with the released M / CamVid checkpoints). For S and L both are the same.
* ``padding_mode='zeros'`` works (zero padding of the depthwise input at the image
  border); in the released v1.0 block it fails.
* Input sizes must be multiples of 32 and are rejected with a clear error otherwise
  (the released patch-wise layers silently mis-tile them); odd-sized maps in the
  context head are upsampled to the skip's size (the released one fails on them);
  the bottom of the context head is always averaged (the released v1.0 head skips the
  average when the bottom map is 1x1 and then fails for ``levels > 1``).
* Not reproduced: test-time flipping (``inference_hflip``, applied by the released
  ``HyperGen`` only to image-pyramid inputs) and the cached positional-encoding buffers
  (``coords_res``; computed on the fly here, dropped by :func:`load_official`).

Ablations (paper Sec. 4.3) are flags: ``grid_size=(1, 1)`` (one weight set per image),
``positional_encoding=False``, ``dynamic=False`` ("w/o DPWConv": static convolutions, no
context head). Other backbones (``'resnet18'`` ...) work through :class:`ResNetPyramid`.
"""
from __future__ import annotations

import itertools
import math
import re
import warnings
from dataclasses import dataclass
from functools import partial
from typing import Any, Dict, List, Optional, Tuple, Type, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_choice, check_image_batch, check_int, check_number
from ..nn.hyperseg import ContextHead, MetaBlock, WeightMapper, divide_channels, positional_encoding
from ..nn.hyperseg.fuse import register_bn_pairs
from .backbones.efficientnet import EfficientNet, lukemelas_key
from .registry import create_model, list_models, register_model
from .backbones.resnet import BasicBlock, Bottleneck, ResNet

#: the classes and helpers; every @register_model factory below is appended by the registry
__all__ = ['HyperSeg', 'HyperSegConfig', 'HYPERSEG_S', 'HYPERSEG_M', 'HYPERSEG_L',
           'HYPERSEG_CAMVID_S', 'HYPERSEG_CAMVID_L', 'RELEASED_EFFICIENTNET', 'SIGNAL_SLICES',
           'ResNetPyramid']

SIGNAL_SLICES = ('cumulative', 'released')


@dataclass(frozen=True)
class HyperSegConfig:
    r"""A HyperSeg template. Per-level tuples run from the coarsest level to the finest.

    Attributes:
        level_channels: :math:`c_i`, output channels of each level (``None``: the level's
            reduced feature channels); the finest level outputs the classes. One entry per
            backbone map, plus one for the input image as the finest level (6 = with it).
        feature_scales: :math:`r_i`, channel ratio of the 1x1 reduction of each backbone
            map (coarse to fine; 1 = no reduction).
        kernel_sizes: per level, 1 = a pointwise level (patch-wise 1x1, BN, ReLU), k > 1 = an
            inverted residual meta block with a kxk depthwise convolution.
        weight_groups: :math:`g_{w_i}`, groups of each level's weight mapper.
        expand_ratio: hidden width ratio of the inverted residual blocks.
        context_levels: levels of the context head's nested U-Net.
        context_half_width: the context head design (:class:`~graphseg.nn.hyperseg.ContextHead`).
        halo: the meta blocks' halo rule (:class:`~graphseg.nn.hyperseg.MetaBlock`).
        shared_mapper_from: levels from this index on share one weight mapper (the released
            ``unify_level - 1``); ``None`` = one mapper per level.
        signal_rule: the :func:`~graphseg.nn.hyperseg.divide_channels` rule.
        released_slices: where the released code starts each mapper's slice of :math:`\phi`:
            ``'cumulative'`` or ``'from_zero'`` (used by ``signal_slices='released'``).
        context_dropout: dropout on the head map before the context head (training only).
    """
    level_channels: Tuple[Optional[int], ...]
    feature_scales: Tuple[float, ...]
    kernel_sizes: Tuple[int, ...]
    weight_groups: Tuple[int, ...]
    expand_ratio: float = 2.
    context_levels: int = 2
    context_half_width: bool = True
    halo: str = 'patch'
    shared_mapper_from: Optional[int] = None
    signal_rule: str = 'floor'
    released_slices: str = 'cumulative'
    context_dropout: float = 0.2

    def __post_init__(self) -> None:  # lengths are checked against the backbone by HyperSeg
        check_number(self.expand_ratio, 'expand_ratio', 0., strict=True)
        check_int(self.context_levels, 'context_levels', 1)


#: Cityscapes HyperSeg-S (released ``cityscapes_efficientnet_b1_hyperseg-s``,
#: ``hyperseg_v1_0_unify``)
HYPERSEG_S = HyperSegConfig(level_channels=(32, 16, 8, 8, 8),
                            feature_scales=(0.4, 0.25, 0.2, 0.166, 1.),
                            kernel_sizes=(1, 1, 1, 3, 3), weight_groups=(32, 16, 8, 16, 4),
                            shared_mapper_from=3)
#: Cityscapes HyperSeg-M (released ``cityscapes_efficientnet_b1_hyperseg-m``, ``hyperseg_v1_0``)
HYPERSEG_M = HyperSegConfig(level_channels=(64, 32, 16, 16, 16),
                            feature_scales=(0.25, 0.25, 0.25, 0.25, 1.),
                            kernel_sizes=(1, 1, 1, 3, 3), weight_groups=(32, 16, 8, 16, 4),
                            released_slices='from_zero')
#: Pascal VOC HyperSeg-L (released ``vocsbd_efficientnet_b3_hyperseg-l``, ``hyperseg_v0_1``; the
#: image is the finest level)
HYPERSEG_L = HyperSegConfig(level_channels=(None,) * 6, feature_scales=(0.25,) * 5,
                            kernel_sizes=(1, 1, 3, 3, 3, 3), weight_groups=(16,) * 6,
                            context_levels=3, context_half_width=False, halo='image',
                            signal_rule='legacy', context_dropout=0.3)
#: CamVid HyperSeg-S (released ``camvid_efficientnet_b1_hyperseg-s``, ``hyperseg_v1_0``)
HYPERSEG_CAMVID_S = HyperSegConfig(level_channels=(64, 32, 16, 16, 16), feature_scales=(0.25,) * 5,
                                   kernel_sizes=(1, 1, 1, 3, 3), weight_groups=(64, 32, 32, 16, 8),
                                   released_slices='from_zero')
#: CamVid HyperSeg-L (released ``camvid_efficientnet_b1_hyperseg-l``, ``hyperseg_v1_0``; the image
#: is the finest level)
HYPERSEG_CAMVID_L = HyperSegConfig(level_channels=(64, 32, 16, 16, 16, 16),
                                   feature_scales=(0.25,) * 5, kernel_sizes=(1, 1, 1, 3, 3, 3),
                                   weight_groups=(64, 32, 32, 16, 8, 8),
                                   released_slices='from_zero')


class ResNetPyramid(nn.Module):
    """A :class:`~graphseg.models.ResNet` seen as 5 maps: the stem (stride 2) and ``layer1..4``.

    Gives ResNet the same stride-2 ... stride-32 pyramid as EfficientNet, so the
    HyperSeg templates apply unchanged; :meth:`forward_head` is the identity. The
    classifier ``fc`` is removed.
    """

    def __init__(self, body: ResNet) -> None:
        super().__init__()
        body.fc = nn.Identity()
        self.body = body
        self.feature_channels = [body.stem_channels] + list(body.feature_channels)
        self.feature_strides = [2] + list(body.feature_strides)
        self.head_channels = self.feature_channels[-1]

    def forward_features(self, x: Tensor) -> List[Tensor]:
        return self.body.forward_pyramid(x)

    def forward_head(self, x: Tensor) -> Tensor:
        return x


register_bn_pairs(ResNet, [('conv1', 'bn1'), ('conv2', 'bn2'), ('conv3', 'bn3')])
register_bn_pairs(BasicBlock, [('conv1', 'bn1'), ('conv2', 'bn2')])
register_bn_pairs(Bottleneck, [('conv1', 'bn1'), ('conv2', 'bn2'), ('conv3', 'bn3')])

#: EfficientNet arguments of the released HyperSeg backbones (lukemelas' EfficientNet-PyTorch)
RELEASED_EFFICIENTNET: Dict[str, Any] = {'tf_padding': True, 'num_classes': 0,
                                         'norm_layer': partial(nn.BatchNorm2d, eps=1e-3,
                                                               momentum=0.01)}


def _build_backbone(backbone: Union[str, nn.Module], in_channels: int,
                    backbone_kwargs: Optional[Dict[str, Any]]) -> nn.Module:
    if isinstance(backbone, str):
        known = list_models(task='backbone')
        if backbone not in known:
            raise ValueError(f"backbone must be one of {known} or an nn.Module, got {backbone!r}")
        kwargs = dict(RELEASED_EFFICIENTNET) if backbone.startswith('efficientnet') else {}
        backbone = create_model(backbone, in_channels=in_channels,
                                **{**kwargs, **(backbone_kwargs or {})})
    if isinstance(backbone, EfficientNet) and backbone.num_classes:
        backbone.reset_classifier(0)  # no classifier inside the backbone
    if isinstance(backbone, ResNet):
        backbone = ResNetPyramid(backbone)
    for attr in ('forward_features', 'forward_head', 'feature_channels', 'feature_strides',
                 'head_channels'):
        if not hasattr(backbone, attr):
            raise TypeError(f"backbone must provide {attr} (see EfficientNet / ResNetPyramid), "
                            f"got {type(backbone).__name__}")
    return backbone


def _reduction_norm(norm_layer: Type[nn.Module], channels: int) -> nn.Module:
    # the released reductions live in the EfficientNet, with its BN settings
    if norm_layer is nn.BatchNorm2d:
        return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)
    return norm_layer(channels)


class HyperSeg(nn.Module):
    r"""HyperSeg: backbone + context head + weight mappers + a decoder of meta blocks (Eq. 1-4).

    Args:
        config (HyperSegConfig): the template (:data:`HYPERSEG_S`, :data:`HYPERSEG_M`,
            :data:`HYPERSEG_L`, :data:`HYPERSEG_CAMVID_S`, :data:`HYPERSEG_CAMVID_L`).
        num_classes (int): output classes. (default: ``19``)
        backbone (str or nn.Module): a registered model name (``'efficientnet_b1'``,
            ``'resnet18'`` ...) or a module with ``forward_features``, ``forward_head``,
            ``feature_channels``, ``feature_strides`` and ``head_channels``. EfficientNets named
            by string are built as released (:data:`RELEASED_EFFICIENTNET`).
            (default: ``'efficientnet_b1'``)
        in_channels (int): input channels. (default: ``3``)
        grid_size ((int, int), optional): the patch grid; ``None`` = :math:`\phi`'s own
            grid (stride 32), ``(1, 1)`` = one weight set per image (ablation). (default: ``None``)
        positional_encoding (bool): concatenate :math:`P_i` to every level's input.
            (default: ``True``)
        dynamic (bool): dynamic patch-wise convolutions; ``False`` = "w/o DPWConv".
            (default: ``True``)
        padding_mode (str): image-border padding of the depthwise convolutions.
            (default: ``'reflect'``)
        signal_slices (str): ``'cumulative'`` (every channel of :math:`\phi` used) or ``'released'``
            (as the released code of this template; see the module docstring).
            (default: ``'cumulative'``)
        norm_layer: normalisation class of the decoder and heads. (default:
            :class:`torch.nn.BatchNorm2d`)
        backbone_kwargs (dict, optional): extra arguments when ``backbone`` is a name.

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)` with :math:`H, W` divisible by the backbone's
          largest stride (32)
        - **output:** ``{'out': logits (B, num_classes, H, W)}``
    """

    def __init__(self, config: HyperSegConfig, num_classes: int = 19,
                 backbone: Union[str, nn.Module] = 'efficientnet_b1', *, in_channels: int = 3,
                 grid_size: Optional[Tuple[int, int]] = None, positional_encoding: bool = True,
                 dynamic: bool = True, padding_mode: str = 'reflect',
                 signal_slices: str = 'cumulative', norm_layer: Type[nn.Module] = nn.BatchNorm2d,
                 backbone_kwargs: Optional[Dict[str, Any]] = None) -> None:
        super().__init__()
        if not isinstance(config, HyperSegConfig):
            raise TypeError("config must be a HyperSegConfig (e.g. HYPERSEG_S), got "
                            f"{type(config).__name__}")
        check_int(num_classes, 'num_classes', 1)
        check_int(in_channels, 'in_channels', 1)
        check_choice(signal_slices, 'signal_slices', SIGNAL_SLICES)
        check_choice(config.released_slices, 'config.released_slices', ('cumulative', 'from_zero'))
        self.config, self.num_classes, self.in_channels = config, num_classes, in_channels
        self.use_positional_encoding, self.dynamic = positional_encoding, dynamic
        self.signal_slices_mode = signal_slices
        if grid_size is not None:
            grid_size = (int(grid_size[0]), int(grid_size[1]))
            if min(grid_size) < 1:
                raise ValueError(f"grid_size must be positive, got {grid_size}")
        self.grid_size = grid_size
        self.backbone = _build_backbone(backbone, in_channels, backbone_kwargs)
        chans, strides = list(self.backbone.feature_channels), list(self.backbone.feature_strides)
        n_maps, n_levels = len(chans), len(config.level_channels)
        if n_levels not in (n_maps, n_maps + 1):
            raise ValueError("config.level_channels must have one entry per backbone map "
                             f"({n_maps}), or one more for the image level, got {n_levels}")
        if len(config.feature_scales) != n_maps:
            raise ValueError("config.feature_scales must have one entry per backbone map "
                             f"({n_maps}), got {len(config.feature_scales)}")
        for name in ('kernel_sizes', 'weight_groups'):
            if len(getattr(config, name)) != n_levels:
                raise ValueError(f"config.{name} must have one entry per decoder level "
                                 f"({n_levels}), got {len(getattr(config, name))}")
        self.image_level = n_levels == n_maps + 1
        self.max_stride = strides[-1]

        # 1x1 channel reductions of F_i (coarse -> fine), r_i
        reduce, feat_ch = [], []
        for c, r in zip(chans[::-1], config.feature_scales):
            out = int(round(c * r))
            reduce.append(nn.Identity() if r == 1 else
                          nn.Sequential(nn.Conv2d(c, out, 1, bias=False),
                                        _reduction_norm(norm_layer, out)))
            feat_ch.append(c if r == 1 else out)
        self.reduce = nn.ModuleList(reduce)
        self.level_strides = strides[::-1] + ([1] if self.image_level else [])
        feat_ch += [in_channels] if self.image_level else []

        # decoder levels (coarse -> fine): P_i, F_i, previous output
        pe = 2 if positional_encoding else 0
        specs, prev = [], 0
        for i in range(n_levels):
            cin = pe + feat_ch[i] + prev
            cout = num_classes if i == n_levels - 1 else (config.level_channels[i] or feat_ch[i])
            specs.append((cin, cout, config.kernel_sizes[i]))
            prev = cout
        sizes = [
            MetaBlock.count_params(cin, cout, config.expand_ratio, max(k, 1), pointwise_only=k == 1)
            for cin, cout, k in specs
        ]
        u = config.shared_mapper_from if config.shared_mapper_from is not None else n_levels
        if not 0 < u <= n_levels:
            raise ValueError(f"config.shared_mapper_from must lie in [1, {n_levels - 1}], got {u}")
        # one weight mapper per level before u, one shared by levels u.. (the released unify_level)
        mapper_sizes = sizes[:u] + ([sum(sizes[u:])] if u < n_levels else [])
        mapper_groups = list(config.weight_groups[:len(mapper_sizes)])
        self.context_dropout = nn.Dropout(config.context_dropout) if dynamic else None
        if dynamic:
            self.context_head = ContextHead(self.backbone.head_channels, config.context_levels,
                                            config.context_half_width, norm_layer=norm_layer)
            # released v0.1: sizes rounded up to the groups, unit >= 8
            if config.signal_rule == 'legacy':
                weights = [math.ceil(s / g) * g for s, g in zip(mapper_sizes, mapper_groups)]
                unit = max(8, max(config.weight_groups))
            else:
                weights, unit = mapper_sizes, max(config.weight_groups)
            shares = divide_channels(self.context_head.out_channels, unit, weights,
                                     config.signal_rule)
            cumulative = signal_slices == 'cumulative' or config.released_slices == 'cumulative'
            starts = (
                list(itertools.accumulate([0] + shares[:-1])) if cumulative else [0] * len(shares)
            )
            mapper_slices = [(a, a + s) for a, s in zip(starts, shares)]
        else:
            self.context_head, shares, mapper_slices = (
                None,
                [None] * len(mapper_sizes),
                [(0, 0)] * len(mapper_sizes),
            )
        #: per level, the channels of phi its weights are generated from
        self.signal_slices = [mapper_slices[min(i, u)] for i in range(n_levels)]
        self.shared_from = u
        self.decoder = nn.ModuleList([
            MetaBlock(cin, cout, shares[i] if i < u else None, expand_ratio=config.expand_ratio,
                      kernel_size=max(k, 1), pointwise_only=k == 1,
                      weight_groups=config.weight_groups[i], padding_mode=padding_mode,
                      halo=config.halo, dynamic=dynamic, own_mapper=i < u, norm_layer=norm_layer,
                      act_layer=nn.ReLU if k == 1 else nn.ReLU6)
            for i, (cin, cout, k) in enumerate(specs)])
        self.shared_weight_mapper = (WeightMapper(shares[u], mapper_sizes[u], mapper_groups[u])
                                     if dynamic and u < n_levels else None)

    def forward_signal(self, x: Tensor) -> Tuple[List[Tensor], Optional[Tensor]]:
        r"""Backbone maps :math:`F_i` (fine to coarse) and the signal :math:`\phi` on the patch
        grid."""
        feats = self.backbone.forward_features(x)
        phi = None
        if self.dynamic:
            # Eq. 2
            phi = self.context_head(self.context_dropout(self.backbone.forward_head(feats[-1])))
            if self.grid_size is not None:
                phi = F.adaptive_avg_pool2d(phi, self.grid_size)
        return feats, phi

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        check_image_batch(x, 'x', self.in_channels, module=self)
        B, _, H, W = x.shape
        if H % self.max_stride or W % self.max_stride:
            raise ValueError("x height and width must be divisible by the backbone stride "
                             f"{self.max_stride}, got {H}x{W}")
        if self.grid_size is not None and ((H // self.max_stride) % self.grid_size[0]
                                           or (W // self.max_stride) % self.grid_size[1]):
            raise ValueError(f"grid_size {self.grid_size} must divide the "
                             f"stride-{self.max_stride} map "
                             f"{H // self.max_stride}x{W // self.max_stride} of a {H}x{W} input")
        feats, phi = self.forward_signal(x)
        levels = [red(f) for red, f in zip(self.reduce, feats[::-1])]  # coarse -> fine
        if self.image_level:
            levels.append(x)
        p, shared = None, None
        for i, (f, block) in enumerate(zip(levels, self.decoder)):
            parts = []
            if self.use_positional_encoding:
                pe = positional_encoding(f.size(2), f.size(3), device=f.device, dtype=f.dtype)
                parts.append(pe.expand(B, -1, -1, -1))
            parts.append(f)
            if p is not None:
                parts.append(
                    F.interpolate(p, size=f.shape[-2:], mode='bilinear', align_corners=False)
                )
            inp = torch.cat(parts, dim=1)  # (P_i, F_i, previous), the released order
            if phi is None:
                p = block(inp)
                continue
            a, b = self.signal_slices[i]
            if i < self.shared_from:
                p = block(inp, phi[:, a:b])  # Eq. 3 with this level's own mapper
            else:
                if shared is None:  # one mapper generates the weights of every remaining level
                    shared = self.shared_weight_mapper(phi[:, a:b]).split(
                        [blk.num_params for blk in self.decoder[self.shared_from:]], dim=1)
                p = block(inp, theta=shared[i - self.shared_from])
        if p.shape[-2:] != (H, W):
            p = F.interpolate(p, size=(H, W), mode='bilinear', align_corners=False)
        return {'out': p}

    def fuse_bn_(self) -> None:
        """Fold the BatchNorms of the blocks that share a weight mapper into it (see
        :func:`fuse_bn`)."""
        offset = 0
        for block in self.decoder[self.shared_from:]:
            if self.shared_weight_mapper is not None:
                block.fuse_bn_(self.shared_weight_mapper, offset)
            offset += block.num_params


@register_model(input_divisor=32, min_input_size=64)
def hyperseg_s(num_classes: int = 19, backbone: Union[str, nn.Module] = 'efficientnet_b1',
               **kwargs) -> HyperSeg:
    """Cityscapes HyperSeg-S as released (10,041,398 parameters); ``kwargs`` as
    :class:`HyperSeg`."""
    return HyperSeg(HYPERSEG_S, num_classes, backbone, **kwargs)


@register_model(input_divisor=32, min_input_size=64)
def hyperseg_m(num_classes: int = 19, backbone: Union[str, nn.Module] = 'efficientnet_b1',
               **kwargs) -> HyperSeg:
    """Cityscapes HyperSeg-M as released (10,311,214 parameters); pass ``signal_slices='released'``
    to run the released checkpoint exactly."""
    return HyperSeg(HYPERSEG_M, num_classes, backbone, **kwargs)


@register_model(input_divisor=32, min_input_size=128)
def hyperseg_l(num_classes: int = 21, backbone: Union[str, nn.Module] = 'efficientnet_b3',
               **kwargs) -> HyperSeg:
    """Pascal VOC HyperSeg-L as released, with EfficientNet-B3 (39,680,458 parameters)."""
    return HyperSeg(HYPERSEG_L, num_classes, backbone, **kwargs)


@register_model(input_divisor=32, min_input_size=64)
def hyperseg_camvid_s(num_classes: int = 12, backbone: Union[str, nn.Module] = 'efficientnet_b1',
                      **kwargs) -> HyperSeg:
    """CamVid HyperSeg-S as released (9,949,064 parameters; 12 classes incl. void);
    ``signal_slices='released'`` runs the released checkpoint exactly."""
    return HyperSeg(HYPERSEG_CAMVID_S, num_classes, backbone, **kwargs)


@register_model(input_divisor=32, min_input_size=64)
def hyperseg_camvid_l(num_classes: int = 12, backbone: Union[str, nn.Module] = 'efficientnet_b1',
                      **kwargs) -> HyperSeg:
    """CamVid HyperSeg-L as released (9,969,104 parameters; the image is the finest level);
    ``signal_slices='released'`` runs the released checkpoint exactly."""
    return HyperSeg(HYPERSEG_CAMVID_L, num_classes, backbone, **kwargs)


# --- the released checkpoints
# --------------------------------------------------------------------------

def _hyperseg_key(key: str, model: nn.Module) -> Optional[str]:
    """A released HyperSeg key -> graphseg key; ``None`` = derived data graphseg does not store."""
    n_levels = len(model.decoder)
    if key.startswith('decoder.coord'):
        return None  # cached positional encodings
    if key.startswith('backbone._feat_fc_'):
        i, rest = re.match(r'backbone\._feat_fc_(\d+)\.(.+)$', key).groups()
        return f'reduce.{len(model.reduce) - 1 - int(i)}.{rest}'
    if key.startswith('backbone.'):
        if not isinstance(model.backbone, EfficientNet):
            raise KeyError(key)
        return 'backbone.' + lukemelas_key(key[len('backbone.'):], model.backbone)
    for pat, rep in ((r'weight_mapper\.in_conv\.(.+)$', r'context_head.reduce.\1'),
                     (r'weight_mapper\.down_blocks\.(\d+)\.(.+)$', r'context_head.down.\1.\2'),
                     (r'weight_mapper\.up_blocks\.(\d+)\.(.+)$', r'context_head.up.\1.\2'),
                     (r'weight_mapper\.down_(\d+)\.(.+)$', r'context_head.down.\1.\2'),
                     (r'weight_mapper\.flat_(\d+)\.(.+)$', r'context_head.up.\1.\2'),
                     (r'weight_mapper\.out_conv\.conv_(\d+)\.weight$',
                      r'decoder.\1.weight_mapper.weight'),
                     # v1.0: a 1x1 level is MetaSequential(MetaSequential(conv, BN, ReLU)), else the
                     # fused block
                     (r'decoder\.(?:level_|level_blocks\.)(\d+)\.0\.0\.signal2weights\.weight$',
                      r'decoder.\1.weight_mapper.weight'),
                     (r'decoder\.(?:level_|level_blocks\.)(\d+)\.0\.1\.(.+)$',
                      r'decoder.\1.bn1.\2'),
                     (r'decoder\.level_(\d+)\.0\.signal2weights\.weight$',
                      r'decoder.\1.weight_mapper.weight'),
                     (r'decoder\.(?:level_|level_blocks\.)(\d+)\.0\.(bn[123])\.(.+)$',
                      r'decoder.\1.\2.\3'),
                     # v0.1: the inverted residual is conv = MetaSequential(pw, dw, pw-linear), each
                     # (conv, BN, act)
                     (r'decoder\.level_(\d+)\.0\.conv\.0\.1\.(.+)$', r'decoder.\1.bn1.\2'),
                     (r'decoder\.level_(\d+)\.0\.conv\.1\.1\.(.+)$', r'decoder.\1.bn2.\2'),
                     (r'decoder\.level_(\d+)\.0\.conv\.2\.1\.(.+)$', r'decoder.\1.bn3.\2')):
        if re.match(pat, key):
            return re.sub(pat, rep, key)
    m = re.match(r'decoder\.weight_blocks\.(\d+)\.signal2weights\.weight$', key)
    if m:  # v1.0 unify: one mapper per level before the shared one
        j = int(m.group(1))
        if j < model.shared_from:
            return f'decoder.{j}.weight_mapper.weight'
        if j == model.shared_from and model.shared_from < n_levels:
            return 'shared_weight_mapper.weight'
    raise KeyError(key)


def convert_official(model: 'HyperSeg', state: Optional[Dict[str, Tensor]], arch: str = '',
                     encoder: Optional[Dict[str, Tensor]] = None):
    """A state dict of the released HyperSeg code (YuvalNirkin/hyperseg) in graphseg's keys, for
    :func:`~graphseg.models.load_official`: returns the converted state dict, the checkpoint keys
    with no place, and a predicate for the model keys the checkpoint may leave out.

    The released names: the backbone's are lukemelas' EfficientNet-PyTorch (:func:`lukemelas_key`),
    its feature reductions ``_feat_fc_{i}`` -> ``reduce.{4 - i}``; the context head (the released
    ``weight_mapper``): ``in_conv`` -> ``reduce``, ``down_blocks.{j}`` / ``down_{j}`` ->
    ``down.{j}``, ``up_blocks.{j}`` / ``flat_{j}`` -> ``up.{j}``; the weight mappers
    ``decoder.level_{i}...signal2weights`` (v1.0), ``decoder.weight_blocks.{j}.signal2weights``
    (v1.0 unify; the last one is the shared mapper), ``weight_mapper.out_conv.conv_{i}`` (v0.1) ->
    ``decoder.{i}.weight_mapper`` / ``shared_weight_mapper``; decoder BatchNorms ->
    ``decoder.{i}.bn{1,2,3}``; the cached positional encodings ``decoder.coord{H}_{W}`` are dropped
    (computed on the fly here).
    """
    if encoder is not None:
        raise ValueError("encoder is for QGN checkpoints; a HyperSeg checkpoint holds the whole "
                         "model")
    if state is None:
        raise ValueError("checkpoint may be None only to load a QGN encoder alone (encoder=...)")
    if 'hyperseg_v1_0.' in arch and model.signal_slices_mode == 'cumulative' \
            and model.config.released_slices == 'from_zero':
        warnings.warn("this checkpoint was trained by the released hyperseg_v1_0 code, whose "
                      "weight mappers all read the signal from channel 0; build the model with "
                      "signal_slices='released' to reproduce its outputs", stacklevel=3)
    converted, unknown = {}, []
    for k, v in state.items():
        try:
            nk = _hyperseg_key(k, model)
        except KeyError:
            unknown.append(k)
            continue
        if nk is not None:
            converted[nk] = v
    return converted, unknown, lambda key: False
