r"""Evaluation: predictions (multi-scale + flip testing) and a dataset's metrics, on one or many
processes.

Multi-scale + flip testing (PSPNet, RGNet, HG-ResNet): the image is resized by each
factor in ``scales`` (bilinear), optionally also mirrored; each output's softmax is
resized back to the input size (mirrored back) and the probabilities are averaged.
``size_divisor`` pads each input at the bottom/right to a multiple (QGN, HyperSeg need
32) and crops the output. Under DDP each rank evaluates ``rank, rank + N, ...`` of the
dataset and the metric states are summed with ``all_reduce``: the result equals one
process on the whole dataset.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm import tqdm

from ..check import check_choice, check_device, check_image_batch, check_int
from .. import distributed as comm
from ..models.registry import model_logits
from .metrics import Metric, RoadMetrics, SaliencyMetrics, SegmentationMetrics



def _labels(model: nn.Module, images: Tensor, scales: Sequence[float], flip: bool,
            size_divisor: int) -> Tensor:
    return predict(model, images, scales, flip, size_divisor)


def _foreground(model: nn.Module, images: Tensor, scales: Sequence[float], flip: bool,
                size_divisor: int) -> Tensor:
    return predict_probs(model, images, scales, flip, size_divisor)[:, 1]


@dataclass(frozen=True)
class Task:
    """How :func:`evaluate` scores one task: the metric, and what of the model's output it is
    given."""
    # (num_classes, ignore_index, apls) -> a fresh metric
    metric: Callable[[int, int, bool], Metric]
    # (model, images, scales, flip, size_divisor) -> what update() takes
    prediction: Callable[..., Tensor]


#: task -> how it is evaluated (``eval.task`` of a run config)
TASKS: Dict[str, Task] = {
    'semantic': Task(lambda k, ignore, apls: SegmentationMetrics(k, ignore), _labels),
    'saliency': Task(lambda k, ignore, apls: SaliencyMetrics(), _foreground),
    'road': Task(lambda k, ignore, apls: RoadMetrics(ignore, apls=apls), _labels),
}


def _check_tta(scales: Sequence[float], size_divisor: int) -> None:
    """``scales`` a non-empty sequence of finite factors > 0, ``size_divisor`` an int >= 1."""
    if (
        isinstance(scales, (str, bytes))
        or not isinstance(scales, Sequence)
        or not scales
        or not all(
            isinstance(s, (int, float)) and not isinstance(s, bool) and 0 < s < float('inf')
            for s in scales
        )
    ):
        raise ValueError("scales must be a non-empty sequence of finite factors > 0, got "
                         f"{scales!r}")
    check_int(size_divisor, 'size_divisor', 1)


def _pad(images: Tensor, divisor: int) -> Tensor:
    H, W = images.shape[-2:]
    ph, pw = (-H) % divisor, (-W) % divisor
    return F.pad(images, (0, pw, 0, ph)) if ph or pw else images


def _logits(model: nn.Module, images: Tensor, size_divisor: int) -> Tensor:
    H, W = images.shape[-2:]
    logits = model_logits(model(_pad(images, size_divisor)))
    if size_divisor > 1 and logits.shape[-2:] != images.shape[-2:]:
        h, w = logits.shape[-2:]
        Hp, Wp = H + (-H) % size_divisor, W + (-W) % size_divisor
        if (h, w) == (Hp, Wp):
            logits = logits[..., :H, :W]
    return logits


def _probs(logits: Tensor) -> Tensor:
    """Class probabilities; one-channel (binary) outputs become ``[1 - sigmoid, sigmoid]``."""
    if logits.size(1) == 1:
        p = torch.sigmoid(logits.float())
        return torch.cat([1 - p, p], 1)
    return logits.float().softmax(1)


@torch.no_grad()
def predict_probs(model: nn.Module, images: Tensor, scales: Sequence[float] = (1.0,),
                  flip: bool = False, size_divisor: int = 1) -> Tensor:
    r"""Class probabilities :math:`(B, K, H, W)` averaged over ``scales`` (and mirror images with
    ``flip``)."""
    check_image_batch(images, 'images', None)
    _check_tta(scales, size_divisor)
    H, W = images.shape[-2:]
    total: Optional[Tensor] = None
    n = 0
    for s in scales:
        x = images if s == 1 else F.interpolate(images, scale_factor=s, mode='bilinear',
                                                align_corners=False, recompute_scale_factor=False)
        for mirrored in ((False, True) if flip else (False,)):
            xi = x.flip(-1) if mirrored else x
            p = _probs(_logits(model, xi, size_divisor))
            if mirrored:
                p = p.flip(-1)
            if p.shape[-2:] != (H, W):
                p = F.interpolate(p, size=(H, W), mode='bilinear', align_corners=False)
            total = p if total is None else total + p
            n += 1
    return total / n


@torch.no_grad()
def predict(model: nn.Module, images: Tensor, scales: Sequence[float] = (1.0,), flip: bool = False,
            size_divisor: int = 1) -> Tensor:
    """Label maps :math:`(B, H, W)` at input resolution. Single-scale without flip: the model's
    ``predict`` if it has one (QGN's quadtree inference), else the arg-max of the logits; otherwise
    of :func:`predict_probs`."""
    check_image_batch(images, 'images', None)
    _check_tta(scales, size_divisor)
    if tuple(scales) == (1.0,) and not flip:
        if hasattr(model, 'predict'):
            H, W = images.shape[-2:]
            return model.predict(_pad(images, size_divisor))[..., :H, :W]
        logits = _logits(model, images, size_divisor)
        if logits.size(1) == 1:
            return (logits[:, 0] > 0).long()
        if logits.shape[-2:] != images.shape[-2:]:
            logits = F.interpolate(logits, size=images.shape[-2:], mode='bilinear',
                                   align_corners=False)
        return logits.argmax(1)
    return predict_probs(model, images, scales, flip, size_divisor).argmax(1)


def _collate(batch):
    return batch


def _groups(batch) -> List[List]:
    """Consecutive samples of equal size (stackable)."""
    out: List[List] = []
    for item in batch:
        if out and out[-1][0][0].shape == item[0].shape:
            out[-1].append(item)
        else:
            out.append([item])
    return out


@torch.no_grad()
def evaluate(model: nn.Module, dataset: Dataset, num_classes: int, *, ignore_index: int = 255,
             batch_size: int = 1, device: str = 'cpu', scales: Sequence[float] = (1.0,),
             flip: bool = False, size_divisor: int = 1, task: str = 'semantic', apls: bool = True,
             progress: bool = False, transform: Optional[Callable] = None,
             num_workers: int = 0) -> Dict[str, object]:
    """Metrics of ``model`` on ``dataset`` (eval mode; the model's training mode is restored).

    ``task``: ``'semantic'`` -> ``miou``, ``iou``, ``pixel_acc``, ``mean_acc``; ``'saliency'`` ->
    ``max_f``, ``mean_f``, ``mae``, ``s_measure``; ``'road'`` -> ``road_iou``, ``apls``, ``miou``,
    ``pixel_acc``. Images of different sizes are evaluated in separate batches.
    """

    check_choice(task, 'task', tuple(TASKS))
    check_int(num_classes, 'num_classes', 1)
    check_int(batch_size, 'batch_size', 1)
    check_int(size_divisor, 'size_divisor', 1)
    check_int(num_workers, 'num_workers', 0)
    device = check_device(device, 'device', available=True)
    was_training = model.training
    model.to(device).eval()
    metrics, prediction = TASKS[task].metric(num_classes, ignore_index,
                                             apls), TASKS[task].prediction
    shard = Subset(comm.SeededTransform(dataset, transform), comm.eval_shard(len(dataset)))
    loader = DataLoader(shard, batch_size=batch_size, collate_fn=_collate, num_workers=num_workers)
    bar = tqdm(loader, desc='evaluate', unit='batch',
               disable=not (progress and comm.is_main_process()), leave=False, dynamic_ncols=True)
    for batch in bar:
        for group in _groups(batch):
            images = torch.stack([g[0] for g in group]).to(device)
            labels = torch.stack([g[1] for g in group]).to(device)
            metrics.update(prediction(model, images, scales, flip, size_divisor), labels)
    model.train(was_training)
    if comm.is_distributed():
        metrics.load_state(comm.all_reduce_sum(metrics.state().to(device)))
    return metrics.compute()


__all__ = ['predict', 'predict_probs', 'evaluate', 'Task', 'TASKS']
