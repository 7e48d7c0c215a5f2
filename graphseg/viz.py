"""Matplotlib figures: superpixel graphs (HG-Conv paper Fig. 3-5 style), quadtrees and QGN
outputs (QGN supplement Tables 8-9 style), and segmentation predictions.

Edges are drawn as *stubs*: edge ``j -> i`` of direction ``k`` is the half of
the segment from node ``i`` towards node ``j``, coloured by ``k``. The two
directed edges of a neighbouring pair (``delta`` one way, ``delta-bar`` the
other) then stay visible side by side instead of overdrawing each other.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import Data

from .check import as_image, check_finite, check_index, check_int, check_ndim, check_number, check_tensor
from .graphs.directions import CENTER, DIRECTIONS
from .graphs.group_adjacency import group_adjacency


#: Okabe & Ito's colour-blind-safe palette (8 colours) for the 8 neighbour directions, dark grey for the centre.
#: Opposite directions get contrasting colours (N/S blue/orange, W/E green/vermillion, NW/SE sky blue/yellow,
#: NE/SW purple/black); axis-aligned directions are drawn solid, diagonal ones dashed.
DIRECTION_HEX = ('#56B4E9', '#0072B2', '#CC79A7',
                 '#009E73', '#555555', '#D55E00',
                 '#000000', '#E69F00', '#F0E442')
#: Compass names of DIRECTIONS (image convention: y grows downwards, so dy = -1 is north).
DIRECTION_NAMES = ('NW', 'N', 'NE', 'W', 'self', 'E', 'SW', 'S', 'SE')


def direction_colors() -> np.ndarray:
    """One RGBA colour per direction (:data:`DIRECTION_HEX`: Okabe-Ito, colour-blind safe; self: dark grey).

    Shapes:
        - **output:** :math:`(9, 4)`
    """
    from matplotlib.colors import to_rgba
    return np.array([to_rgba(c) for c in DIRECTION_HEX])


def direction_linestyles() -> list:
    """One matplotlib dash pattern per direction: solid for the axis-aligned and self directions,
    dashed for the diagonals, so that colour is never the only cue."""
    return ['solid' if dy == 0 or dx == 0 else (0, (2.5, 1.2)) for dy, dx in DIRECTIONS]


def _to_hwc(image: Union[Tensor, np.ndarray], name: str = 'image') -> np.ndarray:
    """An image (the layout / dtype rule of :func:`graphseg.check.as_image`) as an (H, W[, C]) array for imshow;
    float images are stretched to [0, 1], uint8 / bool ones are shown as they are."""
    stretch = getattr(image, 'is_floating_point', lambda: image.dtype.kind == 'f')()
    image = as_image(image, name, batched=False).detach().cpu().permute(1, 2, 0).numpy()
    if image.shape[-1] == 1:
        image = image[..., 0]
    if stretch:
        lo, hi = float(image.min()), float(image.max())
        image = (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image)
    return image


def _draw_compass(ax, fontsize: float = 7.) -> None:
    """Arrows from the centre to each offset ``(dx, dy)``, labelled ``k name``, in data coordinates."""
    colors, styles = direction_colors(), direction_linestyles()
    for k, (dy, dx) in enumerate(DIRECTIONS):
        if k == CENTER:
            ax.plot([0], [0], 'o', color=colors[k], ms=4)
            ax.text(0.12, -0.18, f'{k} self', fontsize=fontsize, ha='left', va='bottom')
            continue
        ax.annotate('', xy=(0.62 * dx, 0.62 * dy), xytext=(0, 0),
                    arrowprops=dict(arrowstyle='-|>', color=colors[k], lw=2, linestyle=styles[k],
                                    shrinkA=2, shrinkB=0, mutation_scale=9))
        ax.text(0.95 * dx, 0.95 * dy, f'{k} {DIRECTION_NAMES[k]}', fontsize=fontsize, ha='center', va='center',
                color='black')
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(1.4, -1.4)  # image convention: y grows downwards
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect('equal')


def draw_direction_legend(ax, loc: Sequence[float] = (0.72, 0.0, 0.28, 0.28), fontsize: float = 6.):
    """A labelled compass inset: each direction ``k`` as an arrow from node ``i`` towards the offset
    where its neighbour ``j`` lies (colour and dash pattern as the edges), with its id and compass name.

    Args:
        ax: the axis to put the inset in.
        loc (sequence): inset ``(x0, y0, width, height)`` in axis fractions.
        fontsize (float): label size.

    Returns:
        The inset axis.
    """
    if not hasattr(ax, 'inset_axes'):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    inset = ax.inset_axes(list(loc))
    _draw_compass(inset, fontsize)
    inset.set_title('edge j→i of type k:\nj at offset k from i', fontsize=fontsize, backgroundcolor='white')
    inset.patch.set_alpha(0.85)
    return inset


def plot_direction_legend(ax=None, fontsize: float = 9.):
    """The direction legend as a figure of its own (see :func:`draw_direction_legend`)."""
    import matplotlib.pyplot as plt
    check_number(fontsize, 'fontsize', 0., strict=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(2.6, 2.6))
    elif not hasattr(ax, 'inset_axes'):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    _draw_compass(ax, fontsize)
    ax.set_title('direction k of edge j→i\n(j at offset k from i)', fontsize=fontsize)
    return ax


def plot_superpixel_graph(data: Data, image: Union[Tensor, np.ndarray, None] = None, *, ax=None,
                          edge_index: Optional[Tensor] = None, edge_type: Optional[Tensor] = None,
                          edge_weight: Optional[Tensor] = None, boundaries: bool = True,
                          node_size: float = 6., legend: bool = True, title: Optional[str] = None):
    """Draw a direction-typed superpixel graph over its image.

    Superpixel boundaries (from ``data.seg``), nodes at ``data.pos`` and edge
    stubs coloured by direction with width growing with the edge weight.

    Args:
        data (Data): a :class:`~graphseg.graphs.SuperpixelData` (``pos``, ``edge_index``,
            ``edge_type``; ``seg`` for boundaries; ``edge_weight`` optional).
        image: the image, tensor :math:`(C, H, W)` or array :math:`(H, W, C)`.
        ax: a matplotlib axis (default: a new figure).
        edge_index, edge_type, edge_weight: draw these edges instead of the graph's.
        boundaries (bool): draw superpixel boundaries. (default: ``True``)
        node_size (float): marker size of the nodes.
        legend (bool): add the direction compass. (default: ``True``)
        title (str, optional): axis title.

    Returns:
        The matplotlib axis.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    if not isinstance(data, Data) or getattr(data, 'pos', None) is None:
        raise ValueError("data must be a torch_geometric Data with pos (N, 2) as (x, y)")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    if image is not None:
        img = _to_hwc(image)
        if boundaries and getattr(data, 'seg', None) is not None:
            from skimage.segmentation import find_boundaries
            seg = data.seg[0].cpu().numpy()
            if img.shape[:2] != seg.shape:
                raise ValueError(f"image must be {seg.shape} to match data.seg, got {img.shape[:2]}")
            rgb = np.stack([img] * 3, -1) if img.ndim == 2 else img.astype(float)
            if rgb.max() > 1:
                rgb = rgb / 255.
            rgb = rgb.copy()
            rgb[find_boundaries(seg, mode='inner')] = (1.0, 1.0, 0.2)
            img = rgb
        ax.imshow(img, cmap='gray' if img.ndim == 2 else None)
    ei = data.edge_index if edge_index is None else edge_index
    et = data.edge_type if edge_type is None else edge_type
    ew = getattr(data, 'edge_weight', None) if edge_weight is None else edge_weight
    pos = data.pos.detach().cpu().numpy()
    ei, et = ei.cpu().numpy(), et.cpu().numpy()
    keep = et != CENTER
    src, dst, typ = ei[0][keep], ei[1][keep], et[keep]
    start = pos[dst]
    end = pos[dst] + 0.5 * (pos[src] - pos[dst])  # stub: half-way from i towards j
    if ew is not None:
        w = ew.detach().cpu().numpy()[keep]
        widths = 0.4 + 1.6 * np.log1p(w) / max(np.log1p(w).max(), 1e-12)
    else:
        widths = np.full(len(typ), 1.0)
    colors = direction_colors()[typ]
    styles = direction_linestyles()
    ax.add_collection(LineCollection(np.stack([start, end], 1), colors=colors, linewidths=widths,
                                     linestyles=[styles[t] for t in typ]))
    ax.scatter(pos[:, 0], pos[:, 1], s=node_size, c='white', edgecolors='black', linewidths=0.3, zorder=3)
    if image is None:
        ax.set_xlim(pos[:, 0].min() - 1, pos[:, 0].max() + 1)
        ax.set_ylim(pos[:, 1].max() + 1, pos[:, 1].min() - 1)
    ax.set_axis_off()
    if legend:
        draw_direction_legend(ax)
    ax.set_title(title if title is not None else f'{data.num_nodes} nodes, {int(keep.sum())} typed edges')
    return ax


