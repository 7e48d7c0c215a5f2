r"""The direction convention every graphseg layer imports: 9 offsets of a 3x3 kernel.

``DIRECTIONS[k] = (dy, dx)`` in row-major kernel order; ``k = 4`` is the centre
``(0, 0)`` and ``opposite(k) == 8 - k``::

              dx = -1   dx = 0   dx = +1          x (columns) -->
    dy = -1  +--------+--------+--------+         y (rows)
             |   0    |   1    |   2    |         |
    dy =  0  +--------+--------+--------+         v
             |   3    |   4 *  |   5    |
    dy = +1  +--------+--------+--------+         * = the centre node i
             |   6    |   7    |   8    |
             +--------+--------+--------+

**Edges point from neighbour to centre.** An edge ``j -> i`` of type ``k`` means
node ``j`` lies at offset ``DIRECTIONS[k]`` *from* node ``i``, i.e. on a pixel
grid ``j = i + (dy, dx)``; the message travels ``j -> i``. With this convention
a direction-typed graph convolution

.. math::
    \mathbf{z}_i = \sum_k \sum_{j:\ (j \to i) \text{ of type } k} \mathbf{x}_j \mathbf{W}_k

on the pixel lattice is exactly the cross-correlation of ``nn.Conv2d`` with
``W_k = conv.weight[:, :, dy + 1, dx + 1].T`` (see
:func:`kernel_to_direction_weights`), which is how HG-Conv (Hamaguchi et al.,
CVPR 2021, Eq. 2) presents a 3x3 convolution as a graph convolution.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from .check import check_device, check_ndim

#: The 9 offsets ``(dy, dx)`` of a 3x3 kernel in row-major order; index 4 is ``(0, 0)``.
DIRECTIONS: Tuple[Tuple[int, int], ...] = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
#: Number of direction types (8 neighbours + the self direction).
NUM_DIRECTIONS: int = len(DIRECTIONS)
#: Index of the self direction ``(0, 0)``.
CENTER: int = 4


def opposite(k: int) -> int:
    """Index of the opposite direction :math:`\\bar\\delta` of direction ``k`` (``8 - k``)."""
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < NUM_DIRECTIONS:
        raise ValueError(f"direction index k must be an int in [0, 8], got {k!r}")
    return NUM_DIRECTIONS - 1 - k


def direction_index(dy: int, dx: int) -> int:
    """Index ``k`` of the offset ``(dy, dx)`` in :data:`DIRECTIONS`."""
    if dy not in (-1, 0, 1) or dx not in (-1, 0, 1):
        raise ValueError(f"(dy, dx) must each be in {{-1, 0, 1}}, got ({dy}, {dx})")
    return (dy + 1) * 3 + (dx + 1)


def direction_tensor(device: Optional[torch.device] = None) -> Tensor:
    """:data:`DIRECTIONS` as a long tensor of shape ``(9, 2)`` holding ``(dy, dx)``."""
    if device is not None:
        device = check_device(device, 'device')
    return torch.tensor(DIRECTIONS, dtype=torch.long, device=device)


def kernel_to_direction_weights(weight: Tensor) -> Tensor:
    r"""Turn a ``nn.Conv2d`` 3x3 kernel into one matrix per direction.

    ``out[k] = weight[:, :, dy + 1, dx + 1].T`` for ``DIRECTIONS[k] = (dy, dx)``,
    so that ``z_i = sum_k x_{i + delta_k} @ out[k]`` reproduces the
    cross-correlation of ``F.conv2d(x, weight, padding=1)``.

    Shapes:
        - **input:** weight :math:`(C_{out}, C_{in}, 3, 3)`
        - **output:** :math:`(9, C_{in}, C_{out})`
    """
    check_ndim(weight, 'weight', 4, '(C_out, C_in, 3, 3)')
    if tuple(weight.shape[2:]) != (3, 3):
        raise ValueError("weight must be a 3x3 kernel (C_out, C_in, 3, 3), got "
                         f"{tuple(weight.shape)}")
    return weight.flatten(2).permute(2, 1, 0)


def direction_weights_to_kernel(weight: Tensor) -> Tensor:
    """Inverse of :func:`kernel_to_direction_weights`:
    ``(9, C_in, C_out) -> (C_out, C_in, 3, 3)``."""
    check_ndim(weight, 'weight', 3, '(9, C_in, C_out)')
    if weight.size(0) != NUM_DIRECTIONS:
        raise ValueError(f"weight must have {NUM_DIRECTIONS} directions in dim 0, got "
                         f"{tuple(weight.shape)}")
    return weight.permute(2, 1, 0).reshape(weight.size(2), weight.size(1), 3, 3)


__all__ = ['DIRECTIONS', 'NUM_DIRECTIONS', 'CENTER', 'opposite', 'direction_index',
           'direction_tensor', 'kernel_to_direction_weights', 'direction_weights_to_kernel']
