r"""Pixel-wise segmentation losses: cross-entropy, OHEM and bootstrapped cross-entropy.

Each returns the *sum* of the selected pixel losses and how many pixels were selected,
so the training loop can divide by the count over all processes: under DDP the
gradient is then exactly that of one process on the union batch (a per-process mean
averaged over processes is not, when processes see different numbers of labelled pixels).

* ``'ce'``: every labelled pixel.
* ``'ohem'`` (online hard example mining, as PSPNet / OCNet's ``OhemCrossEntropy``): the
  pixels whose predicted probability of the true class is :math:`\le \max(\tau, p_{(k)})`,
  :math:`\tau` = ``thresh``, :math:`p_{(k)}` the ``min_kept``-th smallest such probability,
  so at least ``min_kept`` pixels are kept.
* ``'bootstrap'`` (bootstrapped CE, Wu, Shen, van den Hengel 2016): the ``ratio`` fraction
  of each image's labelled pixels with the largest loss.
"""
from __future__ import annotations

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ..check import check_choice, check_floating, check_index, check_int, check_ndim, check_number


def pixel_losses(logits: Tensor, target: Tensor, ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    """Per-pixel cross-entropy :math:`(B, H, W)` (logits resized to the target) and the labelled mask."""
    if logits.shape[-2:] != target.shape[-2:]:
        logits = F.interpolate(logits, size=target.shape[-2:], mode='bilinear', align_corners=False)
    loss = F.cross_entropy(logits.float(), target, ignore_index=ignore_index, reduction='none')
    return loss, target != ignore_index


def segmentation_criterion(logits: Tensor, target: Tensor, kind: str = 'ce', *, ignore_index: int = 255,
                           ohem_thresh: float = 0.7, ohem_min_kept: int = 100000,
                           bootstrap_ratio: float = 0.25) -> Tuple[Tensor, Tensor]:
    """``(sum of selected pixel losses, number of selected pixels)`` for ``kind`` in ``'ce' | 'ohem' | 'bootstrap'``.

    Shapes:
        - **input:** logits :math:`(B, K, h, w)`, target :math:`(B, H, W)`
        - **output:** two scalars

    Target values are not range-checked here (it would cost a reduction per call on the training path):
    :func:`~graphseg.engine.train` and :func:`~graphseg.engine.segmentation_loss` check the labels once per batch.
    """
    check_choice(kind, 'loss', ('ce', 'ohem', 'bootstrap'))
    check_ndim(logits, 'logits', 4, '(B, K, h, w)')
    check_floating(logits, 'logits')
    check_ndim(target, 'target', 3, '(B, H, W)')
    check_index(target, 'target')
    if target.size(0) != logits.size(0):
        raise ValueError(f"target must have one map per image: B = {logits.size(0)}, got {tuple(target.shape)}")
    if not 0 < check_number(ohem_thresh, 'ohem_thresh') <= 1:
        raise ValueError(f"ohem_thresh must be in (0, 1], got {ohem_thresh!r}")
    check_int(ohem_min_kept, 'ohem_min_kept', 0)
    if not 0 < check_number(bootstrap_ratio, 'bootstrap_ratio') <= 1:
        raise ValueError(f"bootstrap_ratio must be in (0, 1], got {bootstrap_ratio!r}")
    loss, valid = pixel_losses(logits, target, ignore_index)
    if kind == 'ce':
        keep = valid
    elif kind == 'ohem':
        with torch.no_grad():
            p_true = torch.exp(-loss)  # softmax probability of the true class
            p_valid = p_true[valid]
            thresh = ohem_thresh
            if 0 < ohem_min_kept < p_valid.numel():
                kth = torch.kthvalue(p_valid, ohem_min_kept).values
                thresh = max(thresh, float(kth))
            keep = valid & (p_true <= thresh) if p_valid.numel() > ohem_min_kept else valid
    else:
        keep = torch.zeros_like(valid)
        for b in range(loss.size(0)):
            n = int(valid[b].sum())
            k = max(1, int(round(bootstrap_ratio * n))) if n else 0
            if k:
                idx = torch.nonzero(valid[b].flatten()).squeeze(1)
                top = loss[b].flatten()[idx].topk(k).indices
                keep[b].view(-1)[idx[top]] = True
    return (loss * keep).sum(), keep.sum()


__all__ = ['segmentation_criterion', 'pixel_losses']
