"""A small model registry (timm's ``_registry.py`` idea): a decorator filling a dict.

    @register_model
    def hg_resnet18(num_classes: int = 19, **kwargs) -> nn.Module: ...

    create_model('hg_resnet18', num_classes=11)
    list_models('hg_*')
"""
from __future__ import annotations

import fnmatch
from typing import Callable, Dict, List

from torch import nn

_MODELS: Dict[str, Callable[..., nn.Module]] = {}


def register_model(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Register a model factory under its function name."""
    name = fn.__name__
    if name in _MODELS and _MODELS[name] is not fn:
        raise ValueError(f"model name {name!r} is already registered")
    _MODELS[name] = fn
    return fn


def list_models(pattern: str = '*') -> List[str]:
    """Sorted names of registered models matching a shell-style ``pattern``."""
    return sorted(n for n in _MODELS if fnmatch.fnmatch(n, pattern))


def create_model(name: str, **kwargs) -> nn.Module:
    """Build a registered model by name; unknown names raise with the list of known ones."""
    if name not in _MODELS:
        raise ValueError(f"model must be one of {list_models()}, got {name!r}")
    return _MODELS[name](**kwargs)


__all__ = ['register_model', 'list_models', 'create_model']
