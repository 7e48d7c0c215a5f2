"""Runtime input contracts with messages that name the argument (kornia's ``core/check.py`` idea).

Every public graphseg function validates its inputs with these helpers so a
mistake surfaces as, for example::

    ValueError: assignment must have shape (H, W) = (64, 64), got (64, 63)

instead of a silently wrong result or an indexing error deep inside a kernel.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence, Union
import math

import torch
from torch import Tensor
import numpy as np

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
    """Raise ``ValueError`` if a floating tensor holds NaN or +-inf (skipped while ``torch.compile``
    traces: a data-dependent branch would break the graph; the eager call checks)."""
    check_tensor(x, name)
    if torch.compiler.is_compiling():
        return
    if x.is_floating_point() and x.numel() > 0 and not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} must be finite, got {bad} NaN/inf value(s)")


def check_choice(value: object, name: str, choices: Iterable[object]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def did_you_mean(value: object, choices: Iterable[object]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to a mistyped name, else ``''``."""
    import difflib
    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.6)
    return f' (did you mean {close[0]!r}?)' if close else ''


def check_positive(value: Union[int, float], name: str, *, strict: bool = True) -> None:
    """Raise ``ValueError`` unless ``value`` > 0 (or >= 0 when ``strict=False``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if (value <= 0) if strict else (value < 0):
        raise ValueError(f"{name} must be {'>' if strict else '>='} 0, got {value}")


def check_image_batch(x: Tensor, name: str, channels: Optional[int], min_side: int = 1,
                      why: str = '', *, module: Optional[torch.nn.Module] = None,
                      owner: str = 'the model') -> None:
    """Validate a model input: a floating ``(B, channels, H, W)`` batch (``channels=None``: any)
    with ``H, W >= min_side`` (``why`` names the reason for the minimum, e.g.
    ``'the output stride'``) and, given ``module``, the dtype of its parameters."""
    check_ndim(x, name, 4, '(B, C, H, W)')
    check_floating(x, name)
    if channels is not None and x.size(1) != channels:
        raise ValueError(f"{name} must have {channels} channels, got shape {tuple(x.shape)}")
    if min(x.shape[-2:]) < min_side:
        reason = f' ({why})' if why else ''
        raise ValueError(f"{name} must be at least {min_side}x{min_side} pixels{reason}, got "
                         f"{tuple(x.shape[-2:])}")
    if module is not None:
        check_param_dtype(x, name, next(module.parameters(), None), owner)


def check_int(value: object, name: str, minimum: Optional[int] = None,
              maximum: Optional[int] = None) -> int:
    """Raise ``ValueError`` unless ``value`` is an int (not a bool) in ``[minimum, maximum]``;
    return it. A symbolic size (``torch.SymInt``, under ``torch.export`` with dynamic shapes)
    counts as an int; its bounds become guards of the export."""
    ok = isinstance(value, (int, torch.SymInt)) and not isinstance(value, bool)
    if ok and minimum is not None and value < minimum:
        ok = False
    if ok and maximum is not None and value > maximum:
        ok = False
    if not ok:
        if minimum is not None and maximum is not None:
            want = f'an int in [{minimum}, {maximum}]'
        elif minimum is not None:
            want = f'an int >= {minimum}'
        elif maximum is not None:
            want = f'an int <= {maximum}'
        else:
            want = 'an int'
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return value


def check_number(value: object, name: str, minimum: float = float('-inf'), *,
                 strict: bool = False) -> float:
    """Raise ``ValueError`` unless ``value`` is a finite real number ``>= minimum`` (``>`` when
    ``strict``)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and (value <= minimum if strict else value < minimum):
        ok = False
    if not ok:
        bound = '' if minimum == float('-inf') else f" {'>' if strict else '>='} {minimum:g}"
        raise ValueError(f"{name} must be a finite number{bound}, got {value!r}")
    return float(value)


