r"""The fixed positional encoding of the decoder levels (HyperSeg, Section 3)."""
from __future__ import annotations

from typing import Optional, Union

import torch
from torch import Tensor


def positional_encoding(height: int, width: int, *, device: Optional[Union[str, torch.device]] = None,
                        dtype: Optional[torch.dtype] = None) -> Tensor:
    r"""Normalised pixel coordinates (HyperSeg, Section 3).

    .. math::
        P^{H,W}_{ij} = \left(\frac{2i - H + 1}{H - 1}, \frac{2j - W + 1}{W - 1}\right)

    Channel 0 is the row coordinate :math:`i`, channel 1 the column :math:`j`;
    both run from -1 (first row / column) to +1 (last). A side of length 1 has
    the single coordinate 0 (the formula's 0/0).

    Args:
        height (int): :math:`H`.
        width (int): :math:`W`.
        device (torch.device, optional): device of the result.
        dtype (torch.dtype, optional): dtype (default ``torch.get_default_dtype()``).

    Shapes:
        - **output:** :math:`(2, H, W)`
    """
    for name, v in (('height', height), ('width', width)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    dtype = dtype or torch.get_default_dtype()

    def axis(n: int) -> Tensor:
        i = torch.arange(n, device=device, dtype=dtype)
        return (2 * i - n + 1) / (n - 1) if n > 1 else torch.zeros_like(i)

    rows = axis(height).view(height, 1).expand(height, width)
    cols = axis(width).view(1, width).expand(height, width)
    return torch.stack([rows, cols], dim=0)


__all__ = ['positional_encoding']
