r"""Representative graphs: each node receives from the integer neighbours of its S sampled
positions.

RepGraph (Yu et al., *Representative Graph Neural Network*, ECCV 2020,
https://arxiv.org/abs/2008.05202) replaces the non-local block's all-pairs graph
by a sparse one. Every query node :math:`i` at pixel :math:`p_i` samples
:math:`S` representative nodes at fractional positions

.. math::
    p_n = p_i + b_n + \Delta p_n, \qquad n = 1, \dots, S,

with :math:`b_n` a fixed base pattern (:func:`sampling_pattern`) and
:math:`\Delta p_n` learned offsets, and reads their features by bilinear
interpolation (Eq. 7-8)

.. math::
    s(n) = \sum_t G(t, p_n)\, x(t), \qquad
    G(t, p) = \max(0, 1 - |t_y - p_y|)\, \max(0, 1 - |t_x - p_x|),

where :math:`t` runs over the integer pixel positions. :math:`G` is non-zero
only for the 4 integer neighbours of :math:`p_n`, so the representative graph
has (at most) :math:`4S` weighted edges per query: ``t -> i`` with
``edge_weight`` :math:`G(t, p_n)` and the sample id :math:`n` in ``edge_attr``.

**Coordinates.** Positions and offsets are in *pixel-index coordinates*
``(y, x)`` / ``(dy, dx)`` -- row first, as the offsets of
``torchvision.ops.deform_conv2d``: pixel ``(y, x)`` is the integer point
``(y, x)``. Attributes called ``*pos`` of the returned
:class:`~torch_geometric.data.Data` follow PyG and store ``(x, y)``.

**Border.** Integer neighbours outside the image contribute zero (zero
padding). This is exactly
``F.grid_sample(feat, grid, mode='bilinear', padding_mode='zeros', align_corners=True)``
with ``grid = (2 x / (W - 1) - 1, 2 y / (H - 1) - 1)`` (the tests compare
against ``grid_sample`` itself): a sample that drifts fully outside the image
reads a zero feature, it is not clamped to the border.

**Grid RepGraph** (Section 3.3). With ``grid = g`` the image is cut into
:math:`g \times g` cells that share one anchor -- the cell centre
:math:`(g a_y + (g - 1)/2,\; g a_x + (g - 1)/2)` -- and its :math:`S` samples;
every pixel of a cell receives the edges of its anchor's samples.
"""
from __future__ import annotations

import math
from typing import Optional, Tuple, Union

import torch
from torch import Tensor
from torch_geometric.data import Data

from ..check import (check_finite, check_floating, check_index, check_int, check_ndim,
                     check_positive, check_size)
from ..ops.bilinear import bilinear_neighbors, bilinear_taps
from .grid import pixel_positions

_Device = Optional[Union[str, torch.device]]


def sampling_pattern(num_samples: int, dilation: float = 1, *, device: _Device = None,
                     dtype: torch.dtype = torch.float) -> Tensor:
    r"""The base offsets :math:`b_n` ``(dy, dx)`` of the S samples when the learned offsets are
    zero.

    The first ``num_samples`` points, in row-major order, of the
    :math:`k \times k` grid with :math:`k = \lceil \sqrt{S} \rceil` and spacing
    ``dilation``, placed so that the centre (or, for even :math:`k`, the point
    up-left of the centre) is the query itself: coordinate
    :math:`(i - \lfloor (k - 1)/2 \rfloor) \cdot \text{dilation}`. As in
    deformable convolution, a zero-initialised offset regressor therefore starts
    from the regular neighbourhood of each query: for the paper's
    :math:`S = 9` this is the 3x3 neighbourhood, in the order of
    :data:`graphseg.graphs.DIRECTIONS` (sample 4 is the query itself); ``S = 1``
    is the query itself.

    Args:
        num_samples (int): :math:`S \ge 1`.
        dilation (float): spacing of the pattern in pixels. (default: ``1``)

    Shapes:
        - **output:** :math:`(S, 2)` as ``(dy, dx)``
    """
    check_int(num_samples, 'num_samples', 1)
    check_positive(dilation, 'dilation')
    k = math.isqrt(num_samples - 1) + 1  # ceil(sqrt(S))
    r = torch.arange(k, device=device, dtype=dtype) - (k - 1) // 2
    dy, dx = torch.meshgrid(r, r, indexing='ij')
    return torch.stack([dy.reshape(-1), dx.reshape(-1)], dim=-1)[:num_samples] * dilation


