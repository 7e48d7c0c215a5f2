"""What the figures share: the direction palette (colour-blind safe, with dash patterns), the
compass legend, class colours and legends, and the conversion of images for ``imshow``."""
from __future__ import annotations

from typing import Optional, Sequence, Union

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.patches import Patch
from torch import Tensor

from ..check import as_image, check_index, check_int, check_number
from ..directions import CENTER, DIRECTIONS


#: Okabe & Ito's colour-blind-safe palette (8 colours) for the 8 neighbour directions, dark grey for
#: the centre. Opposite directions get contrasting colours (N/S blue/orange, W/E green/vermillion,
#: NW/SE sky blue/yellow, NE/SW purple/black); axis-aligned directions are drawn solid, diagonal
#: ones dashed.
DIRECTION_HEX = ('#56B4E9', '#0072B2', '#CC79A7',
                 '#009E73', '#555555', '#D55E00',
                 '#000000', '#E69F00', '#F0E442')


#: Compass names of DIRECTIONS (image convention: y grows downwards, so dy = -1 is north).
DIRECTION_NAMES = ('NW', 'N', 'NE', 'W', 'self', 'E', 'SW', 'S', 'SE')


def direction_colors() -> np.ndarray:
    """One RGBA colour per direction (:data:`DIRECTION_HEX`: Okabe-Ito, colour-blind safe; self:
    dark grey).

    Shapes:
        - **output:** :math:`(9, 4)`
    """
    return np.array([to_rgba(c) for c in DIRECTION_HEX])


def direction_linestyles() -> list:
    """One matplotlib dash pattern per direction: solid for the axis-aligned and self directions,
    dashed for the diagonals, so that colour is never the only cue."""
    return ['solid' if dy == 0 or dx == 0 else (0, (2.5, 1.2)) for dy, dx in DIRECTIONS]


def _to_hwc(image: Union[Tensor, np.ndarray], name: str = 'image') -> np.ndarray:
    """An image (the layout / dtype rule of :func:`graphseg.check.as_image`) as an (H, W[, C]) array
    for imshow; float images are stretched to [0, 1], uint8 / bool ones are shown as they are."""
    stretch = getattr(image, 'is_floating_point', lambda: image.dtype.kind == 'f')()
    image = as_image(image, name, batched=False).detach().cpu().permute(1, 2, 0).numpy()
    if image.shape[-1] == 1:
        image = image[..., 0]
    if stretch:
        lo, hi = float(image.min()), float(image.max())
        image = (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image)
    return image


def _draw_compass(ax, fontsize: float = 8.) -> None:
    """Arrows from the centre to each offset ``(dx, dy)``, labelled ``k name``, in data
    coordinates."""
    colors, styles = direction_colors(), direction_linestyles()
    for k, (dy, dx) in enumerate(DIRECTIONS):
        if k == CENTER:
            ax.plot([0], [0], 'o', color=colors[k], ms=4)
            ax.text(0.12, -0.18, f'{k} self', fontsize=fontsize, ha='left', va='bottom')
            continue
        ax.annotate('', xy=(0.62 * dx, 0.62 * dy), xytext=(0, 0),
                    arrowprops=dict(arrowstyle='-|>', color=colors[k], lw=2, linestyle=styles[k],
                                    shrinkA=2, shrinkB=0, mutation_scale=9))
        ax.text(0.95 * dx, 0.95 * dy, f'{k} {DIRECTION_NAMES[k]}', fontsize=fontsize, ha='center',
                va='center', color='black')
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(1.4, -1.4)  # image convention: y grows downwards
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect('equal')


def draw_direction_legend(ax, loc: Sequence[float] = (1.03, 0.0, 0.34, 0.34),
                          fontsize: float = 8.):
    """A labelled compass beside an axis: each direction ``k`` as an arrow from node ``i``
    towards the offset where its neighbour ``j`` lies (colour and dash pattern as the edges), with
    its id and compass name.

    By default the compass sits outside the axis, right of its lower corner, so that it hides
    nothing of the image (save with ``bbox_inches='tight'`` to keep it in the file).

    Args:
        ax: the axis to draw the compass beside.
        loc (sequence): ``(x0, y0, width, height)`` in axis fractions (values in ``[0, 1]`` put it
            inside the axis). (default: ``(1.03, 0.0, 0.34, 0.34)``)
        fontsize (float): label size in points. (default: ``8``)

    Returns:
        The inset axis.
    """
    if not hasattr(ax, 'inset_axes'):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    if len(loc) != 4 or not all(isinstance(v, (int, float)) for v in loc):
        raise ValueError(f"loc must be (x0, y0, width, height) in axis fractions, got {loc!r}")
    check_number(fontsize, 'fontsize', 0., strict=True)
    inset = ax.inset_axes(list(loc))
    _draw_compass(inset, fontsize)
    inset.set_title('edge j→i of type k:\nj at offset k from i', fontsize=fontsize)
    return inset


