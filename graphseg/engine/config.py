"""Training configuration: a dataclass, optionally read from YAML (``yaml.safe_load``; no code runs)."""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Dict, Union

from ..check import check_device, check_int, check_number


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
            check_int(getattr(self, name), name, 1)
        check_int(self.num_workers, 'num_workers', 0)
        check_int(self.seed, 'seed')
        check_number(self.lr, 'lr', 0., strict=True)
        check_number(self.weight_decay, 'weight_decay', 0.)
        check_number(self.aux_weight, 'aux_weight', 0.)
        check_device(self.device, 'device')


def load_config(source: Union[str, os.PathLike, Dict[str, Any], None] = None, **overrides: Any) -> TrainConfig:
    """A :class:`TrainConfig` from a YAML file or dict, with keyword overrides; unknown keys raise."""
    values: Dict[str, Any] = {}
    if isinstance(source, (str, os.PathLike)):
        import yaml
        with open(source) as f:  # FileNotFoundError names the file
            try:
                values = yaml.safe_load(f) or {}
            except yaml.YAMLError as e:
                raise ValueError(f"config file {os.fspath(source)} is not valid YAML: {e}") from e
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
