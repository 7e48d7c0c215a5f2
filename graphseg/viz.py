"""Matplotlib figures of graphseg's graphs (HG-Conv paper Fig. 3-5 style).

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


def _to_hwc(image: Union[Tensor, np.ndarray]) -> np.ndarray:
    if isinstance(image, Tensor):
        if image.dim() != 3:
            raise ValueError(f"image must be (C, H, W), got shape {tuple(image.shape)}")
        image = image.detach().cpu().permute(1, 2, 0).numpy()
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.dtype != np.uint8:
        lo, hi = float(image.min()), float(image.max())
        image = (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image)
    return image


def draw_direction_legend(ax, loc: Sequence[float] = (0.82, 0.02, 0.16, 0.16)):
    """A small compass inset showing the colour of each direction ``(dy, dx)``."""
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


__all__ = ['plot_superpixel_graph', 'plot_noise_canceling', 'direction_colors', 'draw_direction_legend']
