r"""The QGN decoder: a transposed ResNet of submanifold sparse blocks that generates a quadtree.

Quadtree Generating Networks (Chitta, Alvarez, Hebert, WACV 2020). Level ``l``
of the output quadtree has stride :math:`2^l`. The decoder predicts, level by
level from the top, a :math:`(k + 1)`-way distribution :math:`\hat Q_l` (the
:math:`k` classes and *composite*) at its **active sites** :math:`A_l`; only the
children of the cells selected as composite, :math:`C_l \subseteq A_l`, are
decoded one level further (:math:`A_{l-1} = \mathrm{children}(C_l)`), so the
cost follows the class boundaries instead of the pixel count.

Propagation schemes (which cells of :math:`A_l` form :math:`C_l`):

* ``'all'`` -- every active site (a dense decoder, computed sparsely);
* ``'gt'`` -- the cells whose ground-truth T-pyramid value is composite
  (training; the official code's default);
* ``'predicted'`` -- the cells whose arg-max prediction is composite (inference);
* ``min_level`` -- no propagation below that level (the anytime budget).

Decoder layout (QGN Table 7; the official ``resnet34_transpose_sparse``, encoder
maps at strides 2 ... 32, ``top = 5``)::

    level  input                       layers                                            output
    5      encoder map (stride 32)     head: 1x1 -> k+1                                  Q5, all A5
    5      C5 = select(A5)             skip: 1x1 -> w0, BN, ReLU
                                       (blocks[0] - 1) x block(w0) + up-block(w0 -> w1)  feats on A4
    4      A4 = children(C5)           head: 1x1 -> k+1                                  Q4
    4      C4 = select(A4)             + skip(encoder map, stride 16): 1x1 -> w1, BN, ReLU
                                       (blocks[1] - 1) x block(w1) + up-block(w1 -> w2)  feats on A3
    3, 2   ... the same with the stride-8 and -4 maps, widths w2 -> w3, w3 -> w4     Q3, Q2
    1      C1 = select(A1)             + skip(stride-2 map, the official skip0); head Q1;
                                       final_blocks x block(w4)
    0      A0 = children(C1)           2x2 transposed conv, stride 2 -> k+1              Q0

A *block* is a transposed ResNet basic block (the official "ResNet-34" decoder,
``block='basic'``, widths 512-256-128-64-64) or bottleneck block (the official
"ResNet-50" decoder, ``block='bottleneck'``, widths 2048-1024-512-256-256, inner
widths a quarter); see :mod:`graphseg.nn.qgn.blocks`.

Released variants and defaults, and where graphseg differs:

* ``skips='all'`` is the official ``QGN_resnet34`` / ``QGN_resnet50``; ``skips='top'`` the
  official ``..._noskip`` (the Cityscapes setting): only the top level reads the encoder.
  The released noskip decoder computes the composite masks of the lower levels but
  applies them only to the skip inputs it does not use, so below the top it decodes every
  child of every active site; graphseg does the same (``selected`` still records the
  scheme's composite cells, which the inference uses).
* ``defaults='official'`` (default): SparseConvNet's BatchNorm (eps 1e-4, momentum 0.01 in
  PyTorch's convention) on the sparse decoder, the synchronized BatchNorm of the released
  dense decoder (eps 1e-5, momentum 0.001), and the released initialisation: Kaiming-normal
  convolutions with the fan-in of the *released* weight layouts (a SparseConvNet
  submanifold weight :math:`(9, 1, C_{in}, C_{out})` has fan-in :math:`C_{in} C_{out}`:
  std 0.00276 at 512 -> 512, against 0.0208 from ``nn.Conv2d``'s layout), per-site 1x1
  maps :math:`\mathcal{N}(0, 2 / C_{in})` with zero bias (SparseConvNet's own), BatchNorm
  weight 1 and bias 1e-4. ``defaults='pytorch'``: BatchNorm 1e-5 / 0.1 and every layer's
  PyTorch initialisation.
* The dense decoder (``sparse=False``, the official ``QGN_dense_*``) upsamples with the
  official 3x3 transposed convolution (padding 1, output padding 1); ``dense_up_kernel=2``
  gives the sparse decoder's 2x2 one, so that the dense decoder is the sparse one computed
  densely.
* Not reproduced: the released 'predicted' mode (inference without labels) also activates
  every inactive site of a level below the top (the arg-max of their all-zero logits is
  class 0, its composite code) -- computed, then masked away by the coarser levels at
  inference, but seen by the 3x3 convolutions at the border of :math:`A_l`; graphseg
  decodes only the children of the predicted composite cells (the paper's Sec. 3.2). The
  released decoder also drops selected cells whose encoder features are exactly zero in
  every channel (its dense-to-sparse conversion keeps non-zero sites only).
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Sequence

import torch
from torch import Tensor, nn

from ...check import check_choice, check_floating, check_int, check_ndim, check_param_dtype
from ...ops.sparse import SparseMap
from ..sparse import (SparseBatchNorm, SparseConvTranspose2d, SparseLinear, SubmanifoldConv2d,
                      sparse_gather)
from .blocks import BLOCKS, conv1x1, norm_factory, relu, up_conv
from .output import Feature, QGNOutput

SCHEMES = ('all', 'gt', 'predicted')
SKIPS = ('all', 'top')
DEFAULTS = ('official', 'pytorch')


class QGNDecoder(nn.Module):
    r"""The QGN decoder (QGN Sec. 3.3, Table 7): a transposed ResNet that generates the quadtree
    top-down.

    Args:
        encoder_channels (sequence of int): channels of the encoder maps at strides
            2, 4, ..., :math:`2^{n+1}` (:math:`n` = ``len(widths) - 1`` stages; e.g. a ResNet's
            stem and ``layer1..4``: ``[128, 256, 512, 1024, 2048]`` for the official encoder).
        num_classes (int): :math:`k`.
        widths (sequence of int): feature widths of levels ``top ... 1``.
            (default: ``(512, 256, 128, 64, 64)``, the official basic decoder)
        blocks (sequence of int): blocks per stage (the last upsamples). (default: ``(6, 4, 3, 3)``)
        final_blocks (int): blocks at level 1. (default: ``3``)
        sparse (bool): submanifold sparse layers (``False``: the dense decoder). (default: ``True``)
        block (str): ``'basic'`` or ``'bottleneck'``. (default: ``'basic'``)
        skips (str): ``'all'`` (a skip at every level) or ``'top'`` (the released noskip).
            (default: ``'all'``)
        defaults (str): ``'official'`` or ``'pytorch'`` BatchNorm settings and initialisation.
            (default: ``'official'``)
        dense_up_kernel (int): 3 (official) or 2, the dense decoder's upsampling kernel.
            (default: ``3``)

    Shapes:
        - **input:** encoder maps ``features[i]`` :math:`(B, C_i, H / 2^{i+1}, W / 2^{i+1})`
        - **output:** :class:`QGNOutput`
    """

    def __init__(self, encoder_channels: Sequence[int], num_classes: int,
                 widths: Sequence[int] = (512, 256, 128, 64, 64),
                 blocks: Sequence[int] = (6, 4, 3, 3), final_blocks: int = 3, sparse: bool = True,
                 *, block: str = 'basic', skips: str = 'all', defaults: str = 'official',
                 dense_up_kernel: int = 3) -> None:
        super().__init__()
        check_choice(block, 'block', tuple(BLOCKS))
        check_choice(skips, 'skips', SKIPS)
        check_choice(defaults, 'defaults', DEFAULTS)
        check_choice(dense_up_kernel, 'dense_up_kernel', (2, 3))
        n = len(widths) - 1
        if n < 1:
            raise ValueError("widths must have at least 2 values (levels top ... 1), got "
                             f"{tuple(widths)}")
        if len(encoder_channels) != n + 1:
            raise ValueError(f"encoder_channels must have len(widths) = {n + 1} values (encoder "
                             f"maps at strides 2 ... {2 ** (n + 1)}), got {len(encoder_channels)}")
        if len(blocks) != n or any(
            isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in blocks
        ):
            raise ValueError(f"blocks must have len(widths) - 1 = {n} ints >= 1, got "
                             f"{tuple(blocks)}")
        for name, values in (('encoder_channels', encoder_channels), ('widths', widths)):
            if any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in values):
                raise ValueError(f"{name} must hold channel counts (ints >= 1), got "
                                 f"{tuple(values)}")
        check_int(num_classes, 'num_classes', 1)
        check_int(final_blocks, 'final_blocks', 0)
        self.encoder_channels, self.num_classes = tuple(encoder_channels), num_classes
        self.widths, self.blocks, self.final_blocks = tuple(widths), tuple(blocks), final_blocks
        self.sparse, self.block, self.skip_mode, self.defaults = sparse, block, skips, defaults
        self.top = n + 1
        self.num_levels = n + 2
        k1 = num_classes + 1
        if defaults == 'official':
            norm = norm_factory(sparse, 1e-4, 0.01) if sparse else norm_factory(False, 1e-5, 0.001)
        else:
            norm = norm_factory(sparse, 1e-5, 0.1)
        Block = BLOCKS[block]
        up_k = 2 if sparse else dense_up_kernel

        def make(cin: int, cout: int, up: bool = False) -> nn.Module:
            return Block(cin, cout, upsample=up, sparse=sparse, up_kernel=up_k, norm=norm)

        # level `top - i` reads the encoder map of stride 2^(top - i), features[n - i]
        self.head_top = conv1x1(encoder_channels[-1], k1, sparse, bias=True)
        n_skips = n + 1 if skips == 'all' else 1
        self.skips = nn.ModuleList(
            nn.Sequential(conv1x1(encoder_channels[n - i], widths[i], sparse), norm(widths[i]),
                          relu(sparse))
            for i in range(n_skips))
        self.stages = nn.ModuleList(
            nn.Sequential(*[make(widths[i], widths[i]) for _ in range(blocks[i] - 1)],
                          make(widths[i], widths[i + 1], up=True))
            for i in range(n))
        self.heads = nn.ModuleList(conv1x1(widths[i + 1], k1, sparse, bias=True) for i in range(n))
        self.final_conv = nn.Sequential(*[make(widths[n], widths[n]) for _ in range(final_blocks)])
        self.final_deconv = up_conv(widths[n], k1, sparse, bias=True)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The released initialisation (``defaults='official'``) or every layer's own
        (``'pytorch'``)."""
        for m in self.modules():
            if m is not self and hasattr(m, 'reset_parameters'):
                m.reset_parameters()
        if self.defaults != 'official':
            return
        for m in self.modules():
            # kaiming_normal_ on SparseConvNet's (k*k, 1, C_in, C_out)
            if isinstance(m, SubmanifoldConv2d):
                nn.init.normal_(m.weight, 0., math.sqrt(2. / (m.in_channels * m.out_channels)))
            # SparseConvNet's NetworkInNetwork
            elif isinstance(m, SparseLinear) and m is not self.head_top:
                nn.init.normal_(m.weight, 0., math.sqrt(2. / m.in_features))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m,
                            (nn.Conv2d, nn.ConvTranspose2d,
                             SparseConvTranspose2d)) or m is self.head_top:
                # fan-in of nn.Conv2d / nn.ConvTranspose2d; bias as PyTorch
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, (SparseBatchNorm, nn.BatchNorm2d)):
                nn.init.ones_(m.weight)
                nn.init.constant_(m.bias, 1e-4)

    # -------------------------------------------------------------------- helpers
    def _check_features(self, features: Sequence[Tensor]) -> tuple:
        n = len(self.encoder_channels)
        if not isinstance(features, (list, tuple)) or len(features) != n:
            got = f'{len(features)} maps' if isinstance(features,
                                                        (list, tuple)) else type(features).__name__
            raise ValueError(f"features must be a list of {n} encoder maps (strides 2 ... "
                             f"{2 ** n}), got {got}")
        B = None
        for i, f in enumerate(features):
            check_ndim(f, f'features[{i}]', 4, '(B, C, H, W)')
            check_floating(f, f'features[{i}]')
            check_param_dtype(f, f'features[{i}]', next(self.parameters(), None))
            if B is None:
                B, H0, W0 = f.size(0), f.size(2), f.size(3)
            want = (B, self.encoder_channels[i], H0 >> i, W0 >> i)
            if tuple(f.shape) != want or (H0 >> i) << i != H0 or (W0 >> i) << i != W0:
                raise ValueError(f"features[{i}] must have shape {want} (stride {2 ** (i + 1)}), "
                                 f"got {tuple(f.shape)}")
        return B, H0 * 2, W0 * 2

    def _composite(self, scheme: str, logits: SparseMap, level: int,
                   pyramid: Optional[Sequence[Tensor]]) -> Tensor:
        """C_l as a mask over the active sites A_l."""
        if scheme == 'all':
            return torch.ones(logits.num_sites, dtype=torch.bool, device=logits.device)
        if scheme == 'predicted':
            return logits.feats.detach().argmax(1) == self.num_classes
        t = pyramid[level]
        b, y, x = logits.coords.long().unbind(1)
        return t[b, y, x] == self.num_classes

    def forward(self, features: Sequence[Tensor], scheme: str = 'predicted',
                pyramid: Optional[Sequence[Tensor]] = None, min_level: int = 0) -> QGNOutput:
        """Decode the quadtree; see the class docstring."""
        check_choice(scheme, 'scheme', SCHEMES)
        check_int(min_level, 'min_level', 0, self.top)
        B, H, W = self._check_features(features)
        if scheme == 'gt':
            self._check_pyramid(pyramid, B, H, W)
        if not self.sparse:
            if scheme != 'all':
                raise ValueError("the dense decoder (sparse=False) decodes every site: scheme "
                                 f"must be 'all', got {scheme!r}")
            return self._forward_dense(features, min_level, (H, W))
        top_map = SparseMap.from_dense(features[-1])  # level top: every cell is active
        logits: Dict[int, Feature] = {self.top: self.head_top(top_map)}
        selected: Dict[int, Tensor] = {}
        x: Optional[SparseMap] = None
        for level in range(self.top, min_level, -1):
            keep = self._composite(scheme, logits[level], level, pyramid)  # C_l within A_l
            selected[level] = keep
            i = self.top - level
            # (released noskip: top only)
            prune = scheme != 'all' and (x is None or self.skip_mode == 'all')
            if x is None:  # top: the skip is the only input
                x = self.skips[0](top_map.select(keep) if prune else top_map)
            else:
                x = x.select(keep) if prune else x
                # skip connection: the encoder map read at the composite cells
                if i < len(self.skips):
                    x = x + self.skips[i](sparse_gather(features[level - 1], x))
            if level >= 2:
                x = self.stages[i](x)  # ... -> children: A_{l-1}
                logits[level - 1] = self.heads[i](x)
            else:
                x = self.final_conv(x)
                logits[0] = self.final_deconv(x)
        return QGNOutput(logits, self.num_classes, (H, W), selected, scheme)

    def _forward_dense(self, features: Sequence[Tensor], min_level: int,
                       image_size: tuple) -> QGNOutput:
        logits: Dict[int, Feature] = {self.top: self.head_top(features[-1])}
        x = None
        for level in range(self.top, min_level, -1):
            i = self.top - level
            if x is None:
                x = self.skips[0](features[-1])
            elif i < len(self.skips):
                x = x + self.skips[i](features[level - 1])
            if level >= 2:
                x = self.stages[i](x)
                logits[level - 1] = self.heads[i](x)
            else:
                logits[0] = self.final_deconv(self.final_conv(x))
        return QGNOutput(logits, self.num_classes, image_size, {}, 'all')

    def _check_pyramid(self, pyramid, B: int, H: int, W: int) -> None:
        if not isinstance(pyramid, (list, tuple)) or len(pyramid) < self.num_levels:
            raise ValueError(f"scheme='gt' needs the T-pyramid: a list of {self.num_levels} label "
                             "maps "
                             f"(t_pyramid(labels, {self.num_levels}, {self.num_classes})), got "
                             f"{type(pyramid).__name__}")
        for lv in range(self.num_levels):
            want = (B, H >> lv, W >> lv)
            if tuple(pyramid[lv].shape) != want:
                raise ValueError(f"pyramid[{lv}] must have shape (B, H / 2^l, W / 2^l) = {want}, "
                                 f"got {tuple(pyramid[lv].shape)}")

    def extra_repr(self) -> str:
        return (f'encoder_channels={self.encoder_channels}, num_classes={self.num_classes}, '
                f'widths={self.widths}, blocks={self.blocks}, final_blocks={self.final_blocks}, '
                f'block={self.block!r}, skips={self.skip_mode!r}, sparse={self.sparse}, '
                f'defaults={self.defaults!r}')


__all__ = ['QGNDecoder', 'SCHEMES', 'SKIPS', 'DEFAULTS']
