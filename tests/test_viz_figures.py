"""Figures: the direction palette and legend, per-direction adjacency matrices, readable quadtrees, class legends."""
import itertools

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from graphseg.graphs import DIRECTIONS, grid_graph, to_dense_adjacency  # noqa: E402
from graphseg.viz import (DIRECTION_NAMES, direction_colors, direction_linestyles, plot_direction_adjacency,  # noqa: E402
                          plot_direction_legend, plot_predictions, plot_quadtree_graph, quadtree_draw_level)


#: Machado, Oliveira, Fernandes (2009) dichromacy simulation matrices, severity 1, on linear RGB.
_CVD = {'deuteranopia': [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]],
        'protanopia': [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]],
        'tritanopia': [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                       [0.004733, 0.691367, 0.303900]],
        'normal': np.eye(3)}


def _min_delta_e(rgb, matrix):
    """Smallest CIELAB distance between two colours as a viewer with the given dichromacy sees them."""
    from skimage.color import rgb2lab
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    sim = np.clip(lin @ np.asarray(matrix).T, 0, 1)
    srgb = np.where(sim <= 0.0031308, 12.92 * sim, 1.055 * sim ** (1 / 2.4) - 0.055)
    lab = rgb2lab(srgb[None])[0]
    return min(np.linalg.norm(lab[i] - lab[j]) for i, j in itertools.combinations(range(len(rgb)), 2))


def test_direction_palette_distinct_for_colour_blind_viewers():
    c = direction_colors()[:, :3]
    assert c.shape == (9, 3)
    for name, matrix in _CVD.items():  # the old hue wheel: Delta E 0.3 between two directions for deuteranopes
        assert _min_delta_e(c, matrix) > 12, name
    styles = direction_linestyles()
    for k, (dy, dx) in enumerate(DIRECTIONS):  # colour is never the only cue: diagonals dashed
        assert (styles[k] == 'solid') == (dy == 0 or dx == 0)
    assert DIRECTION_NAMES[1] == 'N' and DIRECTIONS[1] == (-1, 0)


def test_direction_legend_is_labelled():
    ax = plot_direction_legend()
    texts = [t.get_text() for t in ax.texts]
    assert '1 N' in texts and '8 SE' in texts and '4 self' in texts
    plt.close('all')


def test_direction_adjacency_on_grid_equals_dense_adjacency():
    g = grid_graph(4, 5)
    fig = plot_direction_adjacency(g, order=torch.arange(20))
    A = to_dense_adjacency(g.edge_index, g.edge_type, num_nodes=20)
    for k, (dy, dx) in enumerate(DIRECTIONS):
        ax = fig.axes[(dy + 1) * 3 + dx + 1]
        assert np.array_equal(np.asarray(ax.images[0].get_array()), A[k].numpy())
        assert ax.get_title().startswith(f'{k} {DIRECTION_NAMES[k]}')
    # raster order from pos reproduces the lattice order
    g.pos = torch.stack([torch.arange(20) % 5, torch.arange(20) // 5], 1).float()
    fig2 = plot_direction_adjacency(g)
    assert np.array_equal(np.asarray(fig2.axes[5].images[0].get_array()), A[5].numpy())
    with pytest.raises(ValueError, match='order must hold all N = 20 nodes'):
        plot_direction_adjacency(g, order=torch.arange(3))
    plt.close('all')


def test_quadtree_figure_draws_a_bounded_number_of_cells():
    from graphseg.data import load_image
    from graphseg.graphs import slic_quadtree
    data = slic_quadtree(load_image('coins')[:, :128, :128], 60, num_levels=6)
    level = quadtree_draw_level(data.level, max_cells=200)
    assert int((data.level >= level).sum()) <= 200 and (level == 0 or int((data.level >= level - 1).sum()) > 200)
    ax = plot_quadtree_graph(data, max_cells=200)
    rects = sum(len(c.get_segments()) for c in ax.collections[:2])
    assert rects == int((data.level >= level).sum()) and rects <= 200
    assert f'levels < {level} aggregated' in ax.get_title()
    plt.close('all')


def test_prediction_grid_has_class_legend():
    labels = torch.randint(0, 11, (2, 8, 8))
    labels[0, 0, 0] = 255
    fig = plot_predictions(torch.rand(2, 1, 8, 8), labels, [labels], ['model'])
    names = [t.get_text() for t in fig.legends[0].get_texts()]
    assert names[:2] == ['background', 'digit 0'] and names[-1] == 'ignore (255)' and len(names) == 12
    with pytest.raises(ValueError, match='class_names must have num_classes = 3 entries, got 2'):
        plot_predictions(torch.rand(1, 1, 4, 4), labels[:1, :4, :4] % 3, [], [], num_classes=3, class_names=['a', 'b'])
    plt.close('all')