def plot_noise_canceling(data: Data, image: Union[Tensor, np.ndarray, None] = None, *, axes=None,
                         crop: Optional[Sequence[int]] = None):
    r"""Before/after view of Appendix B: raw :math:`\hat A`, after noise canceling (Eq. 7), after max-direction.

    Args:
        data (Data): a :class:`~graphseg.graphs.SuperpixelData` with ``seg``.
        image: the image (tensor :math:`(C, H, W)` or array :math:`(H, W, C)`).
        axes: three matplotlib axes (default: a new 1x3 figure).
        crop (sequence, optional): ``(x0, x1, y0, y1)`` pixel window to zoom into.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

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
        n_typed = int((et != CENTER).sum())
        plot_superpixel_graph(data, image, ax=ax, edge_index=ei, edge_type=et, edge_weight=ew,
                              legend=ax is axes[-1], title=f'{name}: {n_typed} edges')
        if crop is not None:
            x0, x1, y0, y1 = crop
            ax.set_xlim(x0, x1)
            ax.set_ylim(y1, y0)
    fig.tight_layout()
    return fig


def raster_order(pos: Tensor, rows: Optional[int] = None) -> Tensor:
    """Node order for adjacency plots: rows of nodes top to bottom (by ``y`` in ``rows`` bands), left to
    right within a row, so that on a lattice each direction's matrix is one off-diagonal band.

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


