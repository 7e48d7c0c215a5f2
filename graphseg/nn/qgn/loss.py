r"""The QGN training loss: per-level cross-entropy at the active sites against the T-pyramid.

Quadtree Generating Networks (Chitta, Alvarez, Hebert, WACV 2020), Sec. 3.4:

.. math::
    \mathcal{L}_l = \frac{1}{|V_l|} \sum_{p \in V_l}
    -\log \operatorname{softmax}(\hat Q_l(p))_{T_l(p)}
    \qquad \text{(Eq. 4)}

with :math:`V_l` the active sites of level ``l`` whose T-pyramid value
:math:`T_l(p)` (a class or composite, :math:`k`) is not ``ignore_index``, and

.. math::
    \mathcal{L} = \sum_l \gamma_l \mathcal{L}_l \quad \text{(Eq. 6)}, \qquad
    \gamma_l = \gamma^l \quad \text{(Eq. 7, fixed)}, \qquad
    \gamma_l \leftarrow \delta \gamma_l + (1 - \delta) \frac{\mathcal{L}_l}{\mathcal{L}_0}
    \quad \text{(Eq. 8, adaptive; } \gamma_0 = 1\text{)} .

The adaptive weights start at 1 and are a running average (``delta = 0.99``)
of each level's loss relative to the finest level's; as in the official code,
a training step uses the weights from before its own update.

**Class weighting** (the released training, not in the paper): after every
epoch the released code evaluates the per-class IoU and weights the
cross-entropy of every level by 2 for the classes at or below the median IoU
and 1 for the others, and by 2 for *composite*
(:meth:`QGNLoss.update_class_weights`; the first epoch is unweighted).
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...check import check_choice, check_index, check_int
from ...ops.sparse import SparseMap
from .output import QGNOutput

WEIGHTINGS = ('fixed', 'adaptive')


def level_loss(logits: Union[SparseMap, Tensor], target: Tensor, ignore_index: int = 255,
               weight: Optional[Tensor] = None) -> Tensor:
    r"""Eq. 4: mean cross-entropy of :math:`\hat Q_l` at its active sites against :math:`T_l`.

    Sites whose target is ``ignore_index`` are skipped; with no valid site the
    loss is a zero that keeps the graph (so ``backward`` still runs).

    Args:
        logits: a :class:`SparseMap` of :math:`(k + 1)`-way logits, or a dense
            tensor :math:`(B, k + 1, H_l, W_l)` (every site active).
        target (LongTensor): :math:`T_l`, :math:`(B, H_l, W_l)`.
        ignore_index (int): (default: ``255``)
        weight (Tensor, optional): a weight per class and composite, :math:`(k + 1,)`; the mean is
            then weighted (``F.cross_entropy``'s ``weight``, the released ``NLLLoss(weight=...)``).
    """
    check_index(target, 'target')
    if isinstance(logits, SparseMap):
        want = (logits.batch_size, *logits.spatial_shape)
        if tuple(target.shape) != want:
            raise ValueError(f"target must have shape (B, H_l, W_l) = {want}, got "
                             f"{tuple(target.shape)}")
        b, y, x = logits.coords.long().unbind(1)
        scores, t = logits.feats, target[b, y, x].long()
    else:
        if logits.dim() != 4 or tuple(target.shape) != (logits.size(0), logits.size(2),
                                                        logits.size(3)):
            raise ValueError(f"target must have shape (B, H_l, W_l) = "
                             f"{(logits.size(0), *logits.shape[2:])}, got {tuple(target.shape)}")
        scores, t = logits, target.long()
    valid = t != ignore_index
    if not bool(valid.any()):
        return scores.sum() * 0.
    return F.cross_entropy(scores, t, weight=None if weight is None else weight.to(scores.dtype),
                           ignore_index=ignore_index)


class QGNLoss(nn.Module):
    r"""The QGN loss (Eq. 4, 6, 7, 8): weighted per-level cross-entropy at the active sites.

    Args:
        num_levels (int): levels of the quadtree (6 for the paper's decoder).
        weighting (str): ``'fixed'`` (Eq. 7, :math:`\gamma_l = \gamma^l`) or
            ``'adaptive'`` (Eq. 8). (default: ``'fixed'``)
        gamma (float): :math:`\gamma` of Eq. 7. (default: ``1.0``, the official
            Cityscapes setting)
        delta (float): :math:`\delta` of Eq. 8. (default: ``0.99``)
        ignore_index (int): (default: ``255``)
        num_classes (int, optional): :math:`k`; the class weights :attr:`class_weight` then start as
            ones (a buffer of the state dict). (default: ``None``: no weights until
            :meth:`update_class_weights`)

    Shapes:
        - **input:** a :class:`~graphseg.nn.qgn.QGNOutput` (or a dict level ->
          logits) and the T-pyramid, ``pyramid[l]`` :math:`(B, H / 2^l, W / 2^l)`
        - **output:** scalar loss; :attr:`last_level_losses` keeps the
          detached :math:`\mathcal{L}_l` of the last call
    """

    def __init__(self, num_levels: int = 6, weighting: str = 'fixed', gamma: float = 1.0,
                 delta: float = 0.99, ignore_index: int = 255,
                 num_classes: Optional[int] = None) -> None:
        super().__init__()
        check_choice(weighting, 'weighting', WEIGHTINGS)
        check_int(num_levels, 'num_levels', 1)
        if not 0. <= delta < 1.:
            raise ValueError(f"delta must lie in [0, 1), got {delta}")
        if gamma < 0:
            raise ValueError(f"gamma must be >= 0, got {gamma}")
        self.num_levels, self.weighting, self.gamma = num_levels, weighting, gamma
        self.delta = delta
        self.ignore_index = ignore_index
        init = (
            torch.ones(num_levels)
            if weighting == 'adaptive'
            else gamma ** torch.arange(num_levels).double()
        )
        self.register_buffer('level_weights', init.float())  # gamma_l of Eq. 7 / Eq. 8
        # per class and composite (k + 1,), set by update_class_weights; all ones = unweighted
        self.register_buffer('class_weight',
                             None if num_classes is None else torch.ones(num_classes + 1))
        self.last_level_losses: Dict[int, Tensor] = {}

    @torch.no_grad()
    def update_class_weights(self, iou: Tensor, enhance_weight: float = 2.,
                             composite_weight: float = 2.) -> Tensor:
        r"""The released per-epoch class weighting: ``enhance_weight`` for the classes whose IoU is
        at or below the median IoU, 1 for the others, ``composite_weight`` for composite (the last
        entry).

        ``iou`` :math:`(k,)` holds the per-class IoU of the last evaluation (``nan`` for a class
        absent from it). The median is taken over the classes with an IoU (the released
        ``np.median`` returns ``nan`` if any is missing, and then no class is enhanced); absent
        classes keep weight 1. Returns the new weights :math:`(k + 1,)`, also kept in
        :attr:`class_weight`.
        """
        iou = torch.as_tensor(iou, dtype=torch.float64).flatten().cpu()
        if self.class_weight is not None and iou.numel() + 1 != self.class_weight.numel():
            raise ValueError(f"iou must have k = {self.class_weight.numel() - 1} entries, got "
                             f"{iou.numel()}")
        valid = ~torch.isnan(iou)
        if not bool(valid.any()):
            raise ValueError("iou must hold at least one class IoU that is not nan")
        v = iou[valid].sort().values
        mid = v.numel() // 2
        med = v[mid] if v.numel() % 2 else (v[mid - 1] + v[mid]) / 2  # np.median
        w = torch.ones(iou.numel() + 1, dtype=torch.float32)
        w[:-1][valid & (iou <= med)] = enhance_weight
        w[-1] = composite_weight
        if self.class_weight is None:
            self.class_weight = w.to(self.level_weights.device)
        else:
            self.class_weight.copy_(w)
        return self.class_weight

    def forward(self, output: Union[QGNOutput, Dict[int, Union[SparseMap, Tensor]]],
                pyramid: Sequence[Tensor]) -> Tensor:
        logits = output.logits if isinstance(output, QGNOutput) else output
        if not isinstance(logits, dict) or not logits:
            raise TypeError(f"output must be a QGNOutput or a non-empty dict level -> logits, "
                            f"got {type(output).__name__}")
        if not isinstance(pyramid, (list, tuple)) or len(pyramid) < self.num_levels:
            got = f'{len(pyramid)} levels' if isinstance(pyramid,
                                                         (list, tuple)) else type(pyramid).__name__
            raise ValueError(f"pyramid must be a list of {self.num_levels} T-pyramid levels, got "
                             f"{got}")
        bad = [lv for lv in logits if not 0 <= lv < self.num_levels]
        if bad:
            raise ValueError(f"logits levels must lie in [0, {self.num_levels - 1}], got "
                             f"{sorted(bad)}")
        losses = {lv: level_loss(q, pyramid[lv], self.ignore_index, self.class_weight)  # Eq. 4
                  for lv, q in logits.items()}
        weights = self.level_weights.clone()  # a snapshot: the Eq. 8 update below is in place
        total = sum(weights[lv].to(q.dtype) * q for lv, q in losses.items())  # Eq. 6
        self.last_level_losses = {lv: q.detach() for lv, q in losses.items()}
        if self.weighting == 'adaptive' and self.training and 0 in losses:
            ref = losses[0].detach()
            if float(ref) > 0:  # Eq. 8 running average of L_l / L_0
                with torch.no_grad():
                    for lv, q in losses.items():
                        if lv > 0:
                            self.level_weights[lv] = (
                                self.delta * self.level_weights[lv]
                                + (1 - self.delta) * (q.detach() / ref).float()
                            )
        return total

    def extra_repr(self) -> str:
        return (f'num_levels={self.num_levels}, weighting={self.weighting!r}, gamma={self.gamma}, '
                f'delta={self.delta}, ignore_index={self.ignore_index}')


__all__ = ['QGNLoss', 'level_loss', 'WEIGHTINGS']
