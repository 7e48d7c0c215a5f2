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

Decoder layout (QGN Table 7; the official ``resnet34_transpose_sparse`` with an
encoder of ``n = 4`` stages, ``top = 5``)::

    level  input                           layers                                       output
    5      encoder map 5 (stride 32)       head: 1x1 -> k+1                              Q5 on A5 = all
    5      C5 = select(A5)                 skip: 1x1 -> w0, BN, ReLU
                                           (blocks[0] - 1) x block(w0) + up-block(w0 -> w1)  feats on A4
    4      A4 = children(C5)               head: 1x1 -> k+1                              Q4
    4      C4 = select(A4)                 + skip(encoder map 4): 1x1 -> w1, BN, ReLU
                                           (blocks[1] - 1) x block(w1) + up-block(w1 -> w2)  feats on A3
    3, 2   ... the same with encoder maps 3 and 2, widths w2 -> w3, w3 -> w4             Q3, Q2
    1      A1, C1 = select(A1)             head: 1x1 -> k+1; final_blocks x block(w4)    Q1
    0      A0 = children(C1)               2x2 transposed conv, stride 2 -> k+1          Q0

A *block* is the transposed ResNet basic block: 3x3 conv, BN, ReLU, 3x3 conv,
BN, + identity (1x1 conv + BN when the width changes), ReLU; the *up-block*
replaces the second conv and the shortcut by 2x2 stride-2 transposed convs.
With ``sparse=True`` the convolutions are :class:`~graphseg.nn.sparse.SubmanifoldConv2d`
and friends; ``sparse=False`` builds the same network from dense layers with
identically shaped parameters (a dense decoder of the same widths).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

import torch
from torch import Tensor, nn

from ...check import check_choice, check_floating, check_ndim, check_param_dtype
from ...ops.sparse import SparseMap
from ..sparse import (SparseBatchNorm, SparseConvTranspose2d, SparseLinear, SparseReLU, SubmanifoldConv2d,
                     sparse_gather)

SCHEMES = ('all', 'gt', 'predicted')

Feature = Union[SparseMap, Tensor]


# ------------------------------------------------------------------------ layer factories
def _conv3x3(cin: int, cout: int, sparse: bool) -> nn.Module:
    return SubmanifoldConv2d(cin, cout, 3) if sparse else nn.Conv2d(cin, cout, 3, padding=1, bias=False)


def _conv1x1(cin: int, cout: int, sparse: bool, bias: bool = False) -> nn.Module:
    return SparseLinear(cin, cout, bias=bias) if sparse else nn.Conv2d(cin, cout, 1, bias=bias)


def _up2x2(cin: int, cout: int, sparse: bool, bias: bool = False) -> nn.Module:
    return SparseConvTranspose2d(cin, cout, bias=bias) if sparse else nn.ConvTranspose2d(cin, cout, 2, 2, bias=bias)


def _norm(c: int, sparse: bool) -> nn.Module:
    return SparseBatchNorm(c) if sparse else nn.BatchNorm2d(c)


def _relu(sparse: bool) -> nn.Module:
    return SparseReLU() if sparse else nn.ReLU()


