r"""Segmentation metrics from an accumulated confusion matrix (mIoU, pixel and mean accuracy).

:math:`\mathrm{IoU}_c = \frac{TP_c}{TP_c + FP_c + FN_c}`; classes that occur
neither in the prediction nor in the target of the whole evaluated set have no
IoU (NaN) and are left out of the mean, the usual Cityscapes/VOC convention.
Pixels whose target is ``ignore_index`` are not counted.
"""
from __future__ import annotations

from typing import Dict, Optional

import torch
from torch import Tensor

from ...check import check_index, check_int, check_tensor


def confusion_matrix(pred: Tensor, target: Tensor, num_classes: int,
                     ignore_index: Optional[int] = 255) -> Tensor:
    r"""Confusion matrix ``cm[t, p]`` = number of pixels of true class ``t`` predicted as ``p``.

    Args:
        pred (LongTensor): predicted labels, or logits with the class axis at dim 1.
        target (LongTensor): true labels; ``ignore_index`` pixels are skipped.
        num_classes (int): :math:`K`.
        ignore_index (int, optional): label to skip. (default: ``255``)

    Shapes:
        - **input:** pred :math:`(B, H, W)` or :math:`(B, K, H, W)`, target :math:`(B, H, W)`
        - **output:** :math:`(K, K)` long
    """
    check_tensor(pred, 'pred')
    check_index(target, 'target')
    check_int(num_classes, 'num_classes', 1)
    if pred.is_floating_point():
        if pred.dim() != target.dim() + 1 or pred.size(1) != num_classes:
            raise ValueError(f"logits pred must have shape (B, K={num_classes}, *spatial) "
                             f"matching target {tuple(target.shape)}, got {tuple(pred.shape)}")
        pred = pred.argmax(1)
    if pred.shape != target.shape:
        raise ValueError(f"pred must have the shape of target {tuple(target.shape)}, got "
                         f"{tuple(pred.shape)}")
    valid = (
        target != ignore_index
        if ignore_index is not None
        else torch.ones_like(target, dtype=torch.bool)
    )
    t, p = target[valid].long(), pred[valid].long()
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= num_classes):
        raise ValueError(f"target labels must be in [0, {num_classes - 1}] or "
                         f"ignore_index={ignore_index}, got [{int(t.min())}, {int(t.max())}]")
    if p.numel() and (int(p.min()) < 0 or int(p.max()) >= num_classes):
        raise ValueError(f"pred labels must be in [0, {num_classes - 1}], got [{int(p.min())}, "
                         f"{int(p.max())}]")
    return torch.bincount(t * num_classes + p, minlength=num_classes ** 2).view(num_classes,
                                                                                num_classes)


def iou_from_confusion(cm: Tensor) -> Tensor:
    """Per-class IoU from a confusion matrix; NaN for classes absent from both target and
    prediction."""
    check_tensor(cm, 'cm')
    if cm.dim() != 2 or cm.size(0) != cm.size(1):
        raise ValueError(f"cm must be a square (K, K) matrix, got shape {tuple(cm.shape)}")
    cm = cm.double()
    tp = cm.diagonal()
    union = cm.sum(0) + cm.sum(1) - tp
    return torch.where(union > 0, tp / union.clamp_min(1), torch.full_like(tp, float('nan')))


class SegmentationMetrics:
    """Accumulates a confusion matrix over batches; :meth:`compute` gives mIoU and accuracies.

    Args:
        num_classes (int): :math:`K`.
        ignore_index (int, optional): target label to skip. (default: ``255``)
    """

    def __init__(self, num_classes: int, ignore_index: Optional[int] = 255) -> None:
        check_int(num_classes, 'num_classes', 1)
        self.num_classes, self.ignore_index = num_classes, ignore_index
        self.reset()

    def reset(self) -> None:
        self.cm = torch.zeros(self.num_classes, self.num_classes, dtype=torch.long)

    @torch.no_grad()
    def update(self, pred: Tensor, target: Tensor) -> None:
        self.cm += confusion_matrix(pred, target, self.num_classes, self.ignore_index).cpu()

    def state(self) -> Tensor:
        """The confusion matrix, flattened: the states of several processes sum to the state of one
        process that saw every image."""
        return self.cm.flatten().clone()

    def load_state(self, state: Tensor) -> None:
        """Restore what :meth:`state` returned (e.g. after summing it over processes)."""
        K = self.num_classes
        if state.numel() != K * K:
            raise ValueError(f"state must have num_classes ** 2 = {K * K} entries, got "
                             f"{state.numel()}")
        self.cm = state.detach().cpu().round().long().view(K, K) if state.is_floating_point() \
            else state.detach().cpu().long().view(K, K).clone()

    def compute(self) -> Dict[str, object]:
        iou = iou_from_confusion(self.cm)
        cm = self.cm.double()
        total = cm.sum()
        per_class_acc = cm.diagonal() / cm.sum(1).clamp_min(1)
        present = cm.sum(1) > 0
        return {
            'miou': float(iou.nanmean()) if bool((~iou.isnan()).any()) else float('nan'),
            'iou': iou.tolist(),
            'pixel_acc': float(cm.diagonal().sum() / total) if total > 0 else float('nan'),
            'mean_acc': float(per_class_acc[present].mean())
            if bool(present.any())
            else float('nan'),
        }

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index})')


__all__ = ['confusion_matrix', 'iou_from_confusion', 'SegmentationMetrics']
