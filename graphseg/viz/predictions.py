"""Segmentation predictions: images, labels and each model's prediction in a grid with a class
legend."""
from __future__ import annotations

import math
from typing import Optional, Sequence

import matplotlib.pyplot as plt
from torch import Tensor

from ..check import as_image, check_index
from .style import MNIST_SEG_CLASSES, _to_hwc, add_class_legend, label_to_rgb


def plot_predictions(images: Tensor, labels: Tensor, preds: Sequence[Tensor], titles: Sequence[str],
                     *, num_classes: int = 11, ignore_index: int = 255,
                     class_names: Optional[Sequence[str]] = None):
    """Rows of images, ground-truth labels and each model's predicted labels (``graphseg demo``),
    with a class legend below.

    Args:
        images (Tensor): :math:`(B, C, H, W)` in ``[0, 1]``.
        labels (LongTensor): :math:`(B, H, W)`; ``ignore_index`` is drawn white.
        preds (sequence of LongTensor): one :math:`(B, H, W)` map per model.
        titles (sequence of str): one row title per model.
        num_classes (int): :math:`K`. (default: ``11``)
        ignore_index (int): (default: ``255``)
        class_names (sequence of str, optional): legend names (default: :data:`MNIST_SEG_CLASSES`
            for 11 classes, else ``class k``).

    Returns:
        The matplotlib figure.
    """

    if len(preds) != len(titles):
        raise ValueError(f"preds and titles must have the same length, got {len(preds)} and "
                         f"{len(titles)}")
    if class_names is None and num_classes == len(MNIST_SEG_CLASSES):
        class_names = MNIST_SEG_CLASSES
    images = as_image(images, 'images')
    if images.dim() != 4:
        raise ValueError(f"images must be a batch (B, C, H, W), got shape {tuple(images.shape)}")
    B, _, H, W = images.shape
    for name, lab in [('labels', labels)] + [(f'preds[{i}]', p) for i, p in enumerate(preds)]:
        check_index(lab, name)
        if tuple(lab.shape) != (B, H, W):
            raise ValueError(f"{name} must have shape (B, H, W) = {(B, H, W)}, got "
                             f"{tuple(lab.shape)}")
    n = images.size(0)
    rows = 2 + len(preds)
    legend_rows = math.ceil((num_classes + 1) / 6)
    fig, axes = plt.subplots(rows, n,
                             figsize=(max(1.6 * n, 6), 1.7 * rows + 0.25 * legend_rows + 0.2),
                             squeeze=False)
    for i in range(n):
        axes[0, i].imshow(_to_hwc(images[i]), cmap='gray' if images.size(1) == 1 else None)
        for r, lab in enumerate([labels] + list(preds), 1):
            axes[r, i].imshow(label_to_rgb(lab[i], num_classes, ignore_index),
                              interpolation='nearest')
    for r, name in enumerate(['image', 'label'] + list(titles)):
        axes[r, 0].set_ylabel(name, fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout(rect=(0, 0.3 * legend_rows / (1.7 * rows + 0.3 * legend_rows), 1, 1))
    add_class_legend(fig, num_classes, class_names, ignore_index=ignore_index)
    return fig


__all__ = ['plot_predictions']