class TransBasicBlock(nn.Module):
    r"""Transposed ResNet basic block, sparse or dense (the official code's ``TransBasicBlockSparse``).

    ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`` with ``conv1`` a 3x3
    convolution at width ``inplanes``; ``conv2`` is a 3x3 convolution to
    ``planes``, or with ``upsample=True`` a 2x2 stride-2 transposed convolution
    (the output lives on the children of the input sites). The shortcut is the
    identity, a 1x1 convolution + BN when the width changes, or a 2x2
    transposed convolution + BN when upsampling.

    Args:
        inplanes (int): input width.
        planes (int): output width.
        upsample (bool): 2x upsampling. (default: ``False``)
        sparse (bool): sparse layers on :class:`SparseMap` or dense layers on
            ``(B, C, H, W)`` tensors. (default: ``True``)

    Shapes:
        - **input:** SparseMap :math:`(N, C_{in})` on :math:`(H, W)` or a tensor :math:`(B, C_{in}, H, W)`
        - **output:** :math:`(N, C_{out})`, or :math:`(4N, C_{out})` on :math:`(2H, 2W)` when upsampling
    """

    def __init__(self, inplanes: int, planes: int, upsample: bool = False, sparse: bool = True) -> None:
        super().__init__()
        self.inplanes, self.planes, self.upsample, self.sparse = inplanes, planes, upsample, sparse
        self.conv1 = _conv3x3(inplanes, inplanes, sparse)
        self.bn1 = _norm(inplanes, sparse)
        self.relu = _relu(sparse)
        self.conv2 = _up2x2(inplanes, planes, sparse) if upsample else _conv3x3(inplanes, planes, sparse)
        self.bn2 = _norm(planes, sparse)
        if upsample:
            self.shortcut: Optional[nn.Module] = nn.Sequential(_up2x2(inplanes, planes, sparse), _norm(planes, sparse))
        elif inplanes != planes:
            self.shortcut = nn.Sequential(_conv1x1(inplanes, planes, sparse), _norm(planes, sparse))
        else:
            self.shortcut = None

    def forward(self, x: Feature) -> Feature:
        channels = x.num_channels if isinstance(x, SparseMap) else x.size(1) if isinstance(x, Tensor) else None
        if channels != self.inplanes:
            raise ValueError(f"x must have {self.inplanes} channels (a SparseMap or a (B, C, H, W) tensor), got "
                             f"{channels if channels is not None else type(x).__name__}")
        check_param_dtype(x.feats if isinstance(x, SparseMap) else x, 'x', next(self.parameters(), None))
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.relu(out + identity)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.inplanes}, {self.planes}, upsample={self.upsample}, '
                f'sparse={self.sparse})')


# ------------------------------------------------------------------------ outputs
@dataclass
class QGNOutput:
    r"""What :class:`QGNDecoder` returns: the predicted quadtree, level by level.

    ``logits[l]`` is :math:`\hat Q_l` -- a :class:`SparseMap` of
    :math:`(k + 1)`-way logits at the active sites :math:`A_l` (sparse decoder)
    or a dense tensor :math:`(B, k + 1, H / 2^l, W / 2^l)` (dense decoder) --
    for the levels that were decoded (all of ``top ... min_level``).
    Channel ``k`` = ``num_classes`` is *composite*.
    """
    logits: Dict[int, Feature]
    num_classes: int
    image_size: tuple
    selected: Dict[int, Tensor] = field(default_factory=dict)

    @property
    def levels(self) -> List[int]:
        """The decoded levels, top first."""
        return sorted(self.logits, reverse=True)

    def active_mask(self, level: int) -> Tensor:
        """The active sites :math:`A_l` as a bool map :math:`(B, H / 2^l, W / 2^l)`."""
        q = self.logits[level]
        if isinstance(q, Tensor):
            return torch.ones(q.size(0), q.size(2), q.size(3), dtype=torch.bool, device=q.device)
        m = torch.zeros(q.batch_size, *q.spatial_shape, dtype=torch.bool, device=q.device)
        b, y, x = q.coords.long().unbind(1)
        m[b, y, x] = True
        return m

    def labels(self) -> Tensor:
        """Inference (Sec. 3.2): the label map :math:`(B, H, W)`, see :func:`qgn_inference`."""
        return qgn_inference(self.logits, self.num_classes, self.image_size)

    def dense_logits(self) -> Tensor:
        r"""Class logits :math:`(B, k, H, W)` painted from the quadtree: each pixel takes the :math:`k` class
        logits (composite dropped) of the finest decoded cell that covers it, so ``dense_logits().argmax(1)``
        equals :meth:`labels` (the second best where composite wins)."""
        k = self.num_classes
        out: Optional[Tensor] = None
        prev = None
        for l in self.levels:
            q = self.logits[l]
            if isinstance(q, Tensor):
                out = q[:, :k]  # every site active: it replaces the coarser levels
            else:
                if out is None:
                    out = q.feats.new_zeros(q.batch_size, k, *q.spatial_shape)
                else:
                    out = out.repeat_interleave(2 ** (prev - l), 2).repeat_interleave(2 ** (prev - l), 3)
                b, y, x = q.coords.long().unbind(1)
                out = out.index_put((b, torch.arange(k, device=out.device)[:, None].expand(k, b.numel()),
                                     y.expand(k, -1), x.expand(k, -1)), q.feats[:, :k].t())
            prev = l
        if prev > 0:
            out = out.repeat_interleave(2 ** prev, 2).repeat_interleave(2 ** prev, 3)
        return out


