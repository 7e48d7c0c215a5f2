"""The pixel lattice as a direction-typed graph (HG-Conv, Eq. 2)."""
from __future__ import annotations

from typing import Optional, Union

import torch
from torch_geometric.data import Data

from ..check import check_device, check_size
from ..directions import CENTER, DIRECTIONS, NUM_DIRECTIONS


def pixel_positions(height: int, width: int, device: Optional[Union[str, torch.device]] = None,
                    dtype: torch.dtype = torch.float) -> torch.Tensor:
    """Pixel centres as ``(x, y)`` = (column, row), row-major node order (PyG's ``ToSLIC``
    convention).

    Shapes:
        - **output:** :math:`(H W, 2)`
    """
    check_size(height, width)
    if device is not None:
        device = check_device(device, 'device')
    if not isinstance(dtype, torch.dtype) or dtype == torch.bool or dtype.is_complex:
        raise TypeError(f"dtype must be a floating or integer dtype, got {dtype}")
    ys, xs = torch.meshgrid(torch.arange(height, device=device, dtype=dtype),
                            torch.arange(width, device=device, dtype=dtype), indexing='ij')
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=-1)


def grid_graph(height: int, width: int, *, self_loops: bool = True,
               device: Optional[Union[str, torch.device]] = None) -> Data:
    r"""The ``height x width`` pixel lattice with direction-typed edges (HG-Conv, Eq. 2).

    Node ``i = y * width + x`` is pixel ``(y, x)`` (row-major, the order of
    ``x.flatten(2)`` for a ``(B, C, H, W)`` map). For every pixel ``i`` and every
    direction ``k`` whose neighbour ``j = i + DIRECTIONS[k]`` lies inside the
    image there is an edge ``j -> i`` of type ``k`` (see
    :mod:`graphseg.directions`). A direction-typed graph convolution on
    this graph equals ``F.conv2d(x, w, padding=1)`` (zero padding = missing
    border edges). Edges are sorted by (target, source), which for a fixed
    target is also the order of the types.

    Args:
        height (int): image height :math:`H`.
        width (int): image width :math:`W`.
        self_loops (bool): include the centre direction ``k = 4`` (``i -> i``).
            (default: ``True``)
        device (torch.device, optional): device of the tensors.

    Returns:
        :class:`torch_geometric.data.Data` with ``edge_index`` :math:`(2, E)`,
        ``edge_type`` :math:`(E,)`, ``pos`` :math:`(HW, 2)` as ``(x, y)`` and
        ``num_nodes`` :math:`= HW`.
    """
    check_size(height, width)
    if device is not None:
        device = check_device(device, 'device')
    n = height * width
    offsets = torch.tensor(DIRECTIONS, device=device)  # (9, 2) as (dy, dx)
    types = torch.arange(NUM_DIRECTIONS, device=device)
    if not self_loops:
        keep = types != CENTER
        offsets, types = offsets[keep], types[keep]
    ys, xs = torch.meshgrid(torch.arange(height, device=device), torch.arange(width, device=device),
                            indexing='ij')
    ny = ys.reshape(-1, 1) + offsets[:, 0]  # (N, T) neighbour row
    nx = xs.reshape(-1, 1) + offsets[:, 1]  # (N, T) neighbour column
    valid = (ny >= 0) & (ny < height) & (nx >= 0) & (nx < width)
    dst = torch.arange(n, device=device).view(-1, 1).expand_as(ny)
    src = ny * width + nx
    # row-major mask keeps (dst, type) order
    edge_index = torch.stack([src[valid], dst[valid]], dim=0)
    edge_type = types.view(1, -1).expand_as(ny)[valid]
    return Data(edge_index=edge_index, edge_type=edge_type,
                pos=pixel_positions(height, width, device), num_nodes=n)


__all__ = ['grid_graph', 'pixel_positions']