def check_device(device: object, name: str = 'device', *, available: bool = False) -> torch.device:
    """A ``torch.device`` from ``device``; ``ValueError`` naming ``name`` for a malformed one (and,
    with ``available``, for a CUDA device this machine does not have)."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(
            f"{name} must be a torch device such as 'cpu' or 'cuda', got {device!r}"
        ) from e
    if available and dev.type == 'cuda' and (not torch.cuda.is_available()
                                             or (dev.index or 0) >= torch.cuda.device_count()):
        raise ValueError(f"{name} = {device!r} is not available here (torch.cuda.is_available() = "
                         f"{torch.cuda.is_available()}, {torch.cuda.device_count()} device(s))")
    return dev


def check_size(height: int, width: int) -> None:
    """Raise ``ValueError`` unless ``height`` and ``width`` are ints >= 1 (an image or map size)."""
    check_int(height, 'height', 1)
    check_int(width, 'width', 1)


def check_callable(fn: object, name: str) -> None:
    """Raise ``TypeError`` unless ``fn`` is callable."""
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {type(fn).__name__}")


def check_same_device(name_a: str, a: Tensor, name_b: str, b: Optional[Tensor]) -> None:
    """Raise ``ValueError`` if two tensors live on different devices."""
    if b is not None and a.device != b.device:
        raise ValueError(f"{name_a} and {name_b} must be on the same device, "
                         f"got {a.device} and {b.device}")


def check_param_dtype(x: Tensor, name: str, param: Optional[Tensor],
                      owner: str = 'the layer') -> None:
    """Raise ``TypeError`` unless floating ``x`` has the dtype of ``param`` (a module's weight).

    float64 runs in float64 end to end: convert the module (``module.double()``)
    rather than having torch fail deep inside with "expected m1 and m2 to have
    the same dtype". Skipped under autocast, which casts on purpose.
    """
    if param is None or not x.is_floating_point() or x.dtype == param.dtype:
        return
    if torch.is_autocast_enabled(x.device.type):
        return
    raise TypeError(f"{name} must have {owner}'s dtype {param.dtype}, got {x.dtype}; convert one "
                    f"of them (e.g. module.to({x.dtype}) to run in {x.dtype} end to end)")


#: An image has at most this many channels when its layout is ambiguous (see :func:`as_image`).
MAX_IMAGE_CHANNELS = 4
#: Integer image dtypes with a fixed value range, scaled to ``[0, 1]`` by :func:`as_image`.
_INT_RANGE = {torch.uint8: 255., torch.bool: 1.}


def as_image(image: Any, name: str = 'image', *, batched: bool = True,
             numpy: bool = True) -> Tensor:
    """Validate an image and return it as a floating tensor :math:`(C, H, W)` (or
    :math:`(B, C, H, W)`).

    The layout rule (never a guess):

    * a ``torch.Tensor`` is channels-first, :math:`(C, H, W)` or :math:`(B, C, H, W)`;
    * a numpy array is channels-last, :math:`(H, W, C)` (skimage's convention);
    * a layout that reads as the other one is rejected: a tensor with more than
      :data:`MAX_IMAGE_CHANNELS` channels whose last axis has at most that many
      (a channels-last ``(H, W, 3)`` image), or a numpy array whose last axis is
      longer than that while its first is not (a channels-first ``(3, H, W)`` array);
    * 2-D inputs are rejected with the hint to add the channel axis.

    Values: floating dtypes are kept (float64 stays float64); ``uint8`` is scaled
    by its range (``/ 255``), ``uint16`` (numpy) by ``/ 65535`` and ``bool`` to
    ``{0, 1}``; other integer dtypes have no fixed range and are rejected; empty
    or non-finite images are rejected. ``requires_grad`` is kept.
    """
    if numpy and type(image).__module__ == 'numpy' and hasattr(image, 'ndim'):
        if image.ndim == 2:
            raise ValueError(f"{name} must have a channel axis, got a 2-D array of shape "
                             f"{image.shape}; for "
                             f"grayscale use {name}[..., None] (numpy images are (H, W, C))")
        if image.ndim != 3:
            raise ValueError(f"{name} as a numpy array must be (H, W, C), got shape {image.shape}")
        H, W, C = image.shape
        if C > MAX_IMAGE_CHANNELS and H <= MAX_IMAGE_CHANNELS:
            raise ValueError(f"{name} looks channels-first: numpy images are (H, W, C), got shape "
                             f"{image.shape} "
                             f"(C = {C} channels?); pass {name}.transpose(1, 2, 0), or a torch "
                             "tensor (C, H, W)")
        if image.dtype == np.uint16:
            image = image.astype(np.float32) / 65535.
        if image.dtype.kind not in 'fbu' or (image.dtype.kind == 'u' and image.dtype != np.uint8):
            raise TypeError(f"{name} must be float, uint8, uint16 or bool, got numpy dtype "
                            f"{image.dtype}")
        t = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
    elif isinstance(image, Tensor):
        t = image
        if t.dim() == 2:
            raise ValueError(f"{name} must have a channel axis, got a 2-D tensor of shape "
                             f"{tuple(t.shape)}; for "
                             f"grayscale use {name}[None] (tensors are (C, H, W))")
        layouts = '(C, H, W) or (B, C, H, W)' if batched else '(C, H, W)'
        if t.dim() not in ((3, 4) if batched else (3,)):
            raise ValueError(f"{name} must be {layouts}, got shape {tuple(t.shape)}")
        if t.shape[-3] > MAX_IMAGE_CHANNELS and t.shape[-1] <= MAX_IMAGE_CHANNELS:
            raise ValueError(f"{name} looks channels-last: tensors are {layouts}, got shape "
                             f"{tuple(t.shape)} "
                             f"(C = {t.shape[-3]} channels?); pass {name}.permute(2, 0, 1) "
                             f"({name}.permute(0, 3, 1, 2) for a batch), or a numpy array (H, W, "
                             "C)")
    else:
        raise TypeError(f"{name} must be a torch.Tensor (C, H, "
                        f"W){' or a numpy array (H, W, C)' if numpy else ''}, "
                        f"got {type(image).__name__}")
    if t.dtype in _INT_RANGE:
        t = t.to(torch.get_default_dtype()) / _INT_RANGE[t.dtype]
    elif t.is_complex() or not t.is_floating_point():
        raise TypeError(f"{name} must be floating, uint8 or bool, got {t.dtype}: other integer "
                        "dtypes have no "
                        f"fixed value range; scale it yourself (e.g. {name}.float() / 255 for "
                        "8-bit values)")
    if t.numel() == 0:
        raise ValueError(f"{name} must be non-empty, got shape {tuple(t.shape)}")
    check_finite(t, name)
    return t


__all__ = [
    'as_image', 'MAX_IMAGE_CHANNELS', 'check_param_dtype', 'check_image_batch', 'check_tensor',
    'check_ndim', 'check_shape', 'check_size', 'check_floating', 'check_index', 'check_finite',
    'check_choice', 'check_positive', 'check_same_device', 'check_int', 'check_number',
    'check_callable', 'check_device',
]
