"""Graph figures: superpixel graphs, noise canceling, per-direction adjacency matrices."""
import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from graphseg.data import load_image  # noqa: E402
from graphseg.graphs import (DIRECTIONS, grid_graph, superpixel_graph,  # noqa: E402
                             to_dense_adjacency)
from graphseg.viz import DIRECTION_NAMES, plot_direction_adjacency  # noqa: E402


@pytest.fixture(scope='module')
def small_graph():
    return superpixel_graph(load_image('astronaut')[:, :96, :96], 30)


def test_plots(small_graph):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from graphseg.viz import direction_colors, plot_noise_canceling, plot_superpixel_graph
    img = load_image('astronaut')[:, :96, :96]
    ax = plot_superpixel_graph(small_graph, img)
    assert len(ax.collections) >= 2  # edges and nodes
    fig = plot_noise_canceling(small_graph, img)
    titles = [a.get_title() for a in fig.axes[:3]]
    counts = [int(t.split(': ')[1].split()[0]) for t in titles]
    assert counts[0] >= counts[1] >= counts[2] > 0  # canceling and max-direction only remove edges
    assert direction_colors().shape == (9, 4)
    plt.close('all')
    with pytest.raises(ValueError, match='data must carry seg'):
        from torch_geometric.data import Data
        plot_noise_canceling(Data(pos=torch.zeros(2, 2)))


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