def qgn_inference(logits: Dict[int, Feature], num_classes: int, image_size: Optional[tuple] = None) -> Tensor:
    r"""Turn a predicted quadtree into a label map (QGN Sec. 3.2).

    Each pixel takes the prediction of the finest level at which it is active;
    where *composite* is the arg-max there, the second-best class -- i.e. the
    arg-max over the :math:`k` real classes. Levels are painted from the top
    down, a finer active cell overwriting its ancestors; when the finest decoded
    level is above 0 (anytime budget) its cells are replicated to pixels.

    Args:
        logits (dict): level -> :math:`\hat Q_l` (:class:`SparseMap` or dense
            :math:`(B, k + 1, H_l, W_l)`); the top level must be fully active.
        num_classes (int): :math:`k`.
        image_size (tuple, optional): ``(H, W)`` of level 0 (default from the
            finest level's grid).

    Shapes:
        - **output:** :math:`(B, H, W)` long, values in ``[0, k)``
    """
    if not logits:
        raise ValueError("logits must hold at least one level")
    levels = sorted(logits, reverse=True)
    out: Optional[Tensor] = None
    prev = None
    for l in levels:
        q = logits[l]
        if isinstance(q, Tensor):
            check_ndim(q, f'logits[{l}]', 4, '(B, k + 1, H, W)')
            if q.size(1) != num_classes + 1:
                raise ValueError(f"logits[{l}] must have k + 1 = {num_classes + 1} channels, got {q.size(1)}")
            out = q[:, :num_classes].argmax(1)  # every site active: it replaces the coarser levels
        else:
            if q.num_channels != num_classes + 1:
                raise ValueError(f"logits[{l}] must have k + 1 = {num_classes + 1} channels, "
                                 f"got {q.num_channels}")
            cls = q.feats[:, :num_classes].argmax(1)  # the second best where composite wins
            if out is None:
                out = torch.full((q.batch_size, *q.spatial_shape), -1, dtype=torch.long, device=q.device)
            else:
                out = out.repeat_interleave(2 ** (prev - l), 1).repeat_interleave(2 ** (prev - l), 2)
            b, y, x = q.coords.long().unbind(1)
            out[b, y, x] = cls
        prev = l
    if bool((out < 0).any()):
        raise ValueError(f"the top level {levels[0]} must be fully active to give every pixel a label")
    if prev > 0:
        out = out.repeat_interleave(2 ** prev, 1).repeat_interleave(2 ** prev, 2)
    if image_size is not None and tuple(out.shape[1:]) != tuple(image_size):
        raise ValueError(f"image_size must be the level-0 grid {tuple(out.shape[1:])}, got {tuple(image_size)}")
    return out


