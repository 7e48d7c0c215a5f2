"""The training loop: poly LR, SGD/AdamW/Adam, auxiliary and OHEM/bootstrapped losses, AMP, gradient clipping,
DDP, atomic checkpoints and a bit-exact ``resume``.

A segmentation model returns ``{'out': logits (B, K, H, W), 'aux': ...}`` (the registry's
output convention) and is trained with :func:`~graphseg.engine.losses.segmentation_criterion`
on ``'out'`` plus ``aux_weight`` times the same on ``'aux'``; or it defines
``compute_loss(images, labels) -> Tensor`` for its own objective (QGN's level loss, Eq. 4/6).

Reproducibility: the data order comes from :class:`~graphseg.engine.distributed.ShardedSampler`
(seeded per epoch), each sample's augmentation from its own generator, and a checkpoint
holds the model, optimiser, scheduler, AMP scaler, every process's RNG states and the
step; resuming from step ``k`` continues with exactly the batches, augmentations and
random draws of an uninterrupted run (bit-exact on CPU, tested).
"""
from __future__ import annotations

import contextlib
import math
import os
import time
from typing import Any, Callable, Dict, List, Optional, Union

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from ..check import check_device, check_index, check_ndim
from . import distributed as D
from .checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from .config import TrainConfig
from .losses import segmentation_criterion


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


def check_labels(labels: Tensor, images: Tensor, num_classes: int, ignore_index: int) -> None:
    """Raise unless ``labels`` is an integer ``(B, H, W)`` map per image with values in ``[0, K)`` or
    ``ignore_index`` (one reduction per batch: no per-pixel Python)."""
    check_index(labels, 'labels')
    check_ndim(labels, 'labels', 3, '(B, H, W)')
    if labels.size(0) != images.size(0):
        raise ValueError(f"labels must have one map per image: B = {images.size(0)}, got {tuple(labels.shape)}")
    out_of_range = ((labels < 0) | (labels >= num_classes)) & (labels != ignore_index)
    if bool(out_of_range.any()):  # one reduction and one host sync per batch; the message only on failure
        bad = int(labels[out_of_range][0])
        raise ValueError(f"labels must lie in [0, {num_classes - 1}] or be ignore_index = {ignore_index}, got {bad}")


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
        check_labels(labels, images, max(K, 2), self.ignore_index)  # one-channel outputs: binary {0, 1}
        kw = dict(ignore_index=self.ignore_index, ohem_thresh=c.ohem_thresh, ohem_min_kept=c.ohem_min_kept,
                  bootstrap_ratio=c.bootstrap_ratio)
        terms = [segmentation_criterion(model_logits(output), labels, c.loss, **kw)]
        if isinstance(output, dict) and output.get('aux') is not None and c.aux_weight:
            terms.append(segmentation_criterion(output['aux'], labels, c.loss, **kw))
        return {'sums': torch.stack([t[0] for t in terms]), 'counts': torch.stack([t[1] for t in terms]).float()}


def combine_terms(terms: Dict[str, Tensor], aux_weight: float) -> Tensor:
    """The scalar to back-propagate: each term's sum over the *global* count, times the world size
    (DDP averages gradients over ranks, so the result equals one process on the union batch)."""
    if 'loss' in terms:
        return terms['loss']
    counts = D.all_reduce_sum(terms['counts'].detach()).clamp_min(1)
    weights = torch.tensor([1.0] + [aux_weight] * (len(counts) - 1), device=counts.device)
    return (terms['sums'] / counts * weights).sum() * D.get_world_size()


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


def poly_lambda(steps: int, power: float = 0.9, warmup: int = 0) -> Callable[[int], float]:
    """LR factor at step ``s``: linear warm-up for ``warmup`` steps, then :math:`(1 - s'/S')^{p}`."""
    def f(s: int) -> float:
        if s < warmup:
            return (s + 1) / warmup
        return max(0.0, 1 - (s - warmup) / max(1, steps - warmup)) ** power
    return f


