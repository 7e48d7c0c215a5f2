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
from graphseg.viz import (DIRECTION_NAMES, GRAPH_KINDS, plot_direction_adjacency,  # noqa: E402
                          plot_superpixel_graph)
from graphseg.viz.graphs import _label_boundaries  # noqa: E402
from graphseg.viz.kinds import _grid_cell_size  # noqa: E402
from tests.viz.readable import assert_readable_text, outside  # noqa: E402


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
    counts = [int(t.split(': ')[1].split()[0].replace(',', '')) for t in titles]
    assert counts[0] >= counts[1] >= counts[2] > 0  # canceling and max-direction only remove edges
    assert all('self-loops, not drawn' in t for t in titles)
    assert_readable_text(fig)
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


def test_title_counts_the_edges_the_graph_prints(small_graph):
    """The default title counts every edge of the data object (the self-loops too, saying they are
    not drawn), so that it matches ``print(data)``; the drawn stubs are the other edges."""
    ax = plot_superpixel_graph(small_graph, load_image('astronaut')[:, :96, :96])
    n_edges = small_graph.edge_index.size(1)
    loops = int((small_graph.edge_type == 4).sum())
    assert loops > 0
    assert f'{n_edges:,} edges: {n_edges - loops:,} between neighbours (drawn) + {loops:,} ' \
           'self-loops (not drawn)' in ax.get_title()
    assert f'edge_index=[2, {n_edges}]' in str(small_graph)
    halo, stubs = [c for c in ax.collections
                   if hasattr(c, 'get_segments') and len(c.get_segments()) == n_edges - loops]
    assert stubs.get_linewidths().min() > 0.5  # strong enough to see over the borders
    plt.close('all')


def test_compass_sits_outside_the_image(small_graph):
    ax = plot_superpixel_graph(small_graph, load_image('astronaut')[:, :96, :96])
    (inset,) = ax.child_axes
    assert outside(ax, inset)
    assert_readable_text(ax.figure)
    plt.close('all')


def test_one_compass_per_row_beside_its_last_axis(small_graph):
    """Side by side, the left axis gets no compass (it would cover the right one)."""
    image = load_image('astronaut')[:, :96, :96]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 4))
    plot_superpixel_graph(small_graph, image, ax=left)
    plot_superpixel_graph(small_graph, image, ax=right)
    assert left.child_axes == [] and len(right.child_axes) == 1
    assert outside(left, right.child_axes[0]) and outside(right, right.child_axes[0])
    plt.close('all')


def test_label_boundaries_are_the_pixel_edges_between_labels():
    seg = torch.tensor([[0, 0, 1],
                        [2, 2, 1]])
    segs = {tuple(map(tuple, s)) for s in _label_boundaries(seg).tolist()}
    expected = {((1.5, -0.5), (1.5, 0.5)),  # 0 | 1 in row 0
                ((1.5, 0.5), (1.5, 1.5)),  # 2 | 1 in row 1
                ((-0.5, 0.5), (0.5, 0.5)), ((0.5, 0.5), (1.5, 0.5))}  # 0 over 2
    assert segs == expected
    with pytest.raises(ValueError,
                       match=r'seg must be a label map \(H, W\), got shape \(2, 2, 3\)'):
        _label_boundaries(torch.zeros(2, 2, 3))


@pytest.mark.parametrize('kind', ['grid', 'superpixel', 'quadtree'])
def test_graph_kind_figures_are_readable(kind, tmp_path, monkeypatch):
    image = load_image('astronaut')[:, :128, :160]
    data = GRAPH_KINDS[kind].build(image, 60, 10., 'skimage')
    saved = []
    monkeypatch.setattr(plt, 'close', saved.append)  # keep the figure the saver draws and closes
    GRAPH_KINDS[kind].plot(data, image, str(tmp_path / f'{kind}.png'))
    monkeypatch.undo()
    fig = saved[0]
    assert (tmp_path / f'{kind}.png').stat().st_size > 1000
    assert_readable_text(fig)
    title = fig.axes[0].get_title()
    assert f'{data.num_nodes:,}' in title
    if kind != 'quadtree':
        assert f'{data.edge_index.size(1):,} edges' in title
    if kind == 'grid':
        h, w = _grid_cell_size(data)
        assert h == w and f'each a {h}-px cell of the photo' in title
        assert fig.axes[0].images  # the photo is drawn
    plt.close('all')


def test_grid_cell_size_reads_the_cells_of_seg():
    image = load_image('astronaut')[:, :64, :96]
    data = GRAPH_KINDS['grid'].build(image, 24, 10., 'skimage')  # 16-px cells: 4 x 6
    assert _grid_cell_size(data) == (16, 16) and data.num_nodes == 24
    with pytest.raises(ValueError, match=r'data must be a grid graph with seg \(1, H, W\)'):
        _grid_cell_size(grid_graph(3, 3))
