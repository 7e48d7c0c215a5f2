r"""What the QGN decoder returns, and the two ways to turn it into a segmentation (QGN Sec. 3.2).

* **nearest** (:meth:`QGNOutput.dense_logits`, :func:`qgn_inference`): every pixel
  takes the class logits of the cell where the decoding of its path stopped --
  the coarsest decoded cell not selected as composite (the finest level
  otherwise) -- replicated to its pixels. Exact on the quadtree; output at the
  image size.
* **bilinear** (:meth:`QGNOutput.bilinear_logits`), the released code's
  inference: level by level from the top, the logits of the cells that are
  composite at a coarser level are kept and those of the cells composite at
  this level are zeroed, each level is upsampled *bilinearly* to the output
  size (any size) and the levels are summed; the composite channel is dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from ...check import check_ndim
from ...ops.sparse import SparseMap

Feature = Union[SparseMap, Tensor]


def _dense(q: Feature) -> Tensor:
    return q if isinstance(q, Tensor) else q.to_dense()


def _site_map(q: SparseMap, values: Tensor) -> Tensor:
    """A per-site bool vector of ``q`` as a dense map :math:`(B, H_l, W_l)` (False off the active
    sites)."""
    m = torch.zeros(q.batch_size, *q.spatial_shape, dtype=torch.bool, device=q.device)
    b, y, x = q.coords.long().unbind(1)
    m[b, y, x] = values
    return m


@dataclass
class QGNOutput:
    r"""What :class:`~graphseg.nn.qgn.QGNDecoder` returns: the predicted quadtree, level by level.

    ``logits[l]`` is :math:`\hat Q_l` -- a :class:`SparseMap` of
    :math:`(k + 1)`-way logits at the active sites :math:`A_l` (sparse decoder)
    or a dense tensor :math:`(B, k + 1, H / 2^l, W / 2^l)` (dense decoder) --
    for the levels that were decoded (all of ``top ... min_level``).
    Channel ``k`` = ``num_classes`` is *composite*. ``selected[l]`` marks, per
    active site of level ``l``, the composite cells :math:`C_l` chosen by the
    propagation ``scheme`` (for every decoded level but the finest).
    """
    logits: Dict[int, Feature]
    num_classes: int
    image_size: tuple
    selected: Dict[int, Tensor] = field(default_factory=dict)
    scheme: str = 'predicted'

    @property
    def levels(self) -> List[int]:
        """The decoded levels, top first."""
        return sorted(self.logits, reverse=True)

    def active_mask(self, level: int) -> Tensor:
        """The active sites :math:`A_l` as a bool map :math:`(B, H / 2^l, W / 2^l)`."""
        q = self.logits[level]
        if isinstance(q, Tensor):
            return torch.ones(q.size(0), q.size(2), q.size(3), dtype=torch.bool, device=q.device)
        return _site_map(q, torch.ones(q.num_sites, dtype=torch.bool, device=q.device))

    def composite_mask(self, level: int) -> Optional[Tensor]:
        r""":math:`C_l` as a bool map :math:`(B, H / 2^l, W / 2^l)`; every cell for a level decoded
        densely without a selection; ``None`` for the finest decoded level."""
        if level == self.levels[-1]:
            return None
        q = self.logits[level]
        if level not in self.selected:
            return self.active_mask(level)
        return _site_map(q, self.selected[level]) if isinstance(q,
                                                                SparseMap) else self.selected[level]

    def labels(self) -> Tensor:
        """Inference (Sec. 3.2): the label map :math:`(B, H, W)`, see :func:`qgn_inference`."""
        return qgn_inference(self.logits, self.num_classes, self.image_size,
                             {lv: self.composite_mask(lv) for lv in self.levels[:-1]})

    def dense_logits(self) -> Tensor:
        r"""Class logits :math:`(B, k, H, W)` painted from the quadtree (nearest): each pixel takes
        the :math:`k` class logits (composite dropped) of the cell where its path stopped, so
        ``dense_logits().argmax(1)`` equals :meth:`labels` (the second best where composite
        wins)."""
        k = self.num_classes
        out: Optional[Tensor] = None
        go_on: Optional[Tensor] = None  # (B, H_l, W_l): the path continues to this level
        prev = None
        for lv in self.levels:
            q = _dense(self.logits[lv])[:, :k]
            if out is None:
                out = q
            else:
                f = 2 ** (prev - lv)
                out = out.repeat_interleave(f, 2).repeat_interleave(f, 3)
                go_on = go_on.repeat_interleave(f, 1).repeat_interleave(f, 2)
                # finer cells overwrite where their parent went on
                out = torch.where(go_on[:, None], q, out)
            comp = self.composite_mask(lv)
            if comp is not None:
                go_on = comp if go_on is None else go_on & comp
            prev = lv
        if prev > 0:
            out = out.repeat_interleave(2 ** prev, 2).repeat_interleave(2 ** prev, 3)
        return out

    def bilinear_logits(self, size: Optional[Tuple[int, int]] = None) -> Tensor:
        r"""The released inference: class logits :math:`(B, k, H', W')` at any ``size`` (default:
        the image's).

        With :math:`D_l` the dense logits of level :math:`l` (zero off the active
        sites), :math:`M_l` its composite cells and :math:`\uparrow` nearest
        upsampling to level :math:`l`,

        .. math::
            \text{out} = \sum_l \operatorname{bilinear}_{H' \times W'}\Big( D_l \, (1 - M_l)
            \prod_{m > l} {\uparrow} M_m \Big),

        the composite channel dropped; with the ``'predicted'`` scheme the finest level's
        composite cells (arg-max composite) are zeroed as well, as released. Its
        ``softmax`` is what the released code outputs.
        """
        k = self.num_classes
        size = tuple(size) if size is not None else tuple(self.image_size)
        finest = self.levels[-1]
        out, carry, prev = None, None, None
        for lv in self.levels:
            d = _dense(self.logits[lv])
            if carry is not None:
                f = 2 ** (prev - lv)
                carry = carry.repeat_interleave(f, 2).repeat_interleave(f, 3)
                d = d * carry
            comp = self.composite_mask(lv)
            if comp is None and lv == finest and self.scheme == 'predicted':
                comp = self.active_mask(lv) & (_dense(self.logits[lv]).argmax(1) == k)
            if comp is not None:
                m = comp[:, None].to(d.dtype)
                d = d * (1 - m)
                carry = m if carry is None else carry * m
            up = F.interpolate(d, size=size, mode='bilinear', align_corners=False)
            out = up if out is None else out + up
            prev = lv
        return out[:, :k]


def qgn_inference(logits: Dict[int, Feature], num_classes: int, image_size: Optional[tuple] = None,
                  composite: Optional[Dict[int, Tensor]] = None) -> Tensor:
    r"""Turn a predicted quadtree into a label map (QGN Sec. 3.2, nearest).

    Each pixel takes the prediction of the cell where its path stopped: levels
    are painted from the top down, a finer active cell overwriting its ancestor
    when the ancestors were all composite (``composite[l]``, by default: every
    active cell that has decoded children); where *composite* is the arg-max
    there, the second-best class -- the arg-max over the :math:`k` real classes.
    When the finest decoded level is above 0 (anytime budget) its cells are
    replicated to pixels.

    Args:
        logits (dict): level -> :math:`\hat Q_l` (:class:`SparseMap` or dense
            :math:`(B, k + 1, H_l, W_l)`); the top level must be fully active.
        num_classes (int): :math:`k`.
        image_size (tuple, optional): ``(H, W)`` of level 0 (default from the
            finest level's grid).
        composite (dict, optional): level -> bool map :math:`(B, H_l, W_l)` of the cells whose
            children continue the path (:meth:`QGNOutput.composite_mask`).

    Shapes:
        - **output:** :math:`(B, H, W)` long, values in ``[0, k)``
    """
    if not logits:
        raise ValueError("logits must hold at least one level")
    levels = sorted(logits, reverse=True)
    out: Optional[Tensor] = None
    go_on: Optional[Tensor] = None
    prev = None
    for lv in levels:
        q = logits[lv]
        if isinstance(q, Tensor):
            check_ndim(q, f'logits[{lv}]', 4, '(B, k + 1, H, W)')
            if q.size(1) != num_classes + 1:
                raise ValueError(f"logits[{lv}] must have k + 1 = {num_classes + 1} channels, "
                                 f"got {q.size(1)}")
            cls = q[:, :num_classes].argmax(1)
            active = torch.ones_like(cls, dtype=torch.bool)
        else:
            if q.num_channels != num_classes + 1:
                raise ValueError(f"logits[{lv}] must have k + 1 = {num_classes + 1} channels, "
                                 f"got {q.num_channels}")
            cls = q.to_dense()[:, :num_classes].argmax(1)  # the second best where composite wins
            active = _site_map(q, torch.ones(q.num_sites, dtype=torch.bool, device=q.device))
        if out is None:
            out = torch.where(active, cls, torch.full_like(cls, -1))
            go_on = active
        else:
            f = 2 ** (prev - lv)
            out = out.repeat_interleave(f, 1).repeat_interleave(f, 2)
            go_on = go_on.repeat_interleave(f, 1).repeat_interleave(f, 2)
            out = torch.where(go_on & active, cls, out)
        if composite is not None and lv in composite and composite[lv] is not None:
            go_on = go_on & composite[lv]
        prev = lv
    if bool((out < 0).any()):
        raise ValueError(f"the top level {levels[0]} must be fully active to give every pixel a "
                         "label")
    if prev > 0:
        out = out.repeat_interleave(2 ** prev, 1).repeat_interleave(2 ** prev, 2)
    if image_size is not None and tuple(out.shape[1:]) != tuple(image_size):
        raise ValueError(f"image_size must be the level-0 grid {tuple(out.shape[1:])}, got "
                         f"{tuple(image_size)}")
    return out


__all__ = ['QGNOutput', 'qgn_inference']
