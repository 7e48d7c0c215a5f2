"""A small model registry (timm's ``_registry.py`` idea): a decorator filling a dict.

    @register_model
    def hg_resnet18(num_classes: int = 19, **kwargs) -> nn.Module: ...

    @register_model(task='backbone')
    def resnet18(**kwargs) -> ResNet: ...

    create_model('hg_resnet18', num_classes=11)
    list_models('hg_*')
    list_models(task='segmentation')

Every ``task='segmentation'`` model (the default) follows one output convention
(torchvision's ``segmentation`` models): ``forward(images)`` returns a dict with
``'out'`` = logits :math:`(B, K, H, W)` at the input resolution, ``'aux'`` =
auxiliary logits when the model has an auxiliary head and is in training mode,
and extra keys for extra outputs (QGN: ``'levels'``).
"""
from __future__ import annotations

import fnmatch
import inspect
from typing import Callable, Dict, List, Optional

from torch import Tensor, nn

TASKS = ('segmentation', 'backbone')

_MODELS: Dict[str, Callable[..., nn.Module]] = {}
_TASK: Dict[str, str] = {}


def register_model(fn: Optional[Callable[..., nn.Module]] = None, *, task: str = 'segmentation'):
    """Register a model factory under its function name, as ``@register_model`` or
    ``@register_model(task='backbone')``. ``task`` is one of :data:`TASKS`."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")

    def add(f: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        name = f.__name__
        if name in _MODELS and _MODELS[name] is not f:
            raise ValueError(f"model name {name!r} is already registered")
        _MODELS[name], _TASK[name] = f, task
        return f

    return add(fn) if fn is not None else add


def list_models(pattern: str = '*', task: Optional[str] = None) -> List[str]:
    """Sorted names of registered models matching a shell-style ``pattern`` (and ``task`` when given)."""
    if task is not None and task not in TASKS:
        raise ValueError(f"task must be one of {TASKS} or None, got {task!r}")
    return sorted(n for n in _MODELS if fnmatch.fnmatch(n, pattern) and (task is None or _TASK[n] == task))


def model_task(name: str) -> str:
    """The task a registered model was registered for (``'segmentation'`` or ``'backbone'``)."""
    if name not in _MODELS:
        raise ValueError(f"model must be one of {list_models()}, got {name!r}")
    return _TASK[name]


def create_model(name: str, **kwargs) -> nn.Module:
    """Build a registered model by name; unknown names raise with the list of known ones."""
    if name not in _MODELS:
        raise ValueError(f"model must be one of {list_models()}, got {name!r}")
    fn = _MODELS[name]
    params = inspect.signature(fn).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        unknown = [k for k in kwargs if k not in params]
        if unknown:
            raise TypeError(f"{name} got an unexpected argument {unknown[0]!r}; it takes "
                            f"({', '.join(params)})")
    return fn(**kwargs)


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


__all__ = ['register_model', 'list_models', 'create_model', 'model_task', 'model_logits', 'TASKS']
