"""A small, explicit training loop for segmentation models.

A segmentation model returns ``{'out': logits (B, K, H, W), 'aux': ...}`` from
``forward`` (the registry's output convention) and is trained with cross-entropy
on ``'out'`` plus ``aux_weight`` times the cross-entropy on ``'aux'`` when
present; or it defines ``compute_loss(images, labels) -> Tensor`` for its own
objective (e.g. QGN's per-level quadtree loss).
"""
from __future__ import annotations

import itertools
from typing import Callable, Dict, Iterator, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from ..check import check_device, check_index, check_ndim
from .config import TrainConfig


def model_logits(output) -> Tensor:
    """The logits of a model's output: ``output['out']`` (the output convention) or a plain tensor."""
    if isinstance(output, dict):
        if 'out' not in output:
            raise TypeError(f"a segmentation model must return a dict with key 'out', got keys {sorted(output)}")
        return output['out']
    if isinstance(output, Tensor):
        return output
    raise TypeError(f"a segmentation model must return {{'out': logits, ...}} or a logits tensor, "
                    f"got {type(output).__name__}")


def _check_labels(labels: Tensor, images: Tensor, num_classes: int, ignore_index: int) -> None:
    check_index(labels, 'labels')
    check_ndim(labels, 'labels', 3, '(B, H, W)')
    if labels.size(0) != images.size(0):
        raise ValueError(f"labels must have one map per image: B = {images.size(0)}, got {tuple(labels.shape)}")
    valid = labels[labels != ignore_index]
    if valid.numel() and (int(valid.min()) < 0 or int(valid.max()) >= num_classes):
        bad = int(valid.max()) if int(valid.max()) >= num_classes else int(valid.min())
        raise ValueError(f"labels must lie in [0, {num_classes - 1}] or be ignore_index = {ignore_index}, got {bad}")


def _cross_entropy(logits: Tensor, labels: Tensor, ignore_index: int) -> Tensor:
    if logits.shape[-2:] != labels.shape[-2:]:
        logits = F.interpolate(logits, size=labels.shape[-2:], mode='bilinear', align_corners=False)
    return F.cross_entropy(logits, labels, ignore_index=ignore_index)


def segmentation_loss(model: nn.Module, images: Tensor, labels: Tensor, ignore_index: int = 255,
                      aux_weight: float = 0.4) -> Tensor:
    """The model's own ``compute_loss`` if it has one, else pixel-wise cross-entropy on ``'out'``
    plus ``aux_weight`` x cross-entropy on ``'aux'`` (when the model returns it)."""
    if hasattr(model, 'compute_loss'):
        return model.compute_loss(images, labels)
    check_index(labels, 'labels')
    check_ndim(labels, 'labels', 3, '(B, H, W)')
    output = model(images)
    logits = model_logits(output)
    _check_labels(labels, images, logits.size(1), ignore_index)
    loss = _cross_entropy(logits, labels, ignore_index)
    if isinstance(output, dict) and output.get('aux') is not None and aux_weight:
        loss = loss + aux_weight * _cross_entropy(output['aux'], labels, ignore_index)
    return loss


def _forever(loader: DataLoader) -> Iterator:
    while True:
        yield from loader


def train(model: nn.Module, dataset: Dataset, config: Optional[TrainConfig] = None, *, ignore_index: int = 255,
          progress: bool = True, on_log: Optional[Callable[[Dict[str, float]], None]] = None) -> List[Dict[str, float]]:
    """Train ``model`` on ``dataset`` (pairs ``(image, label)``) with AdamW and a poly learning-rate decay.

    Returns the log: one ``{'step', 'loss', 'lr'}`` dict every ``config.log_every`` steps
    (loss averaged over those steps).
    """
    from tqdm import tqdm

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig (see load_config), got {type(config).__name__}")
    device = check_device(config.device, 'config.device', available=True)
    torch.manual_seed(config.seed)
    model.to(device).train()
    g = torch.Generator().manual_seed(config.seed)
    loader = DataLoader(dataset, batch_size=config.batch_size, shuffle=True, drop_last=True,
                        num_workers=config.num_workers, generator=g)
    if len(loader) == 0:
        raise ValueError(f"dataset has {len(dataset)} samples, fewer than batch_size={config.batch_size}")
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (1 - s / config.steps) ** 0.9)
    log: List[Dict[str, float]] = []
    running = 0.0
    bar = tqdm(itertools.islice(_forever(loader), config.steps), total=config.steps, disable=not progress,
               desc=f'train {type(model).__name__}', unit='step')
    for step, (images, labels) in enumerate(bar, 1):
        images, labels = images.to(device), labels.to(device)
        loss = segmentation_loss(model, images, labels, ignore_index, config.aux_weight)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss became {float(loss)} at step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running += float(loss.detach())
        if step % config.log_every == 0 or step == config.steps:
            n = (step - 1) % config.log_every + 1
            entry = {'step': step, 'loss': running / n, 'lr': opt.param_groups[0]['lr']}
            log.append(entry)
            running = 0.0
            bar.set_postfix(loss=f'{entry["loss"]:.3f}')
            if on_log is not None:
                on_log(entry)
    return log


__all__ = ['train', 'segmentation_loss', 'model_logits']
