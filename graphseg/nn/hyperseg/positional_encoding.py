r"""The fixed positional encoding of the decoder levels (HyperSeg, Section 3)."""
from __future__ import annotations

from typing import Optional, Union

import torch
from torch import Tensor


def positional_encoding(height: int, width: int, *,
                        device: Optional[Union[str, torch.device]] = None,
                        dtype: Optional[torch.dtype] = None) -> Tensor:
    r"""Normalised pixel coordinates :math:`P` (HyperSeg, Section 3), as the released code builds
    them.

    .. math::
        P^{H,W}_{ij} = \left(-1 + \frac{2j}{W - 1},\; -1 + \frac{2i}{H - 1}\right)

    Channel 0 is the column (:math:`x`) coordinate, channel 1 the row (:math:`y`);
    both run from -1 (first column / row) to +1 (last), i.e. ``torch.linspace(-1, 1, n)``,
    which gives a side of length 1 the single coordinate -1.

    Args:
        height (int): :math:`H`.
        width (int): :math:`W`.
        device (torch.device, optional): device of the result.
        dtype (torch.dtype, optional): dtype (default ``torch.get_default_dtype()``).

    Shapes:
        - **output:** :math:`(2, H, W)`
    """
    for name, v in (('height', height), ('width', width)):
        # torch.SymInt: a dynamic size under torch.export
        if isinstance(v, bool) or not isinstance(v, (int, torch.SymInt)) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    dtype = dtype or torch.get_default_dtype()
    xs = torch.linspace(-1, 1, width, device=device, dtype=dtype).view(1, width).expand(height,
                                                                                        width)
    ys = torch.linspace(-1, 1, height, device=device, dtype=dtype).view(height, 1).expand(height,
                                                                                          width)
    return torch.stack([xs, ys], dim=0)


__all__ = ['positional_encoding']
