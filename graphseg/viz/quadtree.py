"""Figures of quadtrees and QGN outputs (QGN supplement Tables 8-9 style): the T-pyramid, quadtree
graphs readable at any depth, and the active sites of each decoder level."""
from __future__ import annotations

from typing import Optional, Sequence, Union

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from torch import Tensor
from torch_geometric.data import Data

from ..check import check_index, check_int, check_tensor
from ..directions import CENTER
from ..graphs.quadtree import CHILD_EDGE_TYPE
from ..nn.qgn import QGNOutput
from .style import _to_hwc, label_to_rgb


def plot_t_pyramid(pyramid: Sequence[Tensor], num_classes: int, ignore_index: int = 255, *,
                   axes=None, titles: bool = True):
    """One panel per T-pyramid level (level 0 first): classes in colour, composite black, ignore
    white.

    Args:
        pyramid: :func:`~graphseg.graphs.t_pyramid` of an :math:`(H, W)` label map.
        num_classes (int): :math:`k` (the composite id).
        ignore_index (int): (default: ``255``)
        axes: ``len(pyramid)`` matplotlib axes (default: a new row of panels).

    Returns:
        The axes.
    """
    if not isinstance(pyramid, (list, tuple)) or not pyramid:
        raise ValueError("pyramid must be a non-empty list of label maps (t_pyramid), got "
                         f"{pyramid!r}")
    if any(p.dim() != 2 for p in pyramid):
        raise ValueError("pyramid must hold unbatched (H, W) levels; index one image of a batch "
                         "first")
    if axes is None:
        _, axes = plt.subplots(1, len(pyramid), figsize=(3 * len(pyramid), 3))
    axes = np.atleast_1d(axes)
    for level, (p, ax) in enumerate(zip(pyramid, axes)):
        ax.imshow(label_to_rgb(p, num_classes, ignore_index), interpolation='nearest')
        if titles:
            comp = float((p == num_classes).float().mean())
            ax.set_title(f'$T_{level}$  {tuple(p.shape)}, {comp:.0%} composite', fontsize=9)
        ax.set_axis_off()
    return axes


def quadtree_draw_level(level: Tensor, max_cells: int = 1500) -> int:
    """The finest level whose cells (and all coarser ones) number at most ``max_cells``: the
    ``min_level`` :func:`plot_quadtree_graph` picks so that a figure stays readable at any depth."""
    check_tensor(level, 'level')
    check_index(level, 'level')
    check_int(max_cells, 'max_cells', 1)
    lv = level.detach().cpu()
    if lv.numel() and int(lv.min()) < 0:
        raise ValueError("level must hold quadtree levels >= 0 (QuadtreeData.level), got "
                         f"{int(lv.min())}")
    top = int(lv.max()) if lv.numel() else 0
    for lvl in range(top + 1):
        if int((lv >= lvl).sum()) <= max_cells:
            return lvl
    return top


