r"""Mixed precision (``torch.autocast``) in graphseg's own kernels.

Autocast casts the inputs of matmuls and convolutions to bfloat16 / float16 and leaves other ops
alone, so a hand-written kernel can receive mixed dtypes (a bf16 feature table and float32 bilinear
weights) or sum many terms in 8 bits of mantissa. The kernels keep what needs it in float32:

* sums over many terms (scatter sums and means, the typed-edge kernel's bags, the gather-GEMM
  accumulation, HG-Conv's pooling and clustering distances) accumulate in float32;
* sampling positions (RepGraph's representative nodes, deformable offsets): bf16 holds 8 bits, so
  a position 100 px from the border would be off by up to 0.25 px;
* SLIC's colour distances.

What runs in float32 returns in the dtype the op would have had (the float32 path of every kernel
is unchanged, bit for bit).
"""
from __future__ import annotations

import contextlib
from typing import Optional

import torch
from torch import Tensor

from ..check import check_tensor

#: the dtypes autocast casts to
LOW_PRECISION = (torch.float16, torch.bfloat16)


def _check_optional(t: object) -> None:
    if t is not None and not isinstance(t, Tensor):
        raise TypeError(f"t must be a torch.Tensor or None, got {type(t).__name__}")


def autocast_enabled(t: Tensor) -> bool:
    """Whether ``torch.autocast`` is on for ``t``'s device type."""
    check_tensor(t, 't')
    return t.device.type in ('cpu', 'cuda', 'xpu', 'mps') and torch.is_autocast_enabled(
        t.device.type)


def is_low_precision(t: Optional[Tensor]) -> bool:
    """Whether ``t`` is a bfloat16 / float16 tensor (``None``: ``False``)."""
    _check_optional(t)
    return t is not None and t.dtype in LOW_PRECISION


def upcast(t: Optional[Tensor]) -> Optional[Tensor]:
    """``t`` in float32 when it is bfloat16 / float16 (``None`` and other dtypes unchanged)."""
    return t.float() if is_low_precision(t) else t


def full_precision(t: Tensor):
    """A context in which autocast is off on ``t``'s device (a no-op context when it is off)."""
    check_tensor(t, 't')
    if autocast_enabled(t):
        return torch.autocast(t.device.type, enabled=False)
    return contextlib.nullcontext()


__all__ = ['LOW_PRECISION', 'autocast_enabled', 'is_low_precision', 'upcast', 'full_precision']
