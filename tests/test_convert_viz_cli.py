"""networkx export, dense view, figures and the graphseg command."""
import subprocess
import sys

import networkx as nx
import pytest
import torch

from graphseg.cli import main
from graphseg.data import load_image
from graphseg.graphs import DIRECTIONS, grid_graph, superpixel_graph, to_dense_adjacency, to_networkx


@pytest.fixture(scope='module')
def small_graph():
    return superpixel_graph(load_image('astronaut')[:, :96, :96], 30)


def test_to_networkx_keeps_direction_and_weight(small_graph):
    g = to_networkx(small_graph)
    assert isinstance(g, nx.DiGraph) and not g.is_multigraph()
    assert g.number_of_nodes() == small_graph.num_nodes
    assert g.number_of_edges() == small_graph.edge_index.size(1)
    for e in range(0, small_graph.edge_index.size(1), 7):
        j, i = small_graph.edge_index[:, e].tolist()
        attrs = g.edges[j, i]
        assert attrs['direction'] == int(small_graph.edge_type[e])
        assert attrs['offset'] == DIRECTIONS[attrs['direction']]
        assert attrs['weight'] == pytest.approx(float(small_graph.edge_weight[e]))
    assert g.nodes[0]['pos'] == pytest.approx(small_graph.pos[0].tolist())


def test_to_networkx_multigraph_when_directions_repeat(small_graph):
    from graphseg.graphs import group_adjacency
    from torch_geometric.data import Data
    ei, et, ew = group_adjacency(small_graph.seg[0], 96, 96, noise_cancel=False, max_direction=False)
    g = to_networkx(Data(edge_index=ei, edge_type=et, edge_weight=ew, num_nodes=small_graph.num_nodes))
    assert g.is_multigraph() and g.number_of_edges() == ei.size(1)


def test_dense_adjacency_grid():
    g = grid_graph(3, 4)
    A = to_dense_adjacency(g.edge_index, g.edge_type, num_nodes=12)
    assert A.shape == (9, 12, 12)
    # node 5 = (1, 1); its up-left neighbour (direction 0) is node 0
    assert A[0, 5, 0] == 1 and A[0].sum() == 2 * 3  # (H-1)(W-1) edges of direction (-1, -1)
    assert torch.equal(A[4], torch.eye(12))


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


def test_cli_graph_writes_pt_and_png(tmp_path):
    assert main(['graph', 'coins', '--n-segments', '40', '--out', str(tmp_path)]) == 0
    data = torch.load(tmp_path / 'coins.pt', weights_only=False)
    assert data.num_nodes > 10 and data.x.shape[1] == 1
    assert (tmp_path / 'coins.png').stat().st_size > 1000


def test_cli_module_entry_point_and_errors(tmp_path):
    out = subprocess.run([sys.executable, '-m', 'graphseg', 'info'], capture_output=True, text=True)
    assert out.returncode == 0 and 'backends: torch' in out.stdout
    bad = subprocess.run([sys.executable, '-m', 'graphseg', 'graph', 'astronaut', '--kind', 'nope'],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "invalid choice: 'nope'" in bad.stderr
    with pytest.raises(SystemExit, match=r"graphseg graph: error: image '.*missing.png' is neither an image file"):
        main(['graph', str(tmp_path / 'missing.png'), '--out', str(tmp_path / 'out')])
    assert not (tmp_path / 'out').exists()  # nothing is created for invalid arguments