def plot_quadtree_graph(data, image: Union[Tensor, np.ndarray, None] = None, *, ax=None,
                        min_level: Optional[int] = None, max_cells: int = 1500, alpha: float = 0.35,
                        node_size: float = 3., edges: bool = True, colorbar: bool = True,
                        legend: bool = True, title: Optional[str] = None):
    """Draw a quadtree graph over its image, readable at any depth.

    Cells at level ``min_level`` and above are drawn as they are: outlined, tinted
    by their level, with their centre node and parent -> child edges. Everything
    finer is *aggregated* into its ancestor at ``min_level``: one outlined cell
    (dotted) tinted by the mean level of the leaves inside, so a deep tree of
    tens of thousands of cells still draws a few hundred rectangles and saves to
    a small file. By default ``min_level`` is the finest level with at most
    ``max_cells`` cells at or above it (:func:`quadtree_draw_level`).

    Args:
        data: a :class:`~graphseg.graphs.QuadtreeData` (``seg``, ``pos``, ``level``, ``leaf``,
            ``edge_index``, ``edge_type``).
        image: the image, :math:`(C, H, W)` tensor or :math:`(H, W, C)` array (may be smaller than
            the padded grid of ``data``).
        ax: a matplotlib axis (default: a new figure).
        min_level (int, optional): finest level drawn cell by cell (default: automatic).
        max_cells (int): the automatic ``min_level``'s cell budget. (default: ``1500``)
        alpha (float): opacity of the level tint. (default: ``0.35``)
        node_size (float): marker size of a level-``min_level`` node (grows with the level).
        edges (bool): draw parent -> child edges. (default: ``True``)
        colorbar (bool): add the cell-size colour bar. (default: ``True``)
        legend (bool): explain the marks (nodes, cells, edges, with the graph's edge counts) below
            the axis. (default: ``True``)
        title (str, optional): axis title (default: what the tree is and what is drawn of it).

    Returns:
        The matplotlib axis.
    """
    keys = ('level', 'cell_size', 'leaf', 'seg', 'pos')
    if not isinstance(data, Data) or any(getattr(data, k, None) is None for k in keys):
        raise ValueError("data must be a quadtree graph (QuadtreeData with level, cell_size, "
                         "leaf, seg, pos; see quadtree_graph)")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    seg = data.seg[0].cpu().numpy()
    H, W = seg.shape
    level = data.level.cpu().numpy()
    leaf = data.leaf.cpu().numpy().astype(bool)
    top = max(int(level.max()), 1)
    if min_level is None:
        min_level = quadtree_draw_level(data.level, max_cells)
    cmap = ListedColormap(matplotlib.colormaps['viridis'](np.linspace(0, 1, top + 1)))
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), cmap.N)
    canvas = np.ones((H, W, 3))
    if image is not None:
        img = _to_hwc(image).astype(float)
        rgb = np.stack([img] * 3, -1) if img.ndim == 2 else img[..., :3]
        h, w = min(H, rgb.shape[0]), min(W, rgb.shape[1])
        canvas[:h, :w] = rgb[:h, :w]
    pix_level = level[seg].astype(float)  # level of each pixel's leaf
    # aggregate: below min_level, every pixel takes the mean leaf level of its level-min_level block
    s = 2 ** min_level
    if min_level > 0 and H % s == 0 and W % s == 0:
        block = pix_level.reshape(H // s, s, W // s, s).mean((1, 3))
        fine = pix_level < min_level
        pix_level = np.where(fine, np.repeat(np.repeat(block, s, 0), s, 1), pix_level)
    tint = cmap(norm(np.rint(pix_level).astype(int)))[..., :3]
    canvas = (1 - alpha) * canvas + alpha * tint
    ax.imshow(canvas, interpolation='nearest')

    pos = data.pos.detach().cpu().numpy()
    size = 2.0 ** level
    drawn = level >= min_level  # the cells at min_level stand for their whole subtree
    aggregated = (level == min_level) & ~leaf
    for mask, style in ((drawn & ~aggregated, 'solid'), (aggregated, (0, (1, 1.5)))):
        cx, cy, half = pos[mask, 0], pos[mask, 1], size[mask] / 2
        x0, x1, y0, y1 = cx - half, cx + half, cy - half, cy + half
        rects = np.stack([np.stack([x0, y0], 1), np.stack([x1, y0], 1), np.stack([x1, y1], 1),
                          np.stack([x0, y1], 1), np.stack([x0, y0], 1)], 1)  # (n, 5, 2)
        ax.add_collection(
            LineCollection(rects, colors='black', linewidths=0.35, linestyles=style, alpha=0.7)
        )
    if edges:
        ei, et = data.edge_index.cpu().numpy(), data.edge_type.cpu().numpy()
        keep = (et >= CHILD_EDGE_TYPE) & (level[ei[1]] >= min_level)
        ax.add_collection(
            LineCollection(
                np.stack([pos[ei[0][keep]], pos[ei[1][keep]]], 1),
                colors='black',
                linewidths=0.4,
                alpha=0.6,
            )
        )
    show = level >= min_level
    sc = ax.scatter(pos[show, 0], pos[show, 1], s=node_size * 2 ** (level[show] - min_level),
                    c=level[show], cmap=cmap, norm=norm, edgecolors='black', linewidths=0.3,
                    zorder=3)
    if colorbar:
        cb = plt.colorbar(sc, ax=ax, fraction=0.046, pad=0.02, ticks=range(top + 1))
        cb.ax.set_yticklabels([f'{2 ** lv} px' for lv in range(top + 1)])
        cb.set_label('cell side (level l: $2^l$ px)')
    ax.set_xlim(-0.5, W - 0.5)
    ax.set_ylim(H - 0.5, -0.5)
    ax.set_axis_off()
    if legend:
        padded = image is not None and (img.shape[0] < H or img.shape[1] < W)
        _quadtree_legend(ax, data, min_level, edges, padded)
    ax.set_title(title if title is not None else _quadtree_title(data, min_level), fontsize=10)
    return ax


def _quadtree_counts(data) -> dict:
    """Cells, leaves, and the edges by kind (parent -> child, same-level neighbours, self-loops):
    together ``data.edge_index.size(1)``."""
    et = data.edge_type
    child = int((et >= CHILD_EDGE_TYPE).sum())
    loops = int((et == CENTER).sum())
    return {'cells': int(data.num_nodes), 'leaves': int(data.leaf.sum()), 'edges': int(et.numel()),
            'child': child, 'loops': loops, 'same': int(et.numel()) - child - loops}


def _quadtree_title(data, min_level: int) -> str:
    """The default title: what the tree is, in plain words, and what is drawn of it."""
    c = _quadtree_counts(data)
    level = data.level
    what = ('lies inside one superpixel' if getattr(data, 'num_superpixels', None) is not None
            else 'holds one label')  # slic_quadtree's trees, or Quadtree.from_labels'
    lines = [f'quadtree: square cells split in four until each {what}',
             f"{c['cells']:,} cells (nodes), {c['leaves']:,} of them not split further"]
    hidden = int((level < min_level).sum())
    if hidden:
        lines.append(f'{hidden:,} cells smaller than {2 ** min_level} px not drawn: '
                     f'a dotted {2 ** min_level}-px cell is split further')
    return '\n'.join(lines)


def _quadtree_legend(ax, data, min_level: int, edges: bool, padded: bool) -> None:
    """What the marks mean, below the axis (outside the image), with the edge counts of
    ``data``."""
    c = _quadtree_counts(data)
    smallest = f'{2 ** min_level}-px'
    handles = [Line2D([], [], marker='o', linestyle='none', markerfacecolor='#7ad151',
                      markeredgecolor='black', markersize=6,
                      label='node: a cell\'s centre (colour = cell side)'),
               Patch(facecolor='none', edgecolor='black', linewidth=0.8, label='a cell'),
               Patch(facecolor='#7ad151', edgecolor='none', alpha=0.6,
                     label=f'tint: side of the unsplit cell under each pixel (colour bar; '
                           f'averaged inside a dotted {smallest} cell)'),
               Patch(facecolor='none', edgecolor='black', linewidth=0.8, linestyle=':',
                     label=f'a {smallest} cell split further (its cells not drawn)')]
    if edges:
        handles.append(Line2D([], [], color='black', linewidth=0.8,
                              label=f"parent -> child edge (drawn to the {smallest} cells; "
                                    f"{c['child']:,} in all)"))
    if padded:
        handles.append(Patch(facecolor='#dddddd', edgecolor='none',
                             label='light strip: padding (the tree covers a multiple of '
                                   f'{2 ** (int(data.level.max()))} px)'))
    not_drawn = f"{c['same']:,} same-level neighbour edges"
    if c['loops']:
        not_drawn += f" + {c['loops']:,} self-loops"
    handles.append(Line2D([], [], linestyle='none', label=f'not drawn: {not_drawn} '
                                                            f"({c['edges']:,} edges in all)"))
    ax.legend(handles=handles, loc='upper left', bbox_to_anchor=(0.0, -0.01), ncol=1,
              fontsize=8, frameon=False, handlelength=1.6)


def plot_active_sites(output, *, image_index: int = 0, axes=None, label: Optional[str] = None):
    """The active sites :math:`A_l` of each decoded level of a QGN output (amber = active).

    Args:
        output: a :class:`~graphseg.nn.qgn.QGNOutput`.
        image_index (int): which image of the batch. (default: ``0``)
        axes: one axis per level (default: a new row).
        label (str, optional): a prefix for the panel titles (e.g. the scheme).

    Returns:
        The axes.
    """

    if not isinstance(output, QGNOutput):
        raise TypeError(f"output must be a QGNOutput (QGN's 'levels'), got {type(output).__name__}")
    levels = output.levels
    if axes is None:
        _, axes = plt.subplots(1, len(levels), figsize=(2.5 * len(levels), 2.5))
    axes = np.atleast_1d(axes)
    cmap = ListedColormap(['#202020', '#ffb000'])  # inactive dark, active amber
    for level, ax in zip(levels, axes):
        m = output.active_mask(level)[image_index].cpu().numpy()
        ax.imshow(m, cmap=cmap, vmin=0, vmax=1, interpolation='nearest')
        prefix = f'{label}: ' if label else ''
        ax.set_title(f'{prefix}$A_{level}$ {int(m.sum())} ({m.mean():.0%})', fontsize=8)
        ax.set_axis_off()
    return axes


__all__ = ['plot_t_pyramid', 'quadtree_draw_level', 'plot_quadtree_graph', 'plot_active_sites']
