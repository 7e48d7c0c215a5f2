"""The training loop: poly LR, SGD/AdamW/Adam, auxiliary and OHEM/bootstrapped losses, AMP, gradient
clipping, DDP, atomic checkpoints and a bit-exact ``resume``.

A segmentation model returns ``{'out': logits (B, K, H, W), 'aux': ...}`` (the registry's
output convention) and is trained with :func:`~graphseg.engine.losses.segmentation_criterion`
on ``'out'`` plus ``aux_weight`` times the same on ``'aux'``; or it defines
``compute_loss(images, labels) -> Tensor`` for its own objective (QGN's level loss, Eq. 4/6).

The loop is :class:`Trainer`, in named steps (detectron2's ``train_loop`` idea):
:meth:`~Trainer.setup` (device, data order, DDP, optimiser and schedule), :meth:`~Trainer.restore`
(a checkpoint), :meth:`~Trainer.run_step` (one optimisation step), :meth:`~Trainer.log_step`
(running mean loss and images/s), :meth:`~Trainer.validate_and_checkpoint`; :func:`train` runs them.

Reproducibility: the data order comes from :class:`~graphseg.distributed.ShardedSampler`
(seeded per epoch), each sample's augmentation from its own generator, and a checkpoint
holds the model, optimiser, scheduler, AMP scaler, every process's RNG states and the
step; resuming from step ``k`` continues with exactly the batches, augmentations and
random draws of an uninterrupted run (bit-exact on CPU, tested).
"""
from __future__ import annotations

import math
import os
import time
from typing import Any, Callable, Dict, List, Optional, Union

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from .. import distributed as comm
from ..check import check_device
from .checkpoint import (load_checkpoint, non_finite_tensors, rng_state, save_checkpoint,
                         set_rng_state)
from .config import TrainConfig
from .losses import Objective, combine_terms
from .optim import build_optimizer, build_scheduler, deterministic_mode

PathLike = Union[str, os.PathLike]


class TrainingDiverged(ValueError):
    """The loss or the weights became NaN or inf: training stops, the last good checkpoint is kept
    and no non-finite weights are written."""