def plot_direction_legend(ax=None, fontsize: float = 9.):
    """The direction legend as a figure of its own (see :func:`draw_direction_legend`)."""
    check_number(fontsize, 'fontsize', 0., strict=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(2.6, 2.6))
    elif not hasattr(ax, 'inset_axes'):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    _draw_compass(ax, fontsize)
    ax.set_title('direction k of edge j→i\n(j at offset k from i)', fontsize=fontsize)
    return ax


def _class_colors(num_classes: int) -> np.ndarray:
    """``tab20``'s ten strong colours first, then their light partners, so that up to 10 classes
    never get two shades of one hue (``tab20`` in its own order pairs dark and light blue, orange,
    ...)."""
    cmap = matplotlib.colormaps['tab20']
    order = list(range(0, 20, 2)) + list(range(1, 20, 2))
    return np.array([cmap(order[i % 20]) for i in range(num_classes)])


def label_to_rgb(level: Tensor, num_classes: int, ignore_index: int = 255) -> np.ndarray:
    """Colour a label map :math:`(H, W)`: classes by ``tab20`` (strong colours first), composite
    black, ignore white.

    Shapes:
        - **output:** :math:`(H, W, 4)` RGBA
    """
    check_index(level, 'level')
    lab = level.detach().cpu().numpy()
    bad = (lab < 0) | (lab > num_classes)
    bad &= lab != ignore_index
    if bad.any():
        raise ValueError(f"level values must lie in [0, {num_classes}] (classes and the composite "
                         f"id) or be ignore_index = {ignore_index}, got {int(lab[bad][0])}")
    rgb = np.ones(lab.shape + (4,))
    colors = _class_colors(num_classes)
    cls = (lab >= 0) & (lab < num_classes)
    rgb[cls] = colors[lab[cls]]
    rgb[lab == num_classes] = (0., 0., 0., 1.)
    rgb[lab == ignore_index] = (1., 1., 1., 1.)
    return rgb


#: Class names of :class:`~graphseg.data.MNISTSegmentation` (background + the 10 digits).
MNIST_SEG_CLASSES = ('background',) + tuple(f'digit {d}' for d in range(10))


def add_class_legend(fig, num_classes: int, class_names: Optional[Sequence[str]] = None, *,
                     ignore_index: Optional[int] = 255, ncol: Optional[int] = None,
                     fontsize: float = 8.):
    """A legend of the class colours of :func:`label_to_rgb` (and white = ignore) below a figure."""
    if not hasattr(fig, 'legend') or not hasattr(fig, 'add_axes'):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    check_int(num_classes, 'num_classes', 1)
    if ncol is not None:
        check_int(ncol, 'ncol', 1)
    names = (
        list(class_names) if class_names is not None else [f'class {k}' for k in range(num_classes)]
    )
    if len(names) != num_classes:
        raise ValueError(f"class_names must have num_classes = {num_classes} entries, got "
                         f"{len(names)}")
    colors = _class_colors(num_classes)
    handles = [Patch(facecolor=colors[k], edgecolor='black', linewidth=0.3, label=names[k])
               for k in range(num_classes)]
    if ignore_index is not None:
        handles.append(
            Patch(
                facecolor='white',
                edgecolor='black',
                linewidth=0.3,
                label=f'ignore ({ignore_index})',
            )
        )
    return fig.legend(handles=handles, loc='lower center', ncol=ncol or min(len(handles), 6),
                      fontsize=fontsize, frameon=False, bbox_to_anchor=(0.5, 0.0))


__all__ = ['DIRECTION_HEX', 'DIRECTION_NAMES', 'direction_colors', 'direction_linestyles',
           'draw_direction_legend', 'plot_direction_legend', 'label_to_rgb', 'MNIST_SEG_CLASSES',
           'add_class_legend']