def plot_direction_adjacency(data: Data, *, edge_index: Optional[Tensor] = None, edge_type: Optional[Tensor] = None,
                             edge_weight: Optional[Tensor] = None, order: Optional[Tensor] = None,
                             max_nodes: int = 400, axes=None, title: Optional[str] = None):
    r"""The 9 per-direction adjacency matrices :math:`\hat A^\delta` side by side (HG-Conv Fig. 5 style).

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
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap

    from .ops import check_typed_edges
    if not isinstance(data, Data):
        raise TypeError(f"data must be a torch_geometric Data, got {type(data).__name__}")
    ei = data.edge_index if edge_index is None else edge_index
    et = getattr(data, 'edge_type', None) if edge_type is None else edge_type
    if ei is None or et is None:
        raise ValueError("data must have edge_index and edge_type (direction ids), or pass them")
    check_typed_edges(ei, et, len(DIRECTIONS), num_src=data.num_nodes, num_dst=data.num_nodes)
    check_int(max_nodes, 'max_nodes', 1)
    if axes is not None and np.asarray(axes).size != 9:
        raise ValueError(f"axes must be a 3x3 array of matplotlib axes, got {np.asarray(axes).size} entries")
    ew = getattr(data, 'edge_weight', None) if edge_weight is None else edge_weight
    n = int(data.num_nodes)
    if order is None:
        order = raster_order(data.pos) if getattr(data, 'pos', None) is not None else torch.arange(n)
    order = order.cpu()
    if order.numel() != n or not torch.equal(order.sort().values, torch.arange(n)):
        raise ValueError(f"order must hold all N = {n} nodes once each (a permutation of the node ids), got "
                         f"{order.numel()} ids" + (' with repeats or ids out of range' if order.numel() == n else ''))
    m = min(n, max_nodes)
    rank = torch.empty(n, dtype=torch.long)
    rank[order] = torch.arange(n)
    src, dst = rank[ei[0].cpu()], rank[ei[1].cpu()]
    w = ew.detach().cpu().double() if ew is not None else torch.ones(src.numel(), dtype=torch.double)
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
        ax.set_title(f'{k} {DIRECTION_NAMES[k]} $\\delta$=({dy},{dx}): {nnz}', fontsize=8, color='black')
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_color(colors[k])
            side.set_linewidth(2)
    axes[2, 0].set_xlabel('source j', fontsize=8)
    axes[2, 0].set_ylabel('target i', fontsize=8)
    shown = f'first {m} of {n} nodes' if m < n else f'{n} nodes'
    fig.suptitle(title if title is not None else
                 f'$\\hat A^\\delta$ per direction ({shown}, raster order; entry = pixel pairs)', fontsize=9)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- quadtrees and QGN

def _class_colors(num_classes: int) -> np.ndarray:
    """``tab20``'s ten strong colours first, then their light partners, so that up to 10 classes never get
    two shades of one hue (``tab20`` in its own order pairs dark and light blue, orange, ...)."""
    import matplotlib
    cmap = matplotlib.colormaps['tab20']
    order = list(range(0, 20, 2)) + list(range(1, 20, 2))
    return np.array([cmap(order[i % 20]) for i in range(num_classes)])


def label_to_rgb(level: Tensor, num_classes: int, ignore_index: int = 255) -> np.ndarray:
    """Colour a label map :math:`(H, W)`: classes by ``tab20`` (strong colours first), composite black, ignore white.

    Shapes:
        - **output:** :math:`(H, W, 4)` RGBA
    """
    check_index(level, 'level')
    lab = level.detach().cpu().numpy()
    bad = (lab < 0) | (lab > num_classes)
    bad &= lab != ignore_index
    if bad.any():
        raise ValueError(f"level values must lie in [0, {num_classes}] (classes and the composite id) or be "
                         f"ignore_index = {ignore_index}, got {int(lab[bad][0])}")
    rgb = np.ones(lab.shape + (4,))
    colors = _class_colors(num_classes)
    cls = (lab >= 0) & (lab < num_classes)
    rgb[cls] = colors[lab[cls]]
    rgb[lab == num_classes] = (0., 0., 0., 1.)
    rgb[lab == ignore_index] = (1., 1., 1., 1.)
    return rgb


def plot_t_pyramid(pyramid: Sequence[Tensor], num_classes: int, ignore_index: int = 255, *, axes=None,
                   titles: bool = True):
    """One panel per T-pyramid level (level 0 first): classes in colour, composite black, ignore white.

    Args:
        pyramid: :func:`~graphseg.graphs.t_pyramid` of an :math:`(H, W)` label map.
        num_classes (int): :math:`k` (the composite id).
        ignore_index (int): (default: ``255``)
        axes: ``len(pyramid)`` matplotlib axes (default: a new row of panels).

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt
    if not isinstance(pyramid, (list, tuple)) or not pyramid:
        raise ValueError(f"pyramid must be a non-empty list of label maps (t_pyramid), got {pyramid!r}")
    if any(p.dim() != 2 for p in pyramid):
        raise ValueError("pyramid must hold unbatched (H, W) levels; index one image of a batch first")
    if axes is None:
        _, axes = plt.subplots(1, len(pyramid), figsize=(3 * len(pyramid), 3))
    axes = np.atleast_1d(axes)
    for l, (p, ax) in enumerate(zip(pyramid, axes)):
        ax.imshow(label_to_rgb(p, num_classes, ignore_index), interpolation='nearest')
        if titles:
            comp = float((p == num_classes).float().mean())
            ax.set_title(f'$T_{l}$  {tuple(p.shape)}, {comp:.0%} composite', fontsize=9)
        ax.set_axis_off()
    return axes


