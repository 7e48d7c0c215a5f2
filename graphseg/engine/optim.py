"""Optimisers, the poly learning-rate schedule with warm-up, and deterministic mode (what a run
config's ``train`` section names: ``optimizer``, ``lr``, ``poly_power``, ``warmup_steps``,
``deterministic``)."""
from __future__ import annotations

import contextlib
import os
from typing import Callable

import torch

from .config import TrainConfig


def poly_lambda(steps: int, power: float = 0.9, warmup: int = 0) -> Callable[[int], float]:
    """LR factor at step ``s``: linear warm-up for ``warmup`` steps, then
    :math:`(1 - s'/S')^{p}`."""
    def f(s: int) -> float:
        if s < warmup:
            return (s + 1) / warmup
        return max(0.0, 1 - (s - warmup) / max(1, steps - warmup)) ** power
    return f


def build_optimizer(params, config: TrainConfig) -> torch.optim.Optimizer:
    """SGD (with momentum), AdamW or Adam, as ``config.optimizer`` says, with ``lr`` and
    ``weight_decay``."""
    if config.optimizer == 'sgd':
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    cls = torch.optim.AdamW if config.optimizer == 'adamw' else torch.optim.Adam
    return cls(params, lr=config.lr, betas=tuple(config.betas), weight_decay=config.weight_decay)


@contextlib.contextmanager
def deterministic_mode(on: bool = True):
    """Within the block, :func:`set_deterministic` (when ``on``); the previous settings are restored
    after."""
    if not on:
        yield
        return
    saved = (torch.are_deterministic_algorithms_enabled(),
             torch.is_deterministic_algorithms_warn_only_enabled(), torch.backends.cudnn.benchmark,
             torch.backends.cudnn.deterministic)
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


def build_scheduler(optimizer: torch.optim.Optimizer,
                    config: TrainConfig) -> torch.optim.lr_scheduler.LambdaLR:
    """The poly schedule of ``config`` (:func:`poly_lambda`) on ``optimizer``, stepped once per
    step."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, poly_lambda(config.steps, config.poly_power,
                                                                    config.warmup_steps))


__all__ = ['poly_lambda', 'build_optimizer', 'build_scheduler', 'set_deterministic',
           'deterministic_mode']
