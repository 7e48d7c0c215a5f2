"""Matplotlib figures: direction-typed graphs (HG-Conv paper Fig. 3-5 style), quadtrees and QGN
outputs (QGN supplement Tables 8-9 style), segmentation predictions, and the graph kinds the CLI
draws.

* :mod:`.style`: the colour-blind-safe direction palette, compass and class legends;
* :mod:`.graphs`: superpixel graphs, noise canceling, per-direction adjacency matrices;
* :mod:`.quadtree`: T-pyramids, quadtree graphs, QGN's active sites;
* :mod:`.predictions`: prediction grids;
* :mod:`.scaling`: inference time against image size, and where an adaptive model becomes faster;
* :mod:`.kinds`: the ``grid`` / ``superpixel`` / ``quadtree`` graph kinds (build + draw).
"""
from .graphs import (plot_direction_adjacency, plot_noise_canceling, plot_superpixel_graph,
                     raster_order)
from .kinds import GRAPH_KINDS, GraphKind, register_graph_kind
from .predictions import plot_predictions
from .quadtree import plot_active_sites, plot_quadtree_graph, plot_t_pyramid, quadtree_draw_level
from .scaling import crossover_size, plot_inference_scaling, plot_scaling_pairs, scaling_summary
from .style import (DIRECTION_HEX, DIRECTION_NAMES, MNIST_SEG_CLASSES, add_class_legend,
                    direction_colors, direction_linestyles, draw_direction_legend, label_to_rgb,
                    plot_direction_legend)

__all__ = ['plot_superpixel_graph', 'plot_noise_canceling', 'direction_colors',
           'direction_linestyles', 'draw_direction_legend', 'plot_direction_legend',
           'plot_direction_adjacency', 'raster_order', 'DIRECTION_HEX', 'DIRECTION_NAMES',
           'label_to_rgb', 'add_class_legend', 'MNIST_SEG_CLASSES', 'plot_t_pyramid',
           'quadtree_draw_level', 'plot_quadtree_graph', 'plot_active_sites', 'plot_predictions',
           'GraphKind', 'GRAPH_KINDS', 'register_graph_kind', 'crossover_size', 'scaling_summary',
           'plot_inference_scaling', 'plot_scaling_pairs']