def anchor_positions(height: int, width: int, grid: int = 1, *, device: _Device = None,
                     dtype: torch.dtype = torch.float) -> Tensor:
    r"""Anchor of every :math:`g \times g` cell ``(y, x)``: the cell centre, row-major over cells.

    With ``grid = 1`` the anchors are the pixels themselves.

    Shapes:
        - **output:** :math:`(H/g \cdot W/g, 2)` as ``(y, x)``
    """
    check_size(height, width)
    check_int(grid, 'grid', 1)
    if height % grid or width % grid:
        raise ValueError(f"height and width must be divisible by grid = {grid}, got ({height}, "
                         f"{width})")
    c = (grid - 1) / 2
    ys = torch.arange(height // grid, device=device, dtype=dtype) * grid + c
    xs = torch.arange(width // grid, device=device, dtype=dtype) * grid + c
    ay, ax = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack([ay.reshape(-1), ax.reshape(-1)], dim=-1)


def pixel_anchor(height: int, width: int, grid: int = 1, *, device: _Device = None) -> Tensor:
    r"""Anchor id (row-major over the :math:`g \times g` cells) of every pixel, row-major.

    Shapes:
        - **output:** :math:`(H W,)` long
    """
    check_size(height, width)
    check_int(grid, 'grid', 1)
    if height % grid or width % grid:
        raise ValueError(f"height and width must be divisible by grid = {grid}, got ({height}, "
                         f"{width})")
    cy = torch.arange(height, device=device) // grid
    cx = torch.arange(width, device=device) // grid
    return (cy.view(-1, 1) * (width // grid) + cx).view(-1)


def sample_positions(offsets: Tensor, *, grid: int = 1, groups: int = 1,
                     dilation: float = 1) -> Tensor:
    r"""Absolute sample positions :math:`p_n = a + b_n + \Delta p_n` from an offset map.

    ``offsets`` is the output of the offset regressor (a 1x1 conv to
    :math:`2 S G` channels on the anchor map) in the channel layout of
    ``torchvision.ops.deform_conv2d``: channel :math:`2 (\gamma S + n)` is
    :math:`\Delta y` and :math:`2 (\gamma S + n) + 1` is :math:`\Delta x` of
    sample :math:`n` of channel group :math:`\gamma`. Each group samples its own
    representative nodes (Group RepGraph); groups are returned as extra images.

    Args:
        offsets (Tensor): learned offsets in pixels.
        grid (int): cell size :math:`g` of Grid RepGraph (the offset map is the
            anchor map of :math:`H/g \times W/g` cells). (default: ``1``)
        groups (int): channel groups :math:`G`. (default: ``1``)
        dilation (float): spacing of the base pattern. (default: ``1``)

    Shapes:
        - **input:** offsets :math:`(B, 2 S G, H/g, W/g)`
        - **output:** :math:`(B G, H/g \cdot W/g, S, 2)` as ``(y, x)``; image
          :math:`b G + \gamma` holds group :math:`\gamma` of image :math:`b`.
    """
    check_ndim(offsets, 'offsets', 4, '(B, 2 * S * groups, H / grid, W / grid)')
    check_floating(offsets, 'offsets')
    check_int(groups, 'groups', 1)
    check_int(grid, 'grid', 1)
    B, C, Ha, Wa = offsets.shape
    if C == 0 or C % (2 * groups):
        raise ValueError("offsets must have 2 * num_samples * groups channels (groups = "
                         f"{groups}), got {C}")
    S = C // (2 * groups)
    anchors = anchor_positions(Ha * grid, Wa * grid, grid, device=offsets.device,
                               dtype=offsets.dtype)
    base = sampling_pattern(S, dilation, device=offsets.device, dtype=offsets.dtype)
    delta = offsets.view(B, groups, S, 2, Ha, Wa).permute(0, 1, 4, 5, 2, 3)  # (B, G, Ha, Wa, S, 2)
    delta = delta.reshape(B * groups, Ha * Wa, S, 2)
    return anchors[None, :, None, :] + base + delta  # (B*G, Q, S, 2)


def representative_graph(pos_or_offsets: Tensor, height: int, width: int, *, grid: int = 1,
                         groups: int = 1, dilation: float = 1, batch: Optional[Tensor] = None,
                         node_map: Optional[Tensor] = None) -> Data:
    r"""The representative graph of RepGraph (Eq. 6-8) as a PyG :class:`~torch_geometric.data.Data`.

    For each query :math:`i` and each of its :math:`S` sampled positions
    :math:`p_n`, one edge ``t -> i`` from every integer neighbour :math:`t` of
    :math:`p_n` that lies inside the image, with ``edge_weight``
    :math:`G(t, p_n)` (Eq. 8) and ``edge_attr`` :math:`= n`. Neighbours
    outside the image are left out, which is the zero-padding convention of
    ``grid_sample(..., padding_mode='zeros', align_corners=True)`` (see the
    module docstring). In-image neighbours are kept even where their weight is
    0 (integer positions), so the gradient w.r.t. the positions is exact.

    ``pos_or_offsets`` is either

    * **offsets** :math:`(B, 2 S G, H/g, W/g)` -- the output of RepGraph's
      offset regressor (layout of :func:`sample_positions`); the positions are
      anchor + :func:`sampling_pattern` + offset. Nodes are the pixels of the
      :math:`B G` images (group :math:`\gamma` of image :math:`b` is image
      :math:`b G + \gamma`), node id :math:`(bG + \gamma) HW + yW + x`, and
      every pixel is a query that receives the edges of its cell's anchor; or
    * **positions** :math:`(Q, S, 2)` -- absolute ``(y, x)`` sample positions
      of queries :math:`0 \dots Q-1` (target ids); ``batch`` :math:`(Q,)` says
      which lattice image each query samples from (default all 0) and
      ``node_map`` :math:`(L, H, W)` the source node id of every lattice pixel
      (``-1``: no node there, contributes zero like the outside of the image;
      default the full lattice, id :math:`l HW + yW + x`). This form works on any
      graph whose nodes sit on an integer lattice (see
      :class:`graphseg.nn.RepGraphConv`).

    Args:
        pos_or_offsets (Tensor): offsets (4-D) or positions (3-D), see above.
        height (int): lattice height :math:`H`.
        width (int): lattice width :math:`W`.
        grid (int): cell size of Grid RepGraph (offsets form). (default: ``1``)
        groups (int): channel groups of Group RepGraph (offsets form). (default: ``1``)
        dilation (float): spacing of the base pattern (offsets form). (default: ``1``)
        batch (LongTensor, optional): lattice image of each query (positions form).
        node_map (LongTensor, optional): lattice pixel -> source node id (positions form).

    Returns:
        :class:`~torch_geometric.data.Data` with ``edge_index`` :math:`(2, E)`
        ``[source; query]``, ``edge_weight`` :math:`(E,)` (differentiable w.r.t.
        the offsets / positions), ``edge_attr`` :math:`(E,)` sample id,
        ``sample_pos`` :math:`(Q, S, 2)` the sampled positions as ``(x, y)``,
        ``num_samples``, ``num_queries`` :math:`Q`, ``num_nodes`` (source
        nodes; :math:`= Q` in the offsets form) and, for the default lattice,
        ``pos`` :math:`(\text{num\_nodes}, 2)` as ``(x, y)``.
    """
    check_size(height, width)
    check_floating(pos_or_offsets, 'pos_or_offsets')
    if pos_or_offsets.dim() == 4:  # offsets from the regressor
        if batch is not None or node_map is not None:
            raise ValueError("batch and node_map belong to the positions form (Q, S, 2), "
                             "not to offsets (B, 2 * S * groups, H / grid, W / grid)")
        check_int(grid, 'grid', 1)
        if height % grid or width % grid:
            raise ValueError(f"height and width must be divisible by grid = {grid}, got "
                             f"({height}, {width})")
        if tuple(pos_or_offsets.shape[2:]) != (height // grid, width // grid):
            raise ValueError(f"offsets must have spatial size (H / grid, W / grid) = "
                             f"({height // grid}, {width // grid}), got "
                             f"{tuple(pos_or_offsets.shape[2:])}")
        # (L, Q_a, S, 2)
        anchors = sample_positions(pos_or_offsets, grid=grid, groups=groups, dilation=dilation)
        L, _, S, _ = anchors.shape
        # (L, HW, S, 2)
        positions = anchors[:, pixel_anchor(height, width, grid, device=anchors.device)]
        positions = positions.reshape(L * height * width, S, 2)  # every pixel is a query
        batch = torch.arange(L, device=anchors.device).repeat_interleave(height * width)
    elif pos_or_offsets.dim() == 3:
        positions = pos_or_offsets
        if positions.size(-1) != 2 or positions.size(1) < 1:
            raise ValueError(f"positions must have shape (Q, S, 2) holding (y, x) with S >= 1, "
                             f"got {tuple(positions.shape)}")
        S = positions.size(1)
        if batch is None:
            batch = torch.zeros(positions.size(0), dtype=torch.long, device=positions.device)
        check_index(batch, 'batch')
        if batch.shape != positions.shape[:1]:
            raise ValueError(f"batch must have shape (Q,) = ({positions.size(0)},), got "
                             f"{tuple(batch.shape)}")
        if batch.numel() and int(batch.min()) < 0:
            raise ValueError(f"batch must be >= 0, got {int(batch.min())}")
    else:
        raise ValueError("pos_or_offsets must be offsets (B, 2 * S * groups, H / grid, W / grid) "
                         f"or positions (Q, S, 2), got shape {tuple(pos_or_offsets.shape)}")
    check_finite(positions, 'positions')

    Q = positions.size(0)
    num_images = int(batch.max()) + 1 if Q else 0
    lattice_pos = None
    if node_map is None:
        node_map = torch.arange(num_images * height * width, device=positions.device).view(-1,
                                                                                           height,
                                                                                           width)
        lattice_pos = pixel_positions(height, width, positions.device,
                                      positions.dtype).repeat(num_images, 1)
    else:
        check_index(node_map, 'node_map')
        if (
            node_map.dim() != 3
            or tuple(node_map.shape[1:]) != (height, width)
            or node_map.size(0) < num_images
        ):
            raise ValueError(f"node_map must have shape (L, H, W) = (>= {num_images}, {height}, "
                             f"{width}), got {tuple(node_map.shape)}")

    index, weight, inside = bilinear_taps(positions, height, width)  # (Q, S, 4)
    # in-image neighbours with G = 0 (integer positions) are kept: their weight has a non-zero
    # gradient
    src = node_map.reshape(node_map.size(0), -1)[batch.view(-1, 1, 1), index]  # (Q, S, 4)
    keep = inside & (src >= 0)
    dst = torch.arange(Q, device=positions.device).view(-1, 1, 1).expand_as(index)
    sample = torch.arange(S, device=positions.device).view(1, -1, 1).expand_as(index)
    data = Data(edge_index=torch.stack([src[keep], dst[keep]]), edge_weight=weight[keep],
                edge_attr=sample[keep], sample_pos=positions.flip(-1), num_samples=S, num_queries=Q,
                num_nodes=int(node_map.max()) + 1 if node_map.numel() else 0)
    if lattice_pos is not None:
        data.pos = lattice_pos
    return data


def lattice_node_map(pos: Tensor, batch: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    r"""Place the nodes of a graph on their integer lattice: pixel -> node id, ``-1`` where none.

    Lets :func:`representative_graph` (positions form) and
    :class:`graphseg.nn.RepGraphConv` sample from any graph whose node
    positions are integer points (pixel graphs, feature-map graphs, masked pixel
    sets). The lattice spans the bounding box of all ``pos``; its origin (the
    minimum ``(x, y)``) is returned so positions can be expressed on it.

    Args:
        pos (Tensor): integer-valued node positions ``(x, y)`` (PyG convention).
        batch (LongTensor, optional): graph id of each node (default all 0).

    Returns:
        ``(node_map, origin)``: ``node_map`` :math:`(B, H, W)` long and
        ``origin`` :math:`(2,)` ``(x, y)`` of lattice pixel ``(0, 0)``.

    Shapes:
        - **input:** pos :math:`(N, 2)`, batch :math:`(N,)`
        - **output:** :math:`(B, H, W)`, :math:`(2,)`
    """
    check_ndim(pos, 'pos', 2, '(N, 2)')
    if pos.size(1) != 2 or pos.size(0) == 0:
        raise ValueError("pos must have shape (N, 2) holding (x, y) with N >= 1, got "
                         f"{tuple(pos.shape)}")
    if pos.is_floating_point():
        check_finite(pos, 'pos')
        if not bool((pos == pos.round()).all()):
            raise ValueError("pos must hold integer lattice coordinates (x, y) (e.g. pixel "
                             "centres); got fractional values")
    N = pos.size(0)
    if batch is None:
        batch = torch.zeros(N, dtype=torch.long, device=pos.device)
    check_index(batch, 'batch')
    if batch.shape != (N,):
        raise ValueError(f"batch must have shape (N,) = ({N},), got {tuple(batch.shape)}")
    if int(batch.min()) < 0:
        raise ValueError(f"batch must be >= 0, got {int(batch.min())}")
    p = pos.round().long()
    origin = p.min(dim=0).values  # (2,) as (x, y)
    p = p - origin
    B, H, W = int(batch.max()) + 1, int(p[:, 1].max()) + 1, int(p[:, 0].max()) + 1
    node_map = torch.full((B, H, W), -1, dtype=torch.long, device=pos.device)
    node_map[batch, p[:, 1], p[:, 0]] = torch.arange(N, device=pos.device)
    if int((node_map >= 0).sum()) != N:
        raise ValueError("pos must be unique within each graph: two nodes share a lattice point")
    return node_map, origin.to(pos.dtype)


__all__ = ['sampling_pattern', 'anchor_positions', 'pixel_anchor', 'sample_positions',
           'bilinear_neighbors', 'lattice_node_map', 'representative_graph']
