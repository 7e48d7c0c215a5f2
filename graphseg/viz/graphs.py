"""Figures of direction-typed graphs (HG-Conv paper Fig. 3-5 style): superpixel graphs drawn with
edge stubs, noise canceling side by side, and the 9 per-direction adjacency matrices.

Edges are drawn as *stubs*: edge ``j -> i`` of direction ``k`` is the half of
the segment from node ``i`` towards node ``j``, coloured by ``k``. The two
directed edges of a neighbouring pair (``delta`` one way, ``delta-bar`` the
other) then stay visible side by side instead of overdrawing each other.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple, Union

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap
from torch import Tensor
from torch_geometric.data import Data

from ..check import check_finite, check_int, check_ndim
from ..directions import CENTER, DIRECTIONS
from ..graphs.group_adjacency import group_adjacency
from ..ops import check_typed_edges
from .style import (DIRECTION_NAMES, _to_hwc, direction_colors, direction_linestyles,
                    draw_direction_legend)


def _label_boundaries(seg: Union[Tensor, np.ndarray]) -> np.ndarray:
    """The borders between differently labelled pixels of a label map as line segments on the pixel
    edges (for a ``LineCollection``): thin at any zoom, where painting boundary pixels covers a
    whole pixel of the image.

    Shapes:
        - **input:** label map :math:`(H, W)`
        - **output:** :math:`(S, 2, 2)`, segments ``((x0, y0), (x1, y1))`` in pixel coordinates
          (pixel ``(y, x)`` spans ``[x - 0.5, x + 0.5]``)
    """
    lab = seg.detach().cpu().numpy() if isinstance(seg, Tensor) else np.asarray(seg)
    if lab.ndim != 2:
        raise ValueError(f"seg must be a label map (H, W), got shape {tuple(lab.shape)}")
    ys, xs = np.nonzero(lab[:, 1:] != lab[:, :-1])  # a border between columns x and x + 1
    vertical = np.stack([np.stack([xs + 0.5, ys - 0.5], 1), np.stack([xs + 0.5, ys + 0.5], 1)], 1)
    ys, xs = np.nonzero(lab[1:, :] != lab[:-1, :])  # between rows y and y + 1
    horizontal = np.stack([np.stack([xs - 0.5, ys + 0.5], 1), np.stack([xs + 0.5, ys + 0.5], 1)],
                          1)
    return np.concatenate([vertical, horizontal]).astype(float)  # (S, 2, 2)


def _edge_counts(edge_type: Tensor) -> Tuple[int, int]:
    """``(typed, self_loops)``: the edges between two nodes (any direction but the centre) and the
    type-4 self-loops, which together are ``edge_type.numel()``, the count a graph prints."""
    typed = int((edge_type != CENTER).sum())
    return typed, int(edge_type.numel()) - typed


def _edge_count_text(edge_type: Tensor) -> str:
    """``'1,153 edges: 974 between neighbours (drawn) + 179 self-loops (not drawn)'``, the counts of
    :func:`_edge_counts` in the words a figure title uses."""
    typed, loops = _edge_counts(edge_type)
    if not loops:
        return f'{typed:,} edges between neighbours (drawn), no self-loops'
    return (f'{typed + loops:,} edges: {typed:,} between neighbours (drawn) + {loops:,} '
            'self-loops (not drawn)')


def _axis_on_the_right(ax) -> bool:
    """Whether another axis of ``ax``'s figure lies to its right at the same height: the compass,
    drawn outside ``ax`` on its right, would cover it."""
    box = ax.get_position()
    for other in ax.figure.axes:
        b = other.get_position()
        if other is not ax and b.x0 >= box.x1 - 1e-6 and b.y0 < box.y1 and b.y1 > box.y0:
            return True
    return False


def plot_superpixel_graph(data: Data, image: Union[Tensor, np.ndarray, None] = None, *, ax=None,
                          edge_index: Optional[Tensor] = None, edge_type: Optional[Tensor] = None,
                          edge_weight: Optional[Tensor] = None, boundaries: bool = True,
                          node_size: float = 10., legend: bool = True, title: Optional[str] = None):
    """Draw a direction-typed superpixel graph over its image.

    Superpixel borders (from ``data.seg``) as thin light lines on the pixel edges, nodes at
    ``data.pos`` and edge stubs coloured by direction (over a white halo, so that they stand out on
    any background), their width growing with the edge weight. Self-loops (type 4) are not drawn;
    the default title counts every edge of the graph and says which were left out.

    Args:
        data (Data): a :class:`~graphseg.graphs.SuperpixelData` (``pos``, ``edge_index``,
            ``edge_type``; ``seg`` for boundaries; ``edge_weight`` optional).
        image: the image, tensor :math:`(C, H, W)` or array :math:`(H, W, C)`.
        ax: a matplotlib axis (default: a new figure).
        edge_index, edge_type, edge_weight: draw these edges instead of the graph's.
        boundaries (bool): draw superpixel boundaries. (default: ``True``)
        node_size (float): marker size of the nodes. (default: ``10``)
        legend (bool): add the direction compass, outside the axis on its right; left out when
            another axis of the figure lies there (the compass goes beside the row's last axis).
            (default: ``True``)
        title (str, optional): axis title (default: the node and edge counts).

    Returns:
        The matplotlib axis.
    """

    if not isinstance(data, Data) or getattr(data, 'pos', None) is None:
        raise ValueError("data must be a torch_geometric Data with pos (N, 2) as (x, y)")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    if image is not None:
        img = _to_hwc(image)
        seg = getattr(data, 'seg', None)
        if seg is not None and img.shape[:2] != tuple(seg.shape[-2:]):
            raise ValueError(f"image must be {tuple(seg.shape[-2:])} to match data.seg, got "
                             f"{img.shape[:2]}")
        ax.imshow(img, cmap='gray' if img.ndim == 2 else None)
    if boundaries and getattr(data, 'seg', None) is not None:
        ax.add_collection(LineCollection(_label_boundaries(data.seg[0]), colors='white',
                                         linewidths=0.6, alpha=0.6, zorder=1))
    ei = data.edge_index if edge_index is None else edge_index
    et = data.edge_type if edge_type is None else edge_type
    ew = getattr(data, 'edge_weight', None) if edge_weight is None else edge_weight
    pos = data.pos.detach().cpu().numpy()
    ei, et_np = ei.cpu().numpy(), et.cpu().numpy()
    keep = et_np != CENTER
    src, dst, typ = ei[0][keep], ei[1][keep], et_np[keep]
    start = pos[dst]
    end = pos[dst] + 0.5 * (pos[src] - pos[dst])  # stub: half-way from i towards j
    if ew is not None:
        w = ew.detach().cpu().numpy()[keep]
        widths = 0.8 + 1.4 * np.log1p(w) / max(np.log1p(w).max(), 1e-12)
    else:
        widths = np.full(len(typ), 1.4)
    colors = direction_colors()[typ]
    styles = direction_linestyles()
    stubs = np.stack([start, end], 1)  # (E, 2, 2)
    ax.add_collection(LineCollection(stubs, colors='white', linewidths=widths + 1.0, alpha=0.5,
                                     zorder=2))  # halo: the stubs stand out on any background
    ax.add_collection(LineCollection(stubs, colors=colors, linewidths=widths,
                                     linestyles=[styles[t] for t in typ], zorder=2))
    ax.scatter(pos[:, 0], pos[:, 1], s=node_size, c='white', edgecolors='black', linewidths=0.5,
               zorder=3)
    if image is None:
        ax.set_xlim(pos[:, 0].min() - 1, pos[:, 0].max() + 1)
        ax.set_ylim(pos[:, 1].max() + 1, pos[:, 1].min() - 1)
    ax.set_axis_off()
    if legend and not _axis_on_the_right(ax):  # one compass per row, beside its last axis
        draw_direction_legend(ax)
    ax.set_title(title if title is not None else
                 f'{data.num_nodes:,} nodes, {_edge_count_text(et)}', fontsize=10)
    return ax


def plot_noise_canceling(data: Data, image: Union[Tensor, np.ndarray, None] = None, *, axes=None,
                         crop: Optional[Sequence[int]] = None):
    r"""Before/after view of Appendix B: raw :math:`\hat A`, after noise canceling (Eq. 7), after
    max-direction.

    Args:
        data (Data): a :class:`~graphseg.graphs.SuperpixelData` with ``seg``.
        image: the image (tensor :math:`(C, H, W)` or array :math:`(H, W, C)`).
        axes: three matplotlib axes (default: a new 1x3 figure).
        crop (sequence, optional): ``(x0, x1, y0, y1)`` pixel window to zoom into.

    Returns:
        The matplotlib figure.
    """

    if getattr(data, 'seg', None) is None:
        raise ValueError("data must carry seg (1, H, W), the pixel-to-node map")
    if crop is not None and (len(crop) != 4 or not all(isinstance(c, (int, float)) for c in crop)):
        raise ValueError(f"crop must be (x0, x1, y0, y1), four pixel coordinates, got {crop!r}")
    seg = data.seg[0]
    H, W = seg.shape
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(15, 5.3))
    else:
        fig = axes[0].figure
    settings = [('raw  $S^T A^\\delta S$', False, False),
                ('noise canceled (Eq. 7)', True, False),
                ('+ max-direction', True, True)]
    for ax, (name, nc, md) in zip(axes, settings):
        ei, et, ew = group_adjacency(seg, H, W, num_groups=data.num_nodes, noise_cancel=nc,
                                     max_direction=md)
        typed, loops = _edge_counts(et)
        plot_superpixel_graph(data, image, ax=ax, edge_index=ei, edge_type=et, edge_weight=ew,
                              legend=ax is axes[-1],
                              title=f'{name}: {typed:,} edges between neighbours\n'
                                    f'(+ {loops:,} self-loops, not drawn)')
        if crop is not None:
            x0, x1, y0, y1 = crop
            ax.set_xlim(x0, x1)
            ax.set_ylim(y1, y0)
    fig.tight_layout()
    return fig


def raster_order(pos: Tensor, rows: Optional[int] = None) -> Tensor:
    """Node order for adjacency plots: rows of nodes top to bottom (by ``y`` in ``rows`` bands),
    left to right within a row, so that on a lattice each direction's matrix is one off-diagonal
    band.

    Args:
        pos (Tensor): node positions :math:`(N, 2)` as ``(x, y)``.
        rows (int, optional): number of bands (default: :math:`\\sqrt N`).
    """
    check_ndim(pos, 'pos', 2, '(N, 2)')
    if pos.size(1) != 2:
        raise ValueError(f"pos must have shape (N, 2) as (x, y), got {tuple(pos.shape)}")
    check_finite(pos, 'pos')
    if rows is not None:
        check_int(rows, 'rows', 1)
    p = pos.detach().cpu().double()
    n = p.size(0)
    if n == 0:
        return torch.zeros(0, dtype=torch.long)
    rows = rows or max(1, int(round(math.sqrt(n))))
    y = p[:, 1]
    band = ((y - y.min()) / max(float(y.max() - y.min()), 1e-12) * rows).floor().clamp_max(rows - 1)
    key = band * (float(p[:, 0].max() - p[:, 0].min()) + 1) + (p[:, 0] - p[:, 0].min())
    return torch.argsort(key)


def plot_direction_adjacency(data: Data, *, edge_index: Optional[Tensor] = None,
                             edge_type: Optional[Tensor] = None,
                             edge_weight: Optional[Tensor] = None, order: Optional[Tensor] = None,
                             max_nodes: int = 400, axes=None, title: Optional[str] = None):
    r"""The 9 per-direction adjacency matrices :math:`\hat A^\delta` side by side (HG-Conv Fig. 5
    style).

    Panel ``(dy + 1, dx + 1)`` of a 3x3 grid holds :math:`\hat A^\delta` for
    :math:`\delta = (dy, dx)`, laid out like the 3x3 kernel it replaces: row
    ``i`` (target), column ``j`` (source), the entry the edge weight (pixel-pair
    count), drawn from white to the direction's colour. Nodes are sorted in
    raster order (:func:`raster_order`), so on a lattice every direction is a
    single band and on a superpixel graph the bands show how regular the graph is.

    Args:
        data (Data): a graph with ``edge_index``, ``edge_type`` (and ``edge_weight``, ``pos``).
        edge_index, edge_type, edge_weight: draw these edges instead of the graph's.
        order (LongTensor, optional): node order (default: :func:`raster_order` of ``data.pos``,
            else the node ids).
        max_nodes (int): draw the first ``max_nodes`` nodes of the order only. (default: ``400``)
        axes: a 3x3 array of matplotlib axes (default: a new figure).
        title (str, optional): figure title.

    Returns:
        The matplotlib figure.
    """

    if not isinstance(data, Data):
        raise TypeError(f"data must be a torch_geometric Data, got {type(data).__name__}")
    ei = data.edge_index if edge_index is None else edge_index
    et = getattr(data, 'edge_type', None) if edge_type is None else edge_type
    if ei is None or et is None:
        raise ValueError("data must have edge_index and edge_type (direction ids), or pass them")
    check_typed_edges(ei, et, len(DIRECTIONS), num_src=data.num_nodes, num_dst=data.num_nodes)
    check_int(max_nodes, 'max_nodes', 1)
    if axes is not None and np.asarray(axes).size != 9:
        raise ValueError("axes must be a 3x3 array of matplotlib axes, got "
                         f"{np.asarray(axes).size} entries")
    ew = getattr(data, 'edge_weight', None) if edge_weight is None else edge_weight
    n = int(data.num_nodes)
    if order is None:
        order = raster_order(data.pos) if getattr(data, 'pos',
                                                  None) is not None else torch.arange(n)
    order = order.cpu()
    if order.numel() != n or not torch.equal(order.sort().values, torch.arange(n)):
        raise ValueError(
            f"order must hold all N = {n} nodes once each (a permutation of the node ids), got "
            f"{order.numel()} ids"
            + (' with repeats or ids out of range' if order.numel() == n else '')
        )
    m = min(n, max_nodes)
    rank = torch.empty(n, dtype=torch.long)
    rank[order] = torch.arange(n)
    src, dst = rank[ei[0].cpu()], rank[ei[1].cpu()]
    w = ew.detach().cpu().double() if ew is not None else torch.ones(src.numel(),
                                                                     dtype=torch.double)
    keep = (src < m) & (dst < m)
    A = torch.zeros(len(DIRECTIONS), m, m, dtype=torch.double)
    A.index_put_((et.cpu()[keep], dst[keep], src[keep]), w[keep], accumulate=True)
    if axes is None:
        fig, axes = plt.subplots(3, 3, figsize=(7.5, 7.8))
    else:
        fig = np.asarray(axes).flat[0].figure
    axes = np.asarray(axes).reshape(3, 3)
    colors = direction_colors()
    vmax = float(A.max()) if A.numel() and float(A.max()) > 0 else 1.
    for k, (dy, dx) in enumerate(DIRECTIONS):
        ax = axes[dy + 1, dx + 1]
        cmap = LinearSegmentedColormap.from_list(f'dir{k}', [(1, 1, 1, 1), tuple(colors[k])])
        ax.imshow(A[k].numpy(), cmap=cmap, vmin=0, vmax=vmax, interpolation='nearest')
        nnz = int((A[k] > 0).sum())
        ax.set_title(f'{k} {DIRECTION_NAMES[k]} $\\delta$=({dy},{dx}): {nnz}', fontsize=8,
                     color='black')
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_color(colors[k])
            side.set_linewidth(2)
    axes[2, 0].set_xlabel('source j', fontsize=8)
    axes[2, 0].set_ylabel('target i', fontsize=8)
    shown = f'first {m} of {n} nodes' if m < n else f'{n} nodes'
    fig.suptitle(title if title is not None else
                 f'$\\hat A^\\delta$ per direction ({shown}, raster order; entry = pixel pairs)',
                 fontsize=9)
    fig.tight_layout()
    return fig


__all__ = ['plot_superpixel_graph', 'plot_noise_canceling', 'raster_order',
           'plot_direction_adjacency']
