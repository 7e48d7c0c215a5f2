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
from torch import Tensor
from torch_geometric.data import Data

from .check import as_image, check_index
from .graphs.directions import CENTER, DIRECTIONS
from .graphs.group_adjacency import group_adjacency


def direction_colors() -> np.ndarray:
    """One RGBA colour per direction (hue = angle of ``(dx, -dy)``; the self direction is grey).

    Shapes:
        - **output:** :math:`(9, 4)`
    """
    import matplotlib

    cmap = matplotlib.colormaps['hsv']
    out = np.zeros((len(DIRECTIONS), 4))
    for k, (dy, dx) in enumerate(DIRECTIONS):
        if k == CENTER:
            out[k] = (0.5, 0.5, 0.5, 1.0)
        else:
            out[k] = cmap((math.atan2(-dy, dx) / (2 * math.pi)) % 1.0)
    return out


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


def draw_direction_legend(ax, loc: Sequence[float] = (0.82, 0.02, 0.16, 0.16)):
    """A small compass inset showing the colour of each direction ``(dy, dx)``."""
    if not hasattr(ax, 'inset_axes'):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    inset = ax.inset_axes(list(loc))
    colors = direction_colors()
    for k, (dy, dx) in enumerate(DIRECTIONS):
        if k != CENTER:
            inset.annotate('', xy=(0, 0), xytext=(dx, dy),
                           arrowprops=dict(arrowstyle='->', color=colors[k], lw=2))
    inset.set_xlim(-1.3, 1.3)
    inset.set_ylim(1.3, -1.3)  # image convention: y grows downwards
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_title('j -> i', fontsize=6)
    inset.patch.set_alpha(0.8)
    return inset


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
    ax.add_collection(LineCollection(np.stack([start, end], 1), colors=colors, linewidths=widths))
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


# ----------------------------------------------------------------------------- quadtrees and QGN

def _class_colors(num_classes: int) -> np.ndarray:
    import matplotlib
    cmap = matplotlib.colormaps['tab20']
    return np.array([cmap(i % 20) for i in range(num_classes)])


def label_to_rgb(level: Tensor, num_classes: int, ignore_index: int = 255) -> np.ndarray:
    """Colour a label map :math:`(H, W)`: classes by ``tab20``, composite black, ignore white.

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


def plot_quadtree_graph(data, image: Union[Tensor, np.ndarray, None] = None, *, ax=None, min_level: int = 3,
                        alpha: float = 0.45, node_size: float = 3., title: Optional[str] = None):
    """Draw a quadtree graph over its image: each pixel tinted by the level of its leaf, the borders,
    centres and parent -> child edges of the cells at level ``min_level`` and above.

    Args:
        data: a :class:`~graphseg.graphs.QuadtreeData` (``seg``, ``pos``, ``level``, ``leaf``,
            ``edge_index``, ``edge_type``).
        image: the image, :math:`(C, H, W)` tensor or :math:`(H, W, C)` array (may be smaller than
            the padded grid of ``data``).
        ax: a matplotlib axis (default: a new figure).
        min_level (int): draw cells (borders, nodes, tree edges) from this level up; finer cells
            only show through the tint. (default: ``3``)
        alpha (float): opacity of the level tint. (default: ``0.45``)
        node_size (float): marker size of a level-``min_level`` node (grows with the level).

    Returns:
        The matplotlib axis.
    """
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from skimage.segmentation import find_boundaries

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
    top = max(int(level.max()), 1)
    canvas = np.ones((H, W, 3))
    if image is not None:
        img = _to_hwc(image).astype(float)
        rgb = np.stack([img] * 3, -1) if img.ndim == 2 else img[..., :3]
        h, w = min(H, rgb.shape[0]), min(W, rgb.shape[1])
        canvas[:h, :w] = rgb[:h, :w]
    tint = matplotlib.colormaps['viridis'](level[seg] / top)[..., :3]  # level of each pixel's leaf
    canvas = (1 - alpha) * canvas + alpha * tint
    coarse = level[seg] >= min_level
    canvas[find_boundaries(seg, mode='inner') & coarse] = (1.0, 1.0, 1.0)
    ax.imshow(canvas, interpolation='nearest')
    pos = data.pos.detach().cpu().numpy()
    ei, et = data.edge_index.cpu().numpy(), data.edge_type.cpu().numpy()
    keep = (et >= CHILD_EDGE_TYPE) & (level[ei[1]] >= min_level)
    ax.add_collection(LineCollection(np.stack([pos[ei[0][keep]], pos[ei[1][keep]]], 1), colors='black',
                                     linewidths=0.5, alpha=0.8))
    show = level >= min_level
    sc = ax.scatter(pos[show, 0], pos[show, 1], s=node_size * 2 ** (level[show] - min_level), c=level[show],
                    cmap='viridis', vmin=0, vmax=top, edgecolors='black', linewidths=0.3, zorder=3)
    plt.colorbar(sc, ax=ax, fraction=0.046, pad=0.02, label='level (cell side $2^l$ px)')
    ax.set_xlim(-0.5, W - 0.5)
    ax.set_ylim(H - 0.5, -0.5)
    ax.set_axis_off()
    ax.set_title(title if title is not None else f'{data.num_nodes} cells, {int(data.leaf.sum())} leaves')
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


def plot_predictions(images: Tensor, labels: Tensor, preds: Sequence[Tensor], titles: Sequence[str], *,
                     num_classes: int = 11, ignore_index: int = 255):
    """Rows of images, ground-truth labels and each model's predicted labels (``graphseg demo``).

    Args:
        images (Tensor): :math:`(B, C, H, W)` in ``[0, 1]``.
        labels (LongTensor): :math:`(B, H, W)`; ``ignore_index`` is drawn white.
        preds (sequence of LongTensor): one :math:`(B, H, W)` map per model.
        titles (sequence of str): one row title per model.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    if len(preds) != len(titles):
        raise ValueError(f"preds and titles must have the same length, got {len(preds)} and {len(titles)}")
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
    fig, axes = plt.subplots(rows, n, figsize=(1.6 * n, 1.7 * rows), squeeze=False)
    for i in range(n):
        axes[0, i].imshow(_to_hwc(images[i]), cmap='gray' if images.size(1) == 1 else None)
        for r, lab in enumerate([labels] + list(preds), 1):
            axes[r, i].imshow(label_to_rgb(lab[i], num_classes, ignore_index), interpolation='nearest')
    for r, name in enumerate(['image', 'label'] + list(titles)):
        axes[r, 0].set_ylabel(name, fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


__all__ = ['plot_superpixel_graph', 'plot_noise_canceling', 'direction_colors', 'draw_direction_legend',
           'label_to_rgb', 'plot_t_pyramid', 'plot_quadtree_graph', 'plot_active_sites', 'plot_predictions']
