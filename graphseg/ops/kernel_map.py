r"""Kernel maps of submanifold sparse convolution, built without hashing libraries.

For active sites :math:`p_1, \dots, p_N` (coordinates ``(b, y, x)``) and the
offsets :math:`\delta_k` of a 3x3 kernel (:data:`~graphseg.graphs.DIRECTIONS`),
the kernel map lists every pair ``(j, i)`` with :math:`p_j = p_i + \delta_k`,
both active. As a typed edge list (edge ``j -> i`` of type ``k``, the graphseg
direction convention) it turns a submanifold convolution into
:func:`~graphseg.ops.typed_matmul_scatter`.

Two ways to find the neighbours, same result:

* ``'grid'``: scatter the site ids into a dense index grid ``(B, H + 2, W + 2)``
  (a one-pixel border of -1 replaces bounds checks) and read 9 shifted entries
  per site -- one gather, :math:`O(BHW + N)` memory;
* ``'searchsorted'``: sort the linear keys ``(b H + y) W + x`` and look the 9
  neighbour keys up with :func:`torch.searchsorted` -- :math:`O(N \log N)`
  time, :math:`O(N)` memory, for grids too large for an index grid.

``'auto'`` takes the grid up to :data:`GRID_LIMIT` cells.
"""
from __future__ import annotations

from typing import Sequence, Tuple

import torch
from torch import Tensor

from ..check import check_choice, check_index
from ..directions import CENTER, DIRECTIONS

METHODS = ('auto', 'grid', 'searchsorted')
#: Largest ``B (H + 2) (W + 2)`` for which ``method='auto'`` builds a dense index grid (int32: 128
#: MiB).
GRID_LIMIT: int = 2 ** 25


def check_coords(coords: Tensor, spatial_shape: Sequence[int], batch_size: int,
                 name: str = 'coords') -> None:
    """Raise unless ``coords`` is an integer ``(N, 3)`` tensor of ``(b, y, x)`` inside the grid."""
    check_index(coords, name)
    if coords.dim() != 2 or coords.size(1) != 3:
        raise ValueError(f"{name} must have shape (N, 3) as (b, y, x), got {tuple(coords.shape)}")
    if coords.numel() == 0:
        return
    lo, hi = torch.stack(torch.aminmax(coords, dim=0)).tolist()  # one pass, one sync
    H, W = spatial_shape
    for d, (what, bound) in enumerate((('b', batch_size), ('y', H), ('x', W))):
        if lo[d] < 0 or hi[d] >= bound:
            raise ValueError(f"{name}[:, {d}] ({what}) must lie in [0, {bound - 1}], got "
                             f"[{lo[d]}, {hi[d]}]")


def _offsets(kernel_size: int) -> Sequence[Tuple[int, int]]:
    if kernel_size == 3:
        return DIRECTIONS
    if kernel_size == 1:
        return (DIRECTIONS[CENTER],)
    raise ValueError(f"kernel_size must be 1 or 3, got {kernel_size}")


