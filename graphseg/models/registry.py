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
import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from torch import Tensor, nn

from ..check import check_int, did_you_mean

TASKS = ('segmentation', 'backbone')


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows of a model besides its factory (timm's ``pretrained_cfg`` idea).

    Attributes:
        name: the factory's name.
        module: the module that defines it.
        task: ``'segmentation'`` or ``'backbone'``.
        input_divisor: input sides must be multiples of this (HyperSeg and QGN: 32).
        min_input_size: the smallest input side the model runs on with its defaults (HyperSeg's
            context head needs 2-4 cells at stride 32).
        aux: the model returns an auxiliary head's ``'aux'`` logits in training mode (with its
            defaults).
        num_classes: the factory's default number of classes (``None`` if it takes none).
    """
    name: str
    module: str
    task: str = 'segmentation'
    input_divisor: int = 1
    min_input_size: int = 32
    aux: bool = False
    num_classes: Optional[int] = None


_MODELS: Dict[str, Callable[..., nn.Module]] = {}
_INFO: Dict[str, ModelInfo] = {}


def register_model(fn: Optional[Callable[..., nn.Module]] = None, *, task: str = 'segmentation',
                   input_divisor: int = 1, min_input_size: int = 32, aux: bool = False):
    """Register a model factory under its function name, as ``@register_model`` or
    ``@register_model(task='backbone')``; the keywords are its :class:`ModelInfo`. ``task`` is one
    of :data:`TASKS`. The name is appended to the defining module's ``__all__``."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    check_int(input_divisor, 'input_divisor', 1)
    check_int(min_input_size, 'min_input_size', 1)

    def add(f: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        name = f.__name__
        if name in _MODELS and _MODELS[name] is not f:
            raise ValueError(f"model name {name!r} is already registered")
        default = inspect.signature(f).parameters.get('num_classes')
        num_classes = (
            None
            if default is None or default.default is inspect.Parameter.empty
            else default.default
        )
        _MODELS[name] = f
        _INFO[name] = ModelInfo(name, f.__module__, task, input_divisor, min_input_size, bool(aux),
                                num_classes)
        module = sys.modules.get(f.__module__)
        if module is not None:
            names = module.__dict__.setdefault('__all__', [])
            if isinstance(names, list) and name not in names:
                names.append(name)
        return f

    return add(fn) if fn is not None else add


def list_models(pattern: str = '*', task: Optional[str] = None) -> List[str]:
    """Sorted names of registered models matching a shell-style ``pattern`` (and ``task`` when
    given)."""
    if task is not None and task not in TASKS:
        raise ValueError(f"task must be one of {TASKS} or None, got {task!r}")
    return sorted(
        n
        for n in _MODELS
        if fnmatch.fnmatch(n, pattern) and (task is None or _INFO[n].task == task)
    )


def model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of a registered model."""
    if name not in _MODELS:
        raise ValueError(f"model must be one of {list_models()}, got {name!r}"
                         f"{did_you_mean(name, _MODELS)}")
    return _INFO[name]


def model_entrypoint(name: str) -> Callable[..., nn.Module]:
    """The factory of a registered model (timm's ``model_entrypoint``)."""
    model_info(name)
    return _MODELS[name]


def model_task(name: str) -> str:
    """The task a registered model was registered for (``'segmentation'`` or ``'backbone'``)."""
    return model_info(name).task


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
    """The logits of a model's output: ``output['out']`` (the output convention) or a plain
    tensor."""
    if isinstance(output, dict):
        if 'out' not in output:
            raise TypeError("a segmentation model must return a dict with key 'out', got keys "
                            f"{sorted(output)}")
        return output['out']
    if isinstance(output, Tensor):
        return output
    raise TypeError(f"a segmentation model must return {{'out': logits, ...}} or a logits tensor, "
                    f"got {type(output).__name__}")


__all__ = ['register_model', 'list_models', 'create_model', 'model_info', 'model_entrypoint',
           'model_task', 'model_logits', 'ModelInfo', 'TASKS']