class Trainer:
    """Trains ``model`` (in place) on ``dataset``; the arguments are those of :func:`train`.

    After :meth:`setup`, ``step`` is the number of optimisation steps done and ``log`` the log so
    far.
    """

    def __init__(self, model: nn.Module, dataset: Dataset, config: TrainConfig, *,
                 ignore_index: int = 255, transform: Optional[Callable] = None,
                 progress: bool = True, on_log: Optional[Callable[[Dict[str, float]], None]] = None,
                 checkpoint_path: Optional[PathLike] = None, sync_bn: bool = False,
                 find_unused_parameters: bool = False,
                 validate: Optional[Callable[[nn.Module], Dict[str, Any]]] = None,
                 on_step: Optional[Callable[[int], None]] = None,
                 checkpoint_extra: Optional[Dict[str, Any]] = None,
                 root: Optional[PathLike] = None, name: Optional[str] = None) -> None:
        self.model, self.dataset, self.config = model, dataset, config
        self.name = name  # the progress bar's label (e.g. the registered model name)
        self.ignore_index, self.transform, self.progress = ignore_index, transform, progress
        self.on_log, self.on_step, self.validate = on_log, on_step, validate
        self.checkpoint_path, self.sync_bn = checkpoint_path, sync_bn
        self.find_unused_parameters = find_unused_parameters
        self.checkpoint_extra, self.root = dict(checkpoint_extra or {}), root
        self.step, self.log = 0, []
        self.last_checkpoint = 0  # the step of the last checkpoint written (or restored)

    # -- set-up
    def setup(self) -> None:
        """Device, data order and loader, DDP wrapping, optimiser, schedule and AMP scaler."""
        c = self.config
        self.device = torch.device(c.device)
        self.world = comm.get_world_size()
        if c.batch_size % self.world:
            raise ValueError("batch_size must be divisible by the number of processes "
                             f"({self.world}), got {c.batch_size}")
        self.per_rank = c.batch_size // self.world
        torch.manual_seed(c.seed)
        if self.sync_bn and self.world > 1:
            if comm.convert_sync_batchnorm(self.model, self.device) is not self.model:
                raise TypeError("sync_bn: the model itself must not be a BatchNorm layer")
        self.model.to(self.device).train()
        self.objective = self._objective()
        self.sampler = comm.ShardedSampler(self.dataset, seed=c.seed)
        self.loader = DataLoader(comm.SeededTransform(self.dataset, self.transform),
                                 batch_size=self.per_rank, sampler=self.sampler, drop_last=True,
                                 num_workers=c.num_workers,
                                 generator=torch.Generator().manual_seed(c.seed),
                                 pin_memory=self.device.type == 'cuda')
        self.batches_per_epoch = self.sampler.num_samples // self.per_rank
        if self.batches_per_epoch == 0:
            raise ValueError(f"dataset has {len(self.dataset)} samples, fewer than "
                             f"batch_size={c.batch_size}")
        self.optimizer = build_optimizer(self.model.parameters(), c)
        self.scheduler = build_scheduler(self.optimizer, c)
        self.amp = c.amp and self.device.type == 'cuda'
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp)

    def _objective(self) -> nn.Module:
        """The model's loss terms as one module, wrapped in DDP when a process group exists."""
        objective: nn.Module = Objective(self.model, self.config, self.ignore_index)
        if comm.is_distributed():
            objective = nn.parallel.DistributedDataParallel(
                objective, device_ids=[self.device.index] if self.device.type == 'cuda' else None,
                find_unused_parameters=self.find_unused_parameters)
        return objective

    # -- restore / checkpoint
    def restore(self, resume: Union[PathLike, Dict[str, Any]]) -> None:
        """Continue from a checkpoint (path or loaded dict): weights, optimiser, schedule, scaler,
        RNG states."""
        ckpt = resume if isinstance(resume, dict) else load_checkpoint(resume,
                                                                       map_location=self.device)
        self.model.load_state_dict(ckpt['model'])
        self.optimizer.load_state_dict(ckpt['optimizer'])
        self.scheduler.load_state_dict(ckpt['scheduler'])
        self.scaler.load_state_dict(ckpt['scaler'])
        self.step, self.log = int(ckpt['step']), list(ckpt.get('log', []))
        self.last_checkpoint = self.step
        states = ckpt['rng']
        set_rng_state(states[comm.get_rank()] if len(states) == self.world else states[0])

    def checkpoint(self) -> None:
        """Write the checkpoint (main process; every process's RNG state; atomic, with a checksum),
        once the weights are checked to be finite: non-finite weights are never written."""
        states = comm.all_gather_object(rng_state())
        if self.checkpoint_path is not None and comm.is_main_process():
            bad = non_finite_tensors(self.model.state_dict())
            if bad:
                raise self.diverged(f"the weights became non-finite ({', '.join(bad[:3])})")
            save_checkpoint(
                {
                    'model': self.model.state_dict(),
                    'optimizer': self.optimizer.state_dict(),
                    'scheduler': self.scheduler.state_dict(),
                    'scaler': self.scaler.state_dict(),
                    'step': self.step,
                    'epoch': self.step // self.batches_per_epoch,
                    'rng': states,
                    'log': self.log,
                    'config': vars(self.config).copy(),
                    **self.checkpoint_extra,
                },
                self.checkpoint_path,
                root=self.root,
            )
        self.last_checkpoint = self.step
        comm.barrier()

    def diverged(self, what: str) -> TrainingDiverged:
        """The one-line error of a run whose loss or weights became non-finite."""
        c = self.config
        kept = (f"the last good checkpoint (step {self.last_checkpoint}) is kept"
                if self.checkpoint_path is not None and self.last_checkpoint else
                "no checkpoint was written")
        knob = f"lower train.lr (now {c.lr:g})" + (" or set train.amp=false" if self.amp else '')
        return TrainingDiverged(f"training diverged: {what} at step {self.step}; {kept}; {knob}")

    # -- one step
    def run_step(self, images: Tensor, labels: Tensor) -> Tensor:
        """Forward, loss, backward (scaled under AMP, clipped) and an optimiser and schedule step;
        the loss."""
        c = self.config
        images = images.to(self.device, non_blocking=True)
        labels = labels.to(self.device, non_blocking=True)
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.amp):
            terms = self.objective(images, labels)
        loss = combine_terms(terms, c.aux_weight)
        if not torch.isfinite(loss):
            self.step += 1  # the step that failed, for the message
            err = self.diverged(f"the loss became {float(loss.detach())}")
            self.step -= 1
            raise err
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if c.grad_clip is not None:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), c.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        self.step += 1
        return loss.detach()

    # -- log
    def _record(self, entry: Dict[str, Any]) -> None:
        self.log.append(entry)
        if self.on_log is not None:
            self.on_log(entry)

    def log_step(self, loss: Tensor, images: int, epoch: int) -> None:
        """Accumulate the loss and images; every ``log_every`` steps (and at the end) log their
        means."""
        c = self.config
        self._running += float(loss)
        self._images += images * self.world
        self.bar.update(1)
        if self.step % c.log_every and self.step != c.steps:
            return
        n = (self.step - 1) % c.log_every + 1
        mean = (
            float(comm.all_reduce_sum(torch.tensor(self._running, device=self.device)))
            / self.world
            / n
        )
        dt = time.perf_counter() - self._t0
        entry = {'step': self.step, 'epoch': epoch, 'loss': mean,
                 'lr': self.optimizer.param_groups[0]['lr'],
                 'images_per_s': self._images / dt if dt > 0 else math.nan}
        self._running, self._t0, self._images = 0.0, time.perf_counter(), 0
        self.bar.set_postfix(loss=f'{mean:.3f}', img_s=f'{entry["images_per_s"]:.1f}')
        self._record(entry)

    # -- validate and checkpoint
    def validate_and_checkpoint(self) -> None:
        """Every ``eval_every`` steps the validation's metrics into the log; every
        ``checkpoint_every`` steps and at the end a checkpoint; then ``on_step``."""
        c = self.config
        if (
            self.validate is not None
            and c.eval_every
            and self.step % c.eval_every == 0
            and self.step < c.steps
        ):
            entry = {'step': self.step, 'val': self.validate(self.model)}
            self.model.train()
            self._record(entry)
        if (c.checkpoint_every and self.step % c.checkpoint_every == 0) or self.step == c.steps:
            self.checkpoint()
        if self.on_step is not None:
            self.on_step(self.step)

    # -- the loop
    def run(self) -> List[Dict[str, float]]:
        """Steps until ``config.steps``, resuming the data order at the current step; returns the
        log.

        Interrupted (Ctrl-C, or SIGTERM, which ``graphseg`` turns into the same), a single process
        checkpoints the steps done since the last checkpoint before it stops."""
        c = self.config
        self.bar = tqdm(total=c.steps, initial=self.step,
                        disable=not (self.progress and comm.is_main_process()),
                        desc=f'train {self.name or type(self.model).__name__}', unit='step',
                        dynamic_ncols=True)
        self._running, self._t0, self._images = 0.0, time.perf_counter(), 0
        try:
            self._loop()
        except KeyboardInterrupt:
            if not comm.is_distributed() and self.checkpoint_path is not None \
                    and self.step > self.last_checkpoint:
                self.checkpoint()
            raise
        finally:
            self.bar.close()
        return self.log

    def _loop(self) -> None:
        c = self.config
        while self.step < c.steps:
            epoch, offset = divmod(self.step, self.batches_per_epoch)
            self.sampler.set_epoch(epoch)
            self.sampler.set_start(offset * self.per_rank)
            for images, labels in self.loader:
                loss = self.run_step(images, labels)
                self.log_step(loss, images.size(0), epoch)
                self.validate_and_checkpoint()
                if self.step >= c.steps:
                    break