# ------------------------------------------------------------------------ decoder
class QGNDecoder(nn.Module):
    r"""The QGN decoder (QGN Sec. 3.3, Table 7): sparse transposed-ResNet stages with 1x1 skips and
    a :math:`(k + 1)`-way head per level. See the module docstring for the layout.

    Args:
        encoder_channels (sequence of int): channels of the encoder maps at
            strides 4, 8, ..., :math:`2^{n + 1}` (e.g. ResNet ``feature_channels``).
            (default: ``(64, 128, 256, 512)``, ResNet-18/34)
        num_classes (int): :math:`k`. (default: ``19``)
        widths (sequence of int): decoder widths at levels ``top, top - 1, ..., 1``
            (:math:`n + 1` values). (default: ``(512, 256, 128, 64, 64)``, the official)
        blocks (sequence of int): blocks per stage, levels ``top ... 2``, the last
            one upsampling (:math:`n` values). (default: ``(6, 4, 3, 3)``)
        final_blocks (int): blocks at level 1 before the last transposed conv. (default: ``3``)
        sparse (bool): submanifold sparse layers (``True``) or the dense decoder
            of the same widths (``False``, scheme ``'all'`` only). (default: ``True``)

    Shapes:
        - **input:** ``n`` dense maps :math:`(B, C_i, H / 2^{i+2}, W / 2^{i+2})`, ``i = 0..n-1``;
          ``pyramid``: the T-pyramid (``pyramid[l]`` :math:`(B, H / 2^l, W / 2^l)`) for ``scheme='gt'``
        - **output:** :class:`QGNOutput` with :math:`\hat Q_l` for ``l = top ... min_level``,
          ``top = n + 1``
    """

    def __init__(self, encoder_channels: Sequence[int] = (64, 128, 256, 512), num_classes: int = 19,
                 widths: Sequence[int] = (512, 256, 128, 64, 64), blocks: Sequence[int] = (6, 4, 3, 3),
                 final_blocks: int = 3, sparse: bool = True) -> None:
        super().__init__()
        n = len(encoder_channels)
        if n < 1:
            raise ValueError("encoder_channels must name at least one encoder map")
        if len(widths) != n + 1:
            raise ValueError(f"widths must have len(encoder_channels) + 1 = {n + 1} values (levels {n + 1}..1), "
                             f"got {len(widths)}")
        if len(blocks) != n or any(b < 1 for b in blocks):
            raise ValueError(f"blocks must have len(encoder_channels) = {n} values >= 1, got {tuple(blocks)}")
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        self.encoder_channels, self.num_classes = tuple(encoder_channels), num_classes
        self.widths, self.blocks, self.final_blocks = tuple(widths), tuple(blocks), final_blocks
        self.sparse = sparse
        self.top = n + 1
        self.num_levels = n + 2
        k1 = num_classes + 1
        # level `top - i` for i = 0..n-1 reads encoder map `n - 1 - i`
        self.head_top = _conv1x1(encoder_channels[-1], k1, sparse, bias=True)
        self.skips = nn.ModuleList(
            nn.Sequential(_conv1x1(encoder_channels[n - 1 - i], widths[i], sparse), _norm(widths[i], sparse),
                          _relu(sparse)) for i in range(n))
        self.stages = nn.ModuleList(
            nn.Sequential(*[TransBasicBlock(widths[i], widths[i], sparse=sparse) for _ in range(blocks[i] - 1)],
                          TransBasicBlock(widths[i], widths[i + 1], upsample=True, sparse=sparse))
            for i in range(n))
        self.heads = nn.ModuleList(_conv1x1(widths[i + 1], k1, sparse, bias=True) for i in range(n))
        self.final_conv = nn.Sequential(*[TransBasicBlock(widths[n], widths[n], sparse=sparse)
                                          for _ in range(final_blocks)])
        self.final_deconv = _up2x2(widths[n], k1, sparse, bias=True)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-normal convolutions, unit/zero batch norms (as the official decoder)."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, SubmanifoldConv2d, SparseConvTranspose2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)
                if getattr(m, 'bias', None) is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    # -------------------------------------------------------------------- helpers
    def _check_features(self, features: Sequence[Tensor]) -> tuple:
        n = len(self.encoder_channels)
        if not isinstance(features, (list, tuple)) or len(features) != n:
            got = f'{len(features)} maps' if isinstance(features, (list, tuple)) else type(features).__name__
            raise ValueError(f"features must be a list of {n} encoder maps (strides 4 ... {2 ** (n + 1)}), "
                             f"got {got}")
        B = None
        for i, f in enumerate(features):
            check_ndim(f, f'features[{i}]', 4, '(B, C, H, W)')
            check_floating(f, f'features[{i}]')
            check_param_dtype(f, f'features[{i}]', next(self.parameters(), None))
            if B is None:
                B, H0, W0 = f.size(0), f.size(2), f.size(3)
            want = (B, self.encoder_channels[i], H0 >> i, W0 >> i)
            if tuple(f.shape) != want or (H0 >> i) << i != H0 or (W0 >> i) << i != W0:
                raise ValueError(f"features[{i}] must have shape {want} (stride {2 ** (i + 2)}), "
                                 f"got {tuple(f.shape)}")
        return B, H0 * 4, W0 * 4

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
        if isinstance(min_level, bool) or not isinstance(min_level, int) or not 0 <= min_level <= self.top:
            raise ValueError(f"min_level must be an int in [0, {self.top}], got {min_level!r}")
        B, H, W = self._check_features(features)
        if scheme == 'gt':
            self._check_pyramid(pyramid, B, H, W)
        if not self.sparse:
            if scheme != 'all':
                raise ValueError(f"the dense decoder (sparse=False) decodes every site: scheme must be 'all', "
                                 f"got {scheme!r}")
            return self._forward_dense(features, min_level, (H, W))
        n = len(features)
        top_map = SparseMap.from_dense(features[-1])  # level top: every cell is active
        logits: Dict[int, Feature] = {self.top: self.head_top(top_map)}
        selected: Dict[int, Tensor] = {}
        x: Optional[SparseMap] = None
        for level in range(self.top, min_level, -1):
            keep = self._composite(scheme, logits[level], level, pyramid)  # C_l within A_l
            selected[level] = keep
            everything = scheme == 'all'  # C_l = A_l: keep the map (and its kernel maps) as it is
            i = self.top - level
            if x is None:  # top: the skip is the only input
                x = self.skips[0](top_map if everything else top_map.select(keep))
            else:
                x = x if everything else x.select(keep)
                if level >= 2:  # skip connection: the encoder map read at the composite cells
                    x = x + self.skips[i](sparse_gather(features[n - 1 - i], x))
            if level >= 2:
                x = self.stages[i](x)  # ... -> children: A_{l-1}
                logits[level - 1] = self.heads[i](x)
            else:
                x = self.final_conv(x)
                logits[0] = self.final_deconv(x)
        return QGNOutput(logits, self.num_classes, (H, W), selected)

    def _forward_dense(self, features: Sequence[Tensor], min_level: int, image_size: tuple) -> QGNOutput:
        n = len(features)
        logits: Dict[int, Feature] = {self.top: self.head_top(features[-1])}
        x = None
        for level in range(self.top, min_level, -1):
            i = self.top - level
            if x is None:
                x = self.skips[0](features[-1])
            elif level >= 2:
                x = x + self.skips[i](features[n - 1 - i])
            if level >= 2:
                x = self.stages[i](x)
                logits[level - 1] = self.heads[i](x)
            else:
                logits[0] = self.final_deconv(self.final_conv(x))
        return QGNOutput(logits, self.num_classes, image_size)

    def _check_pyramid(self, pyramid, B: int, H: int, W: int) -> None:
        if not isinstance(pyramid, (list, tuple)) or len(pyramid) < self.num_levels:
            raise ValueError(f"scheme='gt' needs the T-pyramid: a list of {self.num_levels} label maps "
                             f"(t_pyramid(labels, {self.num_levels}, {self.num_classes})), got "
                             f"{type(pyramid).__name__}")
        for l in range(self.num_levels):
            want = (B, H >> l, W >> l)
            if tuple(pyramid[l].shape) != want:
                raise ValueError(f"pyramid[{l}] must have shape (B, H / 2^l, W / 2^l) = {want}, "
                                 f"got {tuple(pyramid[l].shape)}")

    def extra_repr(self) -> str:
        return (f'encoder_channels={self.encoder_channels}, num_classes={self.num_classes}, '
                f'widths={self.widths}, blocks={self.blocks}, final_blocks={self.final_blocks}, '
                f'sparse={self.sparse}')


__all__ = ['QGNDecoder', 'QGNOutput', 'TransBasicBlock', 'qgn_inference', 'SCHEMES']