def build_optimizer(params, config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == 'sgd':
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    cls = torch.optim.AdamW if config.optimizer == 'adamw' else torch.optim.Adam
    return cls(params, lr=config.lr, betas=tuple(config.betas), weight_decay=config.weight_decay)


@contextlib.contextmanager
def deterministic_mode(on: bool = True):
    """Within the block, :func:`set_deterministic` (when ``on``); the previous settings are restored after."""
    if not on:
        yield
        return
    saved = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
             torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    set_deterministic(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = saved[2], saved[3]


def set_deterministic(on: bool = True) -> None:
    """Deterministic kernels (warn where none exists) and no cuDNN autotuning."""
    if on:
        os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
    torch.use_deterministic_algorithms(on, warn_only=True)
    torch.backends.cudnn.benchmark = not on
    torch.backends.cudnn.deterministic = on


def train(model: nn.Module, dataset: Dataset, config: Optional[TrainConfig] = None, *, ignore_index: int = 255,
          transform: Optional[Callable] = None, progress: bool = True,
          on_log: Optional[Callable[[Dict[str, float]], None]] = None,
          checkpoint_path: Optional[Union[str, os.PathLike]] = None,
          resume: Union[str, os.PathLike, Dict[str, Any], None] = None,
          sync_bn: bool = False, find_unused_parameters: bool = False,
          validate: Optional[Callable[[nn.Module], Dict[str, Any]]] = None,
          on_step: Optional[Callable[[int], None]] = None) -> List[Dict[str, float]]:
    """Train ``model`` (in place) on ``dataset`` of ``(image, target)`` pairs.

    Args:
        model: a segmentation model (not wrapped; DDP wrapping happens here when a process group exists).
        dataset: ``(image, target)`` pairs; ``transform(image, target, generator)`` is applied per sample with
            a generator seeded from ``(config.seed, epoch, index)``.
        config: :class:`TrainConfig`. ``batch_size`` is the global batch, divided among DDP ranks.
        checkpoint_path: where checkpoints go (every ``config.checkpoint_every`` steps and at the end).
        resume: a checkpoint (path or dict) to continue from.
        sync_bn: synchronised BatchNorm across ranks (:func:`~graphseg.engine.distributed.convert_sync_batchnorm`).
        validate: called as ``validate(model)`` every ``config.eval_every`` steps; its dict is logged.
        on_step: called with the step number after each step (and checkpoint).

    Returns:
        the log: one ``{'step', 'loss', 'lr', 'images_per_s', 'epoch'}`` dict every ``config.log_every`` steps
        (loss averaged over those steps and over all processes).
    """
    from tqdm import tqdm

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig (see load_config), got {type(config).__name__}")
    check_device(config.device, 'config.device', available=True)
    with deterministic_mode(config.deterministic):  # deterministic mode is for this run only
        device = torch.device(config.device)
        world = D.get_world_size()
        if config.batch_size % world:
            raise ValueError(f"batch_size must be divisible by the number of processes ({world}), "
                             f"got {config.batch_size}")
        per_rank = config.batch_size // world
        torch.manual_seed(config.seed)
        if sync_bn and world > 1:
            converted = D.convert_sync_batchnorm(model, device)
            if converted is not model:
                raise TypeError("sync_bn: the model itself must not be a BatchNorm layer")
        model.to(device).train()
        objective: nn.Module = Objective(model, config, ignore_index)
        if D.is_distributed():
            objective = nn.parallel.DistributedDataParallel(
                objective, device_ids=[device.index] if device.type == 'cuda' else None,
                find_unused_parameters=find_unused_parameters)
        sampler = D.ShardedSampler(dataset, seed=config.seed)
        loader = DataLoader(D.SeededTransform(dataset, transform), batch_size=per_rank, sampler=sampler, drop_last=True,
                            num_workers=config.num_workers, generator=torch.Generator().manual_seed(config.seed),
                            pin_memory=device.type == 'cuda')
        batches_per_epoch = sampler.num_samples // per_rank
        if batches_per_epoch == 0:
            raise ValueError(f"dataset has {len(dataset)} samples, fewer than batch_size={config.batch_size}")
        opt = build_optimizer(model.parameters(), config)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, poly_lambda(config.steps, config.poly_power, config.warmup_steps))
        amp = config.amp and device.type == 'cuda'
        scaler = torch.amp.GradScaler(device.type, enabled=amp)
        step, log = 0, []
        if resume is not None:
            ckpt = resume if isinstance(resume, dict) else load_checkpoint(resume, map_location=device)
            model.load_state_dict(ckpt['model'])
            opt.load_state_dict(ckpt['optimizer'])
            sched.load_state_dict(ckpt['scheduler'])
            scaler.load_state_dict(ckpt['scaler'])
            step, log = int(ckpt['step']), list(ckpt.get('log', []))
            states = ckpt['rng']
            set_rng_state(states[D.get_rank()] if len(states) == world else states[0])

        def checkpoint() -> None:
            states = D.all_gather_object(rng_state())
            if checkpoint_path is not None and D.is_main_process():
                save_checkpoint({'model': model.state_dict(), 'optimizer': opt.state_dict(),
                                 'scheduler': sched.state_dict(), 'scaler': scaler.state_dict(), 'step': step,
                                 'epoch': step // batches_per_epoch, 'rng': states, 'log': log,
                                 'config': vars(config).copy()}, checkpoint_path)
            D.barrier()

        bar = tqdm(total=config.steps, initial=step, disable=not (progress and D.is_main_process()),
                   desc=f'train {type(model).__name__}', unit='step', dynamic_ncols=True)
        running, t0, images_seen = 0.0, time.perf_counter(), 0
        while step < config.steps:
            epoch, offset = divmod(step, batches_per_epoch)
            sampler.set_epoch(epoch)
            sampler.set_start(offset * per_rank)
            for images, labels in loader:
                images = images.to(device, non_blocking=True)
                labels = labels.to(device, non_blocking=True)
                with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
                    terms = objective(images, labels)
                loss = combine_terms(terms, config.aux_weight)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"loss became {float(loss)} at step {step + 1}")
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                if config.grad_clip is not None:
                    scaler.unscale_(opt)
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                scaler.step(opt)
                scaler.update()
                sched.step()
                step += 1
                running += float(loss.detach())
                images_seen += images.size(0) * world
                bar.update(1)
                if step % config.log_every == 0 or step == config.steps:
                    n = (step - 1) % config.log_every + 1
                    mean = float(D.all_reduce_sum(torch.tensor(running, device=device))) / world / n
                    dt = time.perf_counter() - t0
                    entry = {'step': step, 'epoch': epoch, 'loss': mean, 'lr': opt.param_groups[0]['lr'],
                             'images_per_s': images_seen / dt if dt > 0 else math.nan}
                    running, t0, images_seen = 0.0, time.perf_counter(), 0
                    bar.set_postfix(loss=f'{mean:.3f}', img_s=f'{entry["images_per_s"]:.1f}')
                    log.append(entry)
                    if on_log is not None:
                        on_log(entry)
                if validate is not None and config.eval_every and step % config.eval_every == 0 and step < config.steps:
                    entry = {'step': step, 'val': validate(model)}
                    model.train()
                    log.append(entry)
                    if on_log is not None:
                        on_log(entry)
                if (config.checkpoint_every and step % config.checkpoint_every == 0) or step == config.steps:
                    checkpoint()
                if on_step is not None:
                    on_step(step)
                if step >= config.steps:
                    break
        bar.close()
        return log


__all__ = ['train', 'segmentation_loss', 'model_logits', 'Objective', 'combine_terms', 'poly_lambda',
           'build_optimizer', 'set_deterministic', 'deterministic_mode']