def neighbor_table(coords: Tensor, spatial_shape: Sequence[int], batch_size: int,
                   offsets: Sequence[Tuple[int, int]] = DIRECTIONS, *,
                   method: str = 'auto') -> Tensor:
    r"""Index of the active site at each offset of each active site, ``-1`` where inactive.

    ``out[i, k] = j`` iff site ``j`` is at ``coords[i] + (0, *offsets[k])``.

    Args:
        coords (LongTensor): active sites as ``(b, y, x)``, without duplicates.
        spatial_shape (tuple): ``(H, W)``.
        batch_size (int): :math:`B`.
        offsets (sequence of (dy, dx)): the kernel offsets. (default: :data:`DIRECTIONS`)
        method (str): ``'auto'``, ``'grid'`` or ``'searchsorted'``. (default: ``'auto'``)

    Shapes:
        - **input:** coords :math:`(N, 3)`
        - **output:** :math:`(N, K)` long
    """
    check_choice(method, 'method', METHODS)
    H, W = int(spatial_shape[0]), int(spatial_shape[1])
    check_coords(coords, (H, W), batch_size)  # an out-of-grid site would read another site's cell
    dev = coords.device
    N = coords.size(0)
    # (K, 2) as (dy, dx)
    off = torch.tensor(list(offsets), dtype=torch.long, device=dev).view(-1, 2)
    if N == 0:
        return torch.empty(0, off.size(0), dtype=torch.long, device=dev)
    coords = coords.long()
    b, y, x = coords.unbind(1)
    if method == 'auto':
        method = 'grid' if batch_size * (H + 2) * (W + 2) <= GRID_LIMIT else 'searchsorted'
    if method == 'grid':
        Hp, Wp = H + 2, W + 2  # one cell of -1 around every image: no bounds checks
        ids = torch.arange(N, device=dev, dtype=torch.int32 if N < 2 ** 31 else torch.long)
        grid = torch.full((batch_size * Hp * Wp,), -1, dtype=ids.dtype, device=dev)
        base = (b * Hp + y + 1) * Wp + x + 1  # (N,) flat index of each site
        grid[base] = ids
        if not torch.equal(grid[base], ids):
            raise ValueError("coords must not contain duplicate sites")
        table = grid[base.view(-1, 1) + (off[:, 0] * Wp + off[:, 1])]  # (N, K)
        return table.long()
    # searchsorted: sorted linear keys, out-of-grid neighbours masked explicitly
    key = (b * H + y) * W + x
    sorted_key, perm = torch.sort(key)
    if N > 1 and bool((sorted_key[1:] == sorted_key[:-1]).any()):
        raise ValueError("coords must not contain duplicate sites")
    ny = y.view(-1, 1) + off[:, 0]  # (N, K)
    nx = x.view(-1, 1) + off[:, 1]
    inside = (ny >= 0) & (ny < H) & (nx >= 0) & (nx < W)
    query = (b.view(-1, 1) * H + ny) * W + nx
    pos = torch.searchsorted(sorted_key, query).clamp_(max=N - 1)
    found = inside & (sorted_key[pos] == query)
    return torch.where(found, perm[pos], torch.full_like(pos, -1))


def submanifold_kernel_map(coords: Tensor, spatial_shape: Sequence[int], batch_size: int,
                           kernel_size: int = 3, *, method: str = 'auto') -> Tuple[Tensor, Tensor]:
    r"""The kernel map of a submanifold convolution as a direction-typed edge list.

    An edge ``j -> i`` of type ``k`` means active site ``j`` lies at offset
    ``DIRECTIONS[k]`` from active site ``i`` (same image), so that
    :math:`\mathbf{out}_i = \sum_k \mathbf{x}_{j} \mathbf{W}_k` is
    :func:`~graphseg.ops.typed_matmul_scatter`. Edges are sorted by (target, type).

    Args:
        coords (LongTensor): active sites ``(b, y, x)``.
        spatial_shape (tuple): ``(H, W)``.
        batch_size (int): :math:`B`.
        kernel_size (int): 3 (9 types) or 1 (the centre only, type 0). (default: ``3``)
        method (str): ``'auto'``, ``'grid'`` or ``'searchsorted'`` (see the module doc).

    Shapes:
        - **input:** coords :math:`(N, 3)`
        - **output:** edge_index :math:`(2, E)` as ``[source; target]``, edge_type :math:`(E,)`
    """
    offsets = _offsets(kernel_size)
    table = neighbor_table(coords, spatial_shape, batch_size, offsets, method=method)  # (N, K)
    dst, types = (table >= 0).nonzero(as_tuple=True)  # row-major: sorted by (target, type)
    return torch.stack([table[dst, types], dst]), types


__all__ = ['neighbor_table', 'submanifold_kernel_map', 'check_coords', 'METHODS', 'GRID_LIMIT']
