"""Matplotlib figures of quadtrees and QGN outputs (QGN supplement Tables 8-9 style).

* :func:`plot_t_pyramid` -- the levels of a T-pyramid, composite cells black;
* :func:`plot_quadtree_graph` -- leaf cells and tree edges of a
  :func:`~graphseg.graphs.quadtree_graph` over its image;
* :func:`plot_active_sites` -- the active sites of each decoded level of a
  :class:`~graphseg.nn.qgn.QGNOutput`;
* :func:`save_quadtree_figure` -- the ``graphseg graph --kind quadtree`` figure.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np
from torch import Tensor

from .viz import _to_hwc


def _class_colors(num_classes: int) -> np.ndarray:
    import matplotlib
    cmap = matplotlib.colormaps['tab20']
    return np.array([cmap(i % 20) for i in range(num_classes)])


def label_to_rgb(level: Tensor, num_classes: int, ignore_index: int = 255) -> np.ndarray:
    """Colour a label map :math:`(H, W)`: classes by ``tab20``, composite black, ignore white.

    Shapes:
        - **output:** :math:`(H, W, 4)` RGBA
    """
    lab = level.detach().cpu().numpy()
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


def save_quadtree_figure(data, image: Tensor, path: str) -> None:
    """The ``graphseg graph --kind quadtree`` figure: :func:`plot_quadtree_graph` saved to ``path``."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 8))
    plot_quadtree_graph(data, image, ax=ax)
    fig.savefig(path, dpi=100, bbox_inches='tight')
    plt.close(fig)


__all__ = ['label_to_rgb', 'plot_t_pyramid', 'plot_quadtree_graph', 'plot_active_sites', 'save_quadtree_figure']