def quadtree_draw_level(level: Tensor, max_cells: int = 1500) -> int:
    """The finest level whose cells (and all coarser ones) number at most ``max_cells``: the ``min_level``
    :func:`plot_quadtree_graph` picks so that a figure stays readable at any depth."""
    check_tensor(level, 'level')
    check_index(level, 'level')
    check_int(max_cells, 'max_cells', 1)
    lv = level.detach().cpu()
    if lv.numel() and int(lv.min()) < 0:
        raise ValueError(f"level must hold quadtree levels >= 0 (QuadtreeData.level), got {int(lv.min())}")
    top = int(lv.max()) if lv.numel() else 0
    for lvl in range(top + 1):
        if int((lv >= lvl).sum()) <= max_cells:
            return lvl
    return top


def plot_quadtree_graph(data, image: Union[Tensor, np.ndarray, None] = None, *, ax=None,
                        min_level: Optional[int] = None, max_cells: int = 1500, alpha: float = 0.45,
                        node_size: float = 3., edges: bool = True, colorbar: bool = True,
                        title: Optional[str] = None):
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
        alpha (float): opacity of the level tint. (default: ``0.45``)
        node_size (float): marker size of a level-``min_level`` node (grows with the level).
        edges (bool): draw parent -> child edges. (default: ``True``)
        colorbar (bool): add the level colour bar. (default: ``True``)
        title (str, optional): axis title.

    Returns:
        The matplotlib axis.
    """
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.colors import BoundaryNorm, ListedColormap

    from .graphs.quadtree import CHILD_EDGE_TYPE

    if not isinstance(data, Data) or any(getattr(data, k, None) is None for k in ('level', 'cell_size', 'leaf',
                                                                                  'seg', 'pos')):
        raise ValueError("data must be a quadtree graph (QuadtreeData with level, cell_size, leaf, seg, pos; "
                         "see quadtree_graph)")
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
        ax.add_collection(LineCollection(rects, colors='black', linewidths=0.35, linestyles=style, alpha=0.7))
    if edges:
        ei, et = data.edge_index.cpu().numpy(), data.edge_type.cpu().numpy()
        keep = (et >= CHILD_EDGE_TYPE) & (level[ei[1]] >= min_level)
        ax.add_collection(LineCollection(np.stack([pos[ei[0][keep]], pos[ei[1][keep]]], 1), colors='black',
                                         linewidths=0.4, alpha=0.6))
    show = level >= min_level
    sc = ax.scatter(pos[show, 0], pos[show, 1], s=node_size * 2 ** (level[show] - min_level), c=level[show],
                    cmap=cmap, norm=norm, edgecolors='black', linewidths=0.3, zorder=3)
    if colorbar:
        cb = plt.colorbar(sc, ax=ax, fraction=0.046, pad=0.02, ticks=range(top + 1))
        cb.set_label('level l (cell side $2^l$ px)')
    ax.set_xlim(-0.5, W - 0.5)
    ax.set_ylim(H - 0.5, -0.5)
    ax.set_axis_off()
    hidden = int((level < min_level).sum())
    default = f'{data.num_nodes} cells, {int(leaf.sum())} leaves'
    if hidden:
        default += f'\nlevels < {min_level} aggregated ({hidden} cells; dotted = subdivided further)'
    ax.set_title(title if title is not None else default, fontsize=9)
    return ax


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
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    from .nn.qgn import QGNOutput
    if not isinstance(output, QGNOutput):
        raise TypeError(f"output must be a QGNOutput (QGN's 'levels'), got {type(output).__name__}")
    levels = output.levels
    if axes is None:
        _, axes = plt.subplots(1, len(levels), figsize=(2.5 * len(levels), 2.5))
    axes = np.atleast_1d(axes)
    cmap = ListedColormap(['#202020', '#ffb000'])  # inactive dark, active amber
    for l, ax in zip(levels, axes):
        m = output.active_mask(l)[image_index].cpu().numpy()
        ax.imshow(m, cmap=cmap, vmin=0, vmax=1, interpolation='nearest')
        prefix = f'{label}: ' if label else ''
        ax.set_title(f'{prefix}$A_{l}$ {int(m.sum())} ({m.mean():.0%})', fontsize=8)
        ax.set_axis_off()
    return axes


#: Class names of :class:`~graphseg.data.MNISTSegmentation` (background + the 10 digits).
MNIST_SEG_CLASSES = ('background',) + tuple(f'digit {d}' for d in range(10))


def add_class_legend(fig, num_classes: int, class_names: Optional[Sequence[str]] = None, *,
                     ignore_index: Optional[int] = 255, ncol: Optional[int] = None, fontsize: float = 7.):
    """A legend of the class colours of :func:`label_to_rgb` (and white = ignore) below a figure."""
    from matplotlib.patches import Patch
    if not hasattr(fig, 'legend') or not hasattr(fig, 'add_axes'):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    check_int(num_classes, 'num_classes', 1)
    if ncol is not None:
        check_int(ncol, 'ncol', 1)
    names = list(class_names) if class_names is not None else [f'class {k}' for k in range(num_classes)]
    if len(names) != num_classes:
        raise ValueError(f"class_names must have num_classes = {num_classes} entries, got {len(names)}")
    colors = _class_colors(num_classes)
    handles = [Patch(facecolor=colors[k], edgecolor='black', linewidth=0.3, label=names[k])
               for k in range(num_classes)]
    if ignore_index is not None:
        handles.append(Patch(facecolor='white', edgecolor='black', linewidth=0.3, label=f'ignore ({ignore_index})'))
    return fig.legend(handles=handles, loc='lower center', ncol=ncol or min(len(handles), 6), fontsize=fontsize,
                      frameon=False, bbox_to_anchor=(0.5, 0.0))


def plot_predictions(images: Tensor, labels: Tensor, preds: Sequence[Tensor], titles: Sequence[str], *,
                     num_classes: int = 11, ignore_index: int = 255,
                     class_names: Optional[Sequence[str]] = None):
    """Rows of images, ground-truth labels and each model's predicted labels (``graphseg demo``), with a
    class legend below.

    Args:
        images (Tensor): :math:`(B, C, H, W)` in ``[0, 1]``.
        labels (LongTensor): :math:`(B, H, W)`; ``ignore_index`` is drawn white.
        preds (sequence of LongTensor): one :math:`(B, H, W)` map per model.
        titles (sequence of str): one row title per model.
        num_classes (int): :math:`K`. (default: ``11``)
        ignore_index (int): (default: ``255``)
        class_names (sequence of str, optional): legend names (default: :data:`MNIST_SEG_CLASSES`
            for 11 classes, else ``class k``).

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    if len(preds) != len(titles):
        raise ValueError(f"preds and titles must have the same length, got {len(preds)} and {len(titles)}")
    if class_names is None and num_classes == len(MNIST_SEG_CLASSES):
        class_names = MNIST_SEG_CLASSES
    images = as_image(images, 'images')
    if images.dim() != 4:
        raise ValueError(f"images must be a batch (B, C, H, W), got shape {tuple(images.shape)}")
    B, _, H, W = images.shape
    for name, lab in [('labels', labels)] + [(f'preds[{i}]', p) for i, p in enumerate(preds)]:
        check_index(lab, name)
        if tuple(lab.shape) != (B, H, W):
            raise ValueError(f"{name} must have shape (B, H, W) = {(B, H, W)}, got {tuple(lab.shape)}")
    n = images.size(0)
    rows = 2 + len(preds)
    legend_rows = math.ceil((num_classes + 1) / 6)
    fig, axes = plt.subplots(rows, n, figsize=(max(1.6 * n, 6), 1.7 * rows + 0.25 * legend_rows + 0.2),
                             squeeze=False)
    for i in range(n):
        axes[0, i].imshow(_to_hwc(images[i]), cmap='gray' if images.size(1) == 1 else None)
        for r, lab in enumerate([labels] + list(preds), 1):
            axes[r, i].imshow(label_to_rgb(lab[i], num_classes, ignore_index), interpolation='nearest')
    for r, name in enumerate(['image', 'label'] + list(titles)):
        axes[r, 0].set_ylabel(name, fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout(rect=(0, 0.3 * legend_rows / (1.7 * rows + 0.3 * legend_rows), 1, 1))
    add_class_legend(fig, num_classes, class_names, ignore_index=ignore_index)
    return fig


__all__ = ['plot_superpixel_graph', 'plot_noise_canceling', 'direction_colors', 'direction_linestyles',
           'draw_direction_legend', 'plot_direction_legend', 'plot_direction_adjacency', 'raster_order',
           'DIRECTION_HEX', 'DIRECTION_NAMES', 'label_to_rgb', 'add_class_legend', 'MNIST_SEG_CLASSES',
           'plot_t_pyramid', 'quadtree_draw_level', 'plot_quadtree_graph', 'plot_active_sites', 'plot_predictions']