def train(model: nn.Module, dataset: Dataset, config: Optional[TrainConfig] = None, *,
          ignore_index: int = 255, transform: Optional[Callable] = None, progress: bool = True,
          on_log: Optional[Callable[[Dict[str, float]], None]] = None,
          checkpoint_path: Optional[PathLike] = None,
          resume: Union[PathLike, Dict[str, Any], None] = None, sync_bn: bool = False,
          find_unused_parameters: bool = False,
          validate: Optional[Callable[[nn.Module], Dict[str, Any]]] = None,
          on_step: Optional[Callable[[int], None]] = None,
          checkpoint_extra: Optional[Dict[str, Any]] = None,
          root: Optional[PathLike] = None, name: Optional[str] = None) -> List[Dict[str, float]]:
    """Train ``model`` (in place) on ``dataset`` of ``(image, target)`` pairs.

    Args:
        model: a segmentation model (not wrapped; DDP wrapping happens here when a process group
            exists).
        dataset: ``(image, target)`` pairs; ``transform(image, target, generator)`` is applied per
            sample with a generator seeded from ``(config.seed, epoch, index)``.
        config: :class:`TrainConfig`. ``batch_size`` is the global batch, divided among DDP ranks.
        checkpoint_path: where checkpoints go (every ``config.checkpoint_every`` steps and at the
            end).
        resume: a checkpoint (path or dict) to continue from.
        sync_bn: synchronised BatchNorm across ranks
            (:func:`~graphseg.distributed.convert_sync_batchnorm`).
        validate: called as ``validate(model)`` every ``config.eval_every`` steps; its dict is
            logged.
        on_step: called with the step number after each step (and checkpoint).
        checkpoint_extra: more entries for every checkpoint (e.g. the whole run config).
        root: the run folder the checkpoint must stay inside.
        name: the progress bar's label, ``train NAME`` (default: the model's class name).

    Returns:
        the log: one ``{'step', 'loss', 'lr', 'images_per_s', 'epoch'}`` dict every
            ``config.log_every`` steps
            (loss averaged over those steps and over all processes).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError("config must be a TrainConfig (see load_config), got "
                        f"{type(config).__name__}")
    check_device(config.device, 'config.device', available=True)
    with deterministic_mode(config.deterministic):  # deterministic mode is for this run only
        trainer = Trainer(model, dataset, config, ignore_index=ignore_index, transform=transform,
                          progress=progress, on_log=on_log, checkpoint_path=checkpoint_path,
                          sync_bn=sync_bn, find_unused_parameters=find_unused_parameters,
                          validate=validate, on_step=on_step, checkpoint_extra=checkpoint_extra,
                          root=root, name=name)
        trainer.setup()
        if resume is not None:
            trainer.restore(resume)
        return trainer.run()


__all__ = ['train', 'Trainer', 'TrainingDiverged']
