"""Evaluation: predicted label maps and mIoU over a dataset."""
from __future__ import annotations

from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from ..check import check_device, check_image_batch, check_int
from .metrics import SegmentationMetrics
from .train import model_logits


@torch.no_grad()
def predict(model: nn.Module, images: Tensor) -> Tensor:
    """Label maps ``(B, H, W)`` at input resolution: the model's ``predict`` if it has one, else argmax of logits."""
    check_image_batch(images, 'images', None)
    if hasattr(model, 'predict'):
        return model.predict(images)
    logits = model_logits(model(images))
    if logits.shape[-2:] != images.shape[-2:]:
        logits = F.interpolate(logits, size=images.shape[-2:], mode='bilinear', align_corners=False)
    return logits.argmax(1)


@torch.no_grad()
def evaluate(model: nn.Module, dataset: Dataset, num_classes: int, *, ignore_index: int = 255,
             batch_size: int = 32, device: str = 'cpu') -> Dict[str, object]:
    """mIoU, per-class IoU, pixel and mean accuracy of ``model`` on ``dataset`` (eval mode)."""
    check_int(num_classes, 'num_classes', 1)
    check_int(batch_size, 'batch_size', 1)
    device = check_device(device, 'device', available=True)
    was_training = model.training
    model.to(device).eval()
    metrics = SegmentationMetrics(num_classes, ignore_index)
    for images, labels in DataLoader(dataset, batch_size=batch_size):
        metrics.update(predict(model, images.to(device)), labels.to(device))
    model.train(was_training)
    return metrics.compute()


__all__ = ['predict', 'evaluate']
