"""Training configuration: a dataclass, optionally read from YAML (``yaml.safe_load``; no code runs)."""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Dict, Union


@dataclass
class TrainConfig:
    """Hyper-parameters of :func:`graphseg.engine.train.train`.

    Args:
        steps (int): optimisation steps. (default: ``300``)
        batch_size (int): images per step. (default: ``16``)
        lr (float): AdamW learning rate, decayed with the poly schedule (power 0.9). (default: ``2e-3``)
        weight_decay (float): AdamW weight decay. (default: ``1e-4``)
        aux_weight (float): weight of the auxiliary head's loss, for models that return ``'aux'``.
            (default: ``0.4``, as PSPNet / RGNet / HG-ResNet)
        num_workers (int): DataLoader workers. (default: ``0``)
        log_every (int): steps between log lines. (default: ``50``)
        seed (int): seeds torch and the data order. (default: ``0``)
        device (str): ``'cpu'`` or ``'cuda'``. (default: ``'cpu'``)
    """
    steps: int = 300
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    aux_weight: float = 0.4
    num_workers: int = 0
    log_every: int = 50
    seed: int = 0
    device: str = 'cpu'

    def __post_init__(self) -> None:
        for name in ('steps', 'batch_size', 'log_every'):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.aux_weight < 0:
            raise ValueError(f"aux_weight must be >= 0, got {self.aux_weight}")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")


def load_config(source: Union[str, os.PathLike, Dict[str, Any], None] = None, **overrides: Any) -> TrainConfig:
    """A :class:`TrainConfig` from a YAML file or dict, with keyword overrides; unknown keys raise."""
    values: Dict[str, Any] = {}
    if isinstance(source, (str, os.PathLike)):
        import yaml
        with open(source) as f:
            values = yaml.safe_load(f) or {}
        if not isinstance(values, dict):
            raise ValueError(f"config file {source} must hold a mapping, got {type(values).__name__}")
    elif isinstance(source, dict):
        values = dict(source)
    elif source is not None:
        raise TypeError(f"source must be a path, a dict or None, got {type(source).__name__}")
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown config keys {unknown}; known: {sorted(known)}")
    return TrainConfig(**values)


__all__ = ['TrainConfig', 'load_config']
