"""Bad-input rows of graphseg.viz: ``ERRORS``, ``ACCEPTED`` and ``NO_ROW``.

Collected by tests/test_bad_input.py, which explains the row format."""
from __future__ import annotations

import torch
from torch_geometric.data import Data

import graphseg.viz as viz
from tests.bad_input_fixtures import NAN, E, S, _figure, grid, img, sp

ERRORS = [
    # ---------------------------------------------------------------- graphseg.viz
    ('viz.plot_superpixel_graph: not Data', lambda: viz.plot_superpixel_graph({'x': 1}), E,
     r'data must be a torch_geometric Data with pos \(N, 2\)'),
    ('viz.plot_superpixel_graph: image channels-last',
     lambda: viz.plot_superpixel_graph(sp(), img().permute(1, 2, 0)),
     E, r'image looks channels-last'),
    ('viz.plot_superpixel_graph: image size',
     lambda: viz.plot_superpixel_graph(sp(), img(10, 12)), E,
     r'image must be \(20, 24\) to match data.seg, got \(10, 12\)'),
    ('viz.plot_noise_canceling: no seg',
     lambda: viz.plot_noise_canceling(Data(pos=torch.zeros(2, 2))), E,
     r'data must carry seg'),
    ('viz.plot_noise_canceling: crop',
     lambda: viz.plot_noise_canceling(sp(), img(), crop=(0, 5)), E,
     r'crop must be \(x0, x1, y0, y1\)'),
    ('viz.direction_colors: argument', lambda: viz.direction_colors(3), S, r'positional argument'),
    ('viz.draw_direction_legend: not an Axes', lambda: viz.draw_direction_legend(None), S,
     r'ax must be a matplotlib Axes, got NoneType'),
    ('viz.label_to_rgb: float level', lambda: viz.label_to_rgb(torch.zeros(4, 4), 3), S,
     r'level must have dtype torch.long'),
    ('viz.label_to_rgb: out of range', lambda: viz.label_to_rgb(torch.full((4, 4), 9), 3), E,
     r'level values must lie in \[0, 3\] \(classes and the composite id\) or be ignore_index = '
     r'255, got 9'),
    ('viz.plot_t_pyramid: empty', lambda: viz.plot_t_pyramid([], 3), E,
     r'pyramid must be a non-empty list'),
    ('viz.plot_quadtree_graph: not a quadtree', lambda: viz.plot_quadtree_graph(sp()), E,
     r'data must be a quadtree graph \(QuadtreeData with level, cell_size, leaf, seg, pos'),
    ('viz.plot_active_sites: not an output', lambda: viz.plot_active_sites(torch.zeros(3)), S,
     r'output must be a QGNOutput'),
    ('viz.plot_predictions: lengths', lambda: viz.plot_predictions(torch.rand(2, 3, 8, 8),
                                                                   torch.zeros(2, 8, 8,
                                                                               dtype=torch.long),
                                                                   [torch.zeros(2, 8, 8,
                                                                                dtype=torch.long)],
                                                                   ['a', 'b']), E,
     r'preds and titles must have the same length, got 1 and 2'),
    ('viz.plot_predictions: images channels-last', lambda: viz.plot_predictions(
        torch.rand(2, 8, 8, 3), torch.zeros(2, 8, 8, dtype=torch.long),
        [torch.zeros(2, 8, 8, dtype=torch.long)],
        ['a']), E, r'images looks channels-last'),
    ('viz.plot_direction_legend: ax', lambda: viz.plot_direction_legend(ax=3), S,
     r'ax must be a matplotlib Axes, got int'),
    ('viz.plot_direction_legend: fontsize', lambda: viz.plot_direction_legend(fontsize=-1), E,
     r'fontsize must be a finite number > 0, got -1'),
    ('viz.raster_order: pos 1-D', lambda: viz.raster_order(torch.rand(5)), E,
     r'pos must be \(N, 2\)'),
    ('viz.raster_order: pos NaN', lambda: viz.raster_order(torch.full((5, 2), NAN)), E,
     r'pos must be finite'),
    ('viz.raster_order: rows 0', lambda: viz.raster_order(torch.rand(5, 2), 0), E,
     r'rows must be an int >= 1, got 0'),
    ('viz.raster_order: list', lambda: viz.raster_order([[0, 1]]), S,
     r'pos must be a torch.Tensor, got list'),
    ('viz.plot_direction_adjacency: not Data',
     lambda: viz.plot_direction_adjacency({'edge_index': 1}), S,
     r'data must be a torch_geometric Data, got dict'),
    ('viz.plot_direction_adjacency: no edge_type', lambda: viz.plot_direction_adjacency(
        Data(edge_index=grid().edge_index, num_nodes=20)), E,
     r'data must have edge_index and edge_type \(direction ids\), or pass them'),
    ('viz.plot_direction_adjacency: edge_type out of range', lambda: viz.plot_direction_adjacency(
        grid(), edge_type=grid().edge_type + 9), E, r'edge_type values must lie in \[0, 8\]'),
    ('viz.plot_direction_adjacency: order with repeats', lambda: viz.plot_direction_adjacency(
        grid(), order=torch.zeros(20, dtype=torch.long)), E,
     r'order must hold all N = 20 nodes once each \(a permutation of the node ids\), got 20 ids '
     r'with repeats'),
    ('viz.plot_direction_adjacency: max_nodes 0',
     lambda: viz.plot_direction_adjacency(grid(), max_nodes=0), E,
     r'max_nodes must be an int >= 1, got 0'),
    ('viz.plot_direction_adjacency: axes',
     lambda: viz.plot_direction_adjacency(grid(), axes=[1, 2]), E,
     r'axes must be a 3x3 array of matplotlib axes, got 2 entries'),
    ('viz.quadtree_draw_level: float', lambda: viz.quadtree_draw_level(torch.rand(5)), S,
     r'level must have dtype torch.long'),
    ('viz.quadtree_draw_level: negative', lambda: viz.quadtree_draw_level(torch.full((5,), -1)), E,
     r'level must hold quadtree levels >= 0 \(QuadtreeData.level\), got -1'),
    ('viz.quadtree_draw_level: max_cells 0',
     lambda: viz.quadtree_draw_level(torch.zeros(5, dtype=torch.long), 0), E,
     r'max_cells must be an int >= 1, got 0'),
    ('viz.add_class_legend: not a figure', lambda: viz.add_class_legend(None, 3), S,
     r'fig must be a matplotlib Figure, got NoneType'),
    ('viz.add_class_legend: num_classes 0', lambda: viz.add_class_legend(_figure(), 0), E,
     r'num_classes must be an int >= 1, got 0'),
    ('viz.add_class_legend: names', lambda: viz.add_class_legend(_figure(), 3, ['a']), E,
     r'class_names must have num_classes = 3 entries, got 1'),
    ('viz.add_class_legend: ncol 0', lambda: viz.add_class_legend(_figure(), 3, ncol=0), E,
     r'ncol must be an int >= 1, got 0'),
    ('viz.register_graph_kind: name', lambda: viz.register_graph_kind('', print, print), E,
     r'name must be a non-empty string'),
    ('viz.register_graph_kind: build', lambda: viz.register_graph_kind('x', None, print), S,
     r'build must be callable, got NoneType'),
    ('viz.draw_direction_legend: loc', lambda: viz.draw_direction_legend(_figure().gca(), (0, 1)),
     E, r'loc must be \(x0, y0, width, height\) in axis fractions, got \(0, 1\)'),
    ('viz.draw_direction_legend: fontsize 0',
     lambda: viz.draw_direction_legend(_figure().gca(), fontsize=0), E,
     r'fontsize must be a finite number > 0, got 0'),
    # ---------------------------------------------------------------- graphseg.viz.scaling
    ('viz.crossover_size: sizes not increasing', lambda: viz.crossover_size([128, 64], [1., 1.]),
     E, r'sizes must be strictly increasing, got \[128, 64\]'),
    ('viz.crossover_size: sizes empty', lambda: viz.crossover_size([], []), E,
     r'sizes must be a non-empty list of image sides in pixels, got \[\]'),
    ('viz.crossover_size: ratios length', lambda: viz.crossover_size([64, 128], [1.]), E,
     r"ratios\['model'\] must have one value per size \(2\), got 1"),
    ('viz.crossover_size: ratio NaN', lambda: viz.crossover_size([64], [NAN]), E,
     r"ratios\['model'\] must hold finite numbers > 0, got \[nan\]"),
    ('viz.scaling_summary: reference', lambda: viz.scaling_summary(
        [64], {'a': [1.], 'b': [2.]}, {'a': [1.], 'b': [1.]}, 'c'), E,
     r"reference must be one of \['a', 'b'\], got 'c'"),
    ('viz.scaling_summary: macs models', lambda: viz.scaling_summary(
        [64], {'a': [1.], 'b': [2.]}, {'a': [1.]}), E,
     r"macs must have the models of seconds \['a', 'b'\], got \['a'\]"),
    ('viz.scaling_summary: seconds empty', lambda: viz.scaling_summary([64], {}, {}), E,
     r'seconds must be a non-empty dict model -> one value per size'),
    ('viz.plot_inference_scaling: seconds zero', lambda: viz.plot_inference_scaling(
        [64], {'a': [0.]}, {'a': [1.]}), E, r"seconds\['a'\] must hold finite numbers > 0"),
    ('viz.plot_inference_scaling: batch 0', lambda: viz.plot_inference_scaling(
        [64], {'a': [1.]}, {'a': [1.]}, batch=0), E, r'batch must be an int >= 1, got 0'),
    ('viz.plot_scaling_pairs: no pairs', lambda: viz.plot_scaling_pairs([]), E,
     r"pairs must be a non-empty list of dicts with 'sizes', 'seconds' and 'macs', got \[\]"),
    ('viz.plot_scaling_pairs: a pair without macs', lambda: viz.plot_scaling_pairs(
        [{'sizes': [64], 'seconds': {'a': [1.]}}]), E,
     r"pairs\[0\] must be a dict with 'sizes', 'seconds' and 'macs', got \['seconds', 'sizes'\]"),
    ('viz.plot_scaling_pairs: batch 0', lambda: viz.plot_scaling_pairs(
        [{'sizes': [64], 'seconds': {'a': [1.]}, 'macs': {'a': [1.]}, 'batch': 0}]), E,
     r'pairs\[0\].batch must be an int >= 1, got 0'),
]


ACCEPTED = [
    ('viz.raster_order: no nodes', lambda: viz.raster_order(torch.zeros(0, 2)),
     lambda o: o.numel() == 0),
    ('viz.plot_inference_scaling: one model (nothing to compare)',
     lambda: viz.plot_inference_scaling([64, 128], {'a': [1., 2.]}, {'a': [1., 4.]}),
     lambda fig: 'a only: nothing to compare' in fig._suptitle.get_text()),
    ('viz.crossover_size: one size, faster', lambda: viz.crossover_size([64], [0.5]),
     lambda o: o == 64),
]


#: Public callables of this package without a bad-input row, and why.
NO_ROW = {
    'viz.direction_linestyles': 'takes no argument',
    'viz.GraphKind': 'a dataclass of the GRAPH_KINDS table, built by register_graph_kind',
}
