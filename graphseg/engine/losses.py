r"""Pixel-wise segmentation losses (cross-entropy, OHEM and bootstrapped cross-entropy) and a
model's loss terms (:class:`Objective`: ``'out'`` plus ``aux_weight`` times ``'aux'``, or the
model's own ``compute_loss``).

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

from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import distributed as comm
from ..check import check_choice, check_floating, check_index, check_int, check_ndim, check_number
from ..models.registry import model_logits
from .config import TrainConfig


def pixel_losses(logits: Tensor, target: Tensor, ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    """Per-pixel cross-entropy :math:`(B, H, W)` (logits resized to the target) and the labelled
    mask."""
    if logits.shape[-2:] != target.shape[-2:]:
        logits = F.interpolate(logits, size=target.shape[-2:], mode='bilinear', align_corners=False)
    loss = F.cross_entropy(logits.float(), target, ignore_index=ignore_index, reduction='none')
    return loss, target != ignore_index


def segmentation_criterion(logits: Tensor, target: Tensor, kind: str = 'ce', *,
                           ignore_index: int = 255, ohem_thresh: float = 0.7,
                           ohem_min_kept: int = 100000,
                           bootstrap_ratio: float = 0.25) -> Tuple[Tensor, Tensor]:
    """``(sum of selected pixel losses, number of selected pixels)`` for ``kind`` in
    ``'ce' | 'ohem' | 'bootstrap'``.

    Shapes:
        - **input:** logits :math:`(B, K, h, w)`, target :math:`(B, H, W)`
        - **output:** two scalars

    Target values are not range-checked here (it would cost a reduction per call on the training
    path): :func:`~graphseg.engine.train` and :func:`~graphseg.engine.segmentation_loss` check the
    labels once per batch.
    """
    check_choice(kind, 'loss', ('ce', 'ohem', 'bootstrap'))
    check_ndim(logits, 'logits', 4, '(B, K, h, w)')
    check_floating(logits, 'logits')
    check_ndim(target, 'target', 3, '(B, H, W)')
    check_index(target, 'target')
    if target.size(0) != logits.size(0):
        raise ValueError(f"target must have one map per image: B = {logits.size(0)}, got "
                         f"{tuple(target.shape)}")
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


# --- a model's loss terms
# ----------------------------------------------------------------------------

def check_labels(labels: Tensor, images: Tensor, num_classes: int, ignore_index: int) -> None:
    """Raise unless ``labels`` is an integer ``(B, H, W)`` map per image with values in ``[0, K)``
    or ``ignore_index`` (one reduction per batch: no per-pixel Python)."""
    check_index(labels, 'labels')
    check_ndim(labels, 'labels', 3, '(B, H, W)')
    if labels.size(0) != images.size(0):
        raise ValueError(f"labels must have one map per image: B = {images.size(0)}, got "
                         f"{tuple(labels.shape)}")
    out_of_range = ((labels < 0) | (labels >= num_classes)) & (labels != ignore_index)
    # one reduction and one host sync per batch; the message only on failure
    if bool(out_of_range.any()):
        bad = int(labels[out_of_range][0])
        raise ValueError(f"labels must lie in [0, {num_classes - 1}] or be ignore_index = "
                         f"{ignore_index}, got {bad}")


class Objective(nn.Module):
    """Wraps a model so one ``forward(images, labels)`` returns its loss terms (what DDP wraps, so
    gradients are synchronised also for models with their own ``compute_loss``).

    Returns ``{'sums': (T,), 'counts': (T,)}`` (term ``t`` = sum of selected pixel losses and their
    number; ``out`` then ``aux``) or ``{'loss': scalar}`` for models with ``compute_loss``."""

    def __init__(self, model: nn.Module, config: TrainConfig, ignore_index: int = 255) -> None:
        super().__init__()
        self.model, self.config, self.ignore_index = model, config, ignore_index

    def forward(self, images: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        if hasattr(self.model, 'compute_loss'):
            return {'loss': self.model.compute_loss(images, labels)}
        c = self.config
        output = self.model(images)
        K = model_logits(output).size(1)
        # one-channel outputs: binary {0, 1}
        check_labels(labels, images, max(K, 2), self.ignore_index)
        kw = dict(ignore_index=self.ignore_index, ohem_thresh=c.ohem_thresh,
                  ohem_min_kept=c.ohem_min_kept, bootstrap_ratio=c.bootstrap_ratio)
        terms = [segmentation_criterion(model_logits(output), labels, c.loss, **kw)]
        if isinstance(output, dict) and output.get('aux') is not None and c.aux_weight:
            terms.append(segmentation_criterion(output['aux'], labels, c.loss, **kw))
        return {'sums': torch.stack([t[0] for t in terms]),
                'counts': torch.stack([t[1] for t in terms]).float()}


def combine_terms(terms: Dict[str, Tensor], aux_weight: float) -> Tensor:
    """The scalar to back-propagate: each term's sum over the *global* count, times the world size
    (DDP averages gradients over ranks, so the result equals one process on the union batch)."""
    if 'loss' in terms:
        return terms['loss']
    counts = comm.all_reduce_sum(terms['counts'].detach()).clamp_min(1)
    weights = torch.tensor([1.0] + [aux_weight] * (len(counts) - 1), device=counts.device)
    return (terms['sums'] / counts * weights).sum() * comm.get_world_size()


def segmentation_loss(model: nn.Module, images: Tensor, labels: Tensor, ignore_index: int = 255,
                      aux_weight: float = 0.4, loss: str = 'ce') -> Tensor:
    """The model's own ``compute_loss`` if it has one, else the mean pixel loss on ``'out'`` plus
    ``aux_weight`` x the same on ``'aux'`` (single process)."""
    config = TrainConfig(aux_weight=aux_weight, loss=loss)
    terms = Objective(model, config, ignore_index)(images, labels)
    if 'loss' in terms:
        return terms['loss']
    weights = torch.tensor([1.0] + [aux_weight] * (len(terms['sums']) - 1), device=images.device)
    return (terms['sums'] / terms['counts'].clamp_min(1) * weights).sum()


__all__ = ['segmentation_criterion', 'pixel_losses', 'check_labels', 'Objective', 'combine_terms',
           'segmentation_loss']
