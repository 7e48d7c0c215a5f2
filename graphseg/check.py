"""Runtime input contracts with messages that name the argument (kornia's ``core/check.py`` idea).

Every public graphseg function validates its inputs with these helpers so a
mistake surfaces as, for example::

    ValueError: assignment must have shape (H, W) = (64, 64), got (64, 63)

instead of a silently wrong result or an indexing error deep inside a kernel.
"""
from __future__ import annotations

from typing import Iterable, Optional, Sequence, Union

import torch
from torch import Tensor

_Dims = Sequence[Union[int, str, None]]


def check_tensor(x: object, name: str) -> Tensor:
    """Raise ``TypeError`` unless ``x`` is a :class:`torch.Tensor`."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    return x


def check_ndim(x: Tensor, name: str, ndims: Union[int, Iterable[int]], layout: str = '') -> None:
    """Raise ``ValueError`` unless ``x.dim()`` is one of ``ndims``.

    ``layout`` is a human-readable description such as ``'(C, H, W)'``.
    """
    check_tensor(x, name)
    allowed = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if x.dim() not in allowed:
        want = layout or ' or '.join(f'{d}-D' for d in allowed)
        raise ValueError(f"{name} must be {want}, got shape {tuple(x.shape)} ({x.dim()}-D)")


def check_shape(x: Tensor, name: str, shape: _Dims, layout: str = '') -> None:
    """Raise ``ValueError`` unless ``x`` has the given shape.

    ``shape`` entries are ints (must match) or ``None``/strings (any size), e.g.
    ``check_shape(w, 'weight', (None, 16, 32), '(T, C_in, C_out)')``.
    """
    check_tensor(x, name)
    ok = x.dim() == len(shape) and all(
        not isinstance(s, int) or s == d for s, d in zip(shape, x.shape))
    if not ok:
        want = tuple('*' if not isinstance(s, int) else s for s in shape)
        desc = f'{layout} = {want}' if layout else str(want)
        raise ValueError(f"{name} must have shape {desc}, got {tuple(x.shape)}")


def check_floating(x: Tensor, name: str) -> None:
    """Raise ``TypeError`` unless ``x`` has a floating-point dtype."""
    check_tensor(x, name)
    if not x.is_floating_point():
        raise TypeError(f"{name} must have a floating-point dtype, got {x.dtype}")


def check_index(x: Tensor, name: str) -> None:
    """Raise ``TypeError`` unless ``x`` has an integer (index) dtype."""
    check_tensor(x, name)
    if x.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"{name} must have dtype torch.long (or torch.int32), got {x.dtype}")


def check_finite(x: Tensor, name: str) -> None:
    """Raise ``ValueError`` if a floating tensor holds NaN or +-inf."""
    check_tensor(x, name)
    if x.is_floating_point() and x.numel() > 0 and not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} must be finite, got {bad} NaN/inf value(s)")


def check_choice(value: object, name: str, choices: Iterable[object]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def check_positive(value: Union[int, float], name: str, *, strict: bool = True) -> None:
    """Raise ``ValueError`` unless ``value`` > 0 (or >= 0 when ``strict=False``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if (value <= 0) if strict else (value < 0):
        raise ValueError(f"{name} must be {'>' if strict else '>='} 0, got {value}")


def check_same_device(name_a: str, a: Tensor, name_b: str, b: Optional[Tensor]) -> None:
    """Raise ``ValueError`` if two tensors live on different devices."""
    if b is not None and a.device != b.device:
        raise ValueError(f"{name_a} and {name_b} must be on the same device, "
                         f"got {a.device} and {b.device}")


def check_param_dtype(x: Tensor, name: str, param: Optional[Tensor], owner: str = 'the layer') -> None:
    """Raise ``TypeError`` unless floating ``x`` has the dtype of ``param`` (a module's weight).

    float64 runs in float64 end to end: convert the module (``module.double()``)
    rather than having torch fail deep inside with "expected m1 and m2 to have
    the same dtype". Skipped under autocast, which casts on purpose.
    """
    if param is None or not x.is_floating_point() or x.dtype == param.dtype:
        return
    if torch.is_autocast_enabled(x.device.type):
        return
    raise TypeError(f"{name} must have {owner}'s dtype {param.dtype}, got {x.dtype}; convert one of them "
                    f"(e.g. module.to({x.dtype}) to run in {x.dtype} end to end)")


__all__ = [
    'check_param_dtype', 'check_tensor', 'check_ndim', 'check_shape', 'check_floating', 'check_index',
    'check_finite', 'check_choice', 'check_positive', 'check_same_device',
]
