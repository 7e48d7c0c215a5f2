"""The graph kinds of ``graphseg graph --kind`` and of the demo's figures: how each is built from an
image and drawn (a plain dict registry, :func:`register_graph_kind`; the command line describes them
in :data:`graphseg.commands.graph.KINDS`).

* ``grid``: the pixel lattice on square cells, the graph a 3x3 convolution runs on;
* ``superpixel``: SLIC superpixels with direction-typed, noise-canceled edges (HG-Conv's group
  graph);
* ``quadtree``: the quadtree of the SLIC label map (QGN): cells as nodes, parent -> child and
  same-level direction-typed edges.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Tuple

import matplotlib.pyplot as plt
import torch
from torch import Tensor

from ..check import check_callable
from ..fileio import save_figure
from ..graphs import slic_quadtree, superpixel_graph
from ..graphs.superpixel import _graph_from_labels
from .graphs import _edge_count_text, plot_superpixel_graph
from .quadtree import plot_quadtree_graph


@dataclass(frozen=True)
class GraphKind:
    """How a graph kind is built (``build(image, n_segments, compactness, method)``) and drawn into
    a PNG (``plot(data, image, path)``)."""
    build: Callable[[Tensor, int, float, str], object]
    plot: Callable[[object, Tensor, str], None]


#: name -> :class:`GraphKind`
GRAPH_KINDS: Dict[str, GraphKind] = {}


def register_graph_kind(name: str, build, plot) -> None:
    """Add a graph kind: ``build(image, n_segments, compactness, method) -> graph``,
    ``plot(graph, image, path)``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    check_callable(build, 'build')
    check_callable(plot, 'plot')
    GRAPH_KINDS[name] = GraphKind(build, plot)


def build_superpixel(image: Tensor, n_segments: int, compactness: float, method: str):
    return superpixel_graph(image, n_segments, compactness, method=method)


def build_quadtree(image: Tensor, n_segments: int, compactness: float, method: str):
    return slic_quadtree(image, n_segments, compactness, method=method)


def build_grid(image: Tensor, n_segments: int, compactness: float, method: str):
    """The lattice of square cells (about ``n_segments`` of them): each cell a node, typed edges to
    its 8 neighbours, as :func:`~graphseg.graphs.grid_graph` on a downsampled image (a 3x3 conv's
    graph)."""
    C, H, W = image.shape
    cell = max(1, int(round((H * W / max(n_segments, 1)) ** 0.5)))
    ys = torch.arange(H) // cell
    xs = torch.arange(W) // cell
    cols = int(xs[-1]) + 1
    seg = ys[:, None] * cols + xs[None, :]
    return _graph_from_labels(image, seg, int(seg.max()) + 1, noise_cancel=True, max_direction=True)


def _grid_cell_size(data) -> Tuple[int, int]:
    """``(height, width)`` in pixels of the top-left cell of a :func:`build_grid` graph (every cell
    but those of the last row and column has this size), read from its pixel-to-node map ``seg``."""
    seg = getattr(data, 'seg', None)
    if seg is None or seg.dim() != 3:
        raise ValueError("data must be a grid graph with seg (1, H, W), the pixel-to-cell map")
    first = seg[0] == seg[0, 0, 0]
    return int(first[:, 0].sum()), int(first[0].sum())


def _plot_grid(data, image, ax=None):
    """The grid graph over its photo: cell borders thin, the cell size in the title."""
    h, w = _grid_cell_size(data)
    cell = f'{h}x{w}-px' if h != w else f'{h}-px'
    title = (f'grid graph (a 3x3 convolution\'s graph): {data.num_nodes:,} nodes, each a {cell} '
             f'cell of the photo\n{_edge_count_text(data.edge_type)}')
    return plot_superpixel_graph(data, image, ax=ax, title=title)


def _plot_superpixel(data, image, ax=None):
    """The superpixel graph with a title that says what a node is."""
    title = (f'superpixel graph (HG-Conv\'s group graph): {data.num_nodes:,} nodes, one per SLIC '
             f'superpixel\n{_edge_count_text(data.edge_type)}')
    return plot_superpixel_graph(data, image, ax=ax, title=title)


def _figure_saver(plot: Callable) -> Callable[[object, Tensor, str], None]:
    """A ``plot`` for :class:`GraphKind`: draw with ``plot(data, image, ax=ax)`` and save a PNG
    (legends outside the image are kept by ``bbox_inches='tight'``)."""
    def save(data, image, path):
        fig, ax = plt.subplots(figsize=(9, 9))
        plot(data, image, ax=ax)
        save_figure(fig, path, dpi=100, bbox_inches='tight')
        plt.close(fig)
    return save


register_graph_kind('grid', build_grid, _figure_saver(_plot_grid))
register_graph_kind('superpixel', build_superpixel, _figure_saver(_plot_superpixel))
register_graph_kind('quadtree', build_quadtree, _figure_saver(plot_quadtree_graph))

__all__ = ['GraphKind', 'GRAPH_KINDS', 'register_graph_kind']
