r"""Bilinear taps: the 4 integer neighbours of a fractional position and their weights
(RepGraph Eq. 8, :math:`G(t, p) = \max(0, 1 - |t_y - p_y|) \max(0, 1 - |t_x - p_x|)`).

Shared by RepGraph's representative graphs (:mod:`graphseg.graphs.representative`), its dense
attention and deformable convolution (:mod:`graphseg.nn.deform_conv`). Outside the image a tap
weighs zero (zero padding), as ``F.grid_sample(..., padding_mode='zeros', align_corners=True)``
and torchvision's ``deform_conv2d``.
"""
from __future__ import annotations

from typing import Tuple

import torch
from torch import Tensor

from ..check import check_finite, check_floating, check_size


def bilinear_neighbors(positions: Tensor, height: int, width: int) -> Tuple[Tensor, Tensor]:
    r"""The 4 integer neighbours of each fractional position and their bilinear weights (Eq. 8).

    For :math:`p = (p_y, p_x)` the neighbours are
    :math:`t \in \{\lfloor p_y \rfloor, \lfloor p_y \rfloor + 1\} \times
    \{\lfloor p_x \rfloor, \lfloor p_x \rfloor + 1\}` in the order
    (top-left, top-right, bottom-left, bottom-right) -- the only :math:`t` where
    :math:`G(t, p) > 0` can hold -- with :math:`G(t, p) = (1 - |t_y - p_y|)(1 - |t_x - p_x|)`,
    written with the fractional parts so that its gradient w.r.t. :math:`p` is
    the one of ``grid_sample`` also at integer positions. Neighbours outside the
    ``height x width`` image get weight 0 and a clamped (valid) index.

    Args:
        positions (Tensor): fractional ``(y, x)`` pixel positions.
        height (int): image height :math:`H`.
        width (int): image width :math:`W`.

    Returns:
        ``(index, weight)``: ``index`` the row-major pixel id ``y * W + x``
        (long) and ``weight`` :math:`G(t, p)` (same dtype as ``positions``,
        differentiable w.r.t. it).

    Shapes:
        - **input:** positions :math:`(*, 2)`
        - **output:** index :math:`(*, 4)`, weight :math:`(*, 4)`
    """
    index, weight, _ = bilinear_taps(positions, height, width)
    check_finite(positions, 'positions')  # a NaN position would read pixel 0 with weight NaN
    return index, weight


def bilinear_taps(positions: Tensor, height: int, width: int) -> Tuple[Tensor, Tensor, Tensor]:
    """:func:`bilinear_neighbors` plus the mask of the neighbours that lie inside the image (no
    finiteness check: the callers that need one make it once, outside their kernels)."""
    check_floating(positions, 'positions')
    if positions.dim() == 0 or positions.size(-1) != 2:
        raise ValueError("positions must have shape (*, 2) holding (y, x), got "
                         f"{tuple(positions.shape)}")
    check_size(height, width)
    # (4, 2) TL, TR, BL, BR
    corner = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], device=positions.device)
    p0 = positions.detach().floor().unsqueeze(-2)  # (*, 1, 2)
    f = positions.unsqueeze(-2) - p0  # (*, 1, 2) fractional part; d f / d p = 1
    t = p0 + corner  # (*, 4, 2) the integer neighbours
    # Eq. 8 at t = floor(p) + corner: max(0, 1 - |t - p|) is 1 - f (corner 0) or f (corner 1), per
    # coordinate
    g = torch.where(corner.bool(), f, 1 - f).prod(dim=-1)  # (*, 4)
    limit = torch.tensor([height - 1, width - 1], device=positions.device, dtype=positions.dtype)
    inside = ((t >= 0) & (t <= limit)).all(dim=-1)  # (*, 4)
    weight = g * inside  # outside the image: zero padding
    # clamp before the cast: no overflow for far-away samples
    t = torch.minimum(t.clamp_min(0), limit).long()
    index = t[..., 0] * width + t[..., 1]
    return index, weight, inside


__all__ = ['bilinear_neighbors', 'bilinear_taps']
