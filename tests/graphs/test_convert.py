"""networkx export (to_networkx) and the dense view (to_dense_adjacency)."""
import networkx as nx
import pytest
import torch

from graphseg.data import load_image
from graphseg.graphs import grid_graph, superpixel_graph, to_dense_adjacency, to_networkx


@pytest.fixture(scope='module')
def small_graph():
    return superpixel_graph(load_image('astronaut')[:, :96, :96], 30)


def sorted_edges(d):
    """(source, target, type, weight) rows sorted by (source, target, type)."""
    ei, et = d.edge_index, d.edge_type
    order = torch.argsort((ei[0] * d.num_nodes + ei[1]) * 9 + et)
    ew = d.edge_weight if d.edge_weight is not None else torch.ones(et.numel())
    return ei[:, order], et[order], ew[order]


def test_to_networkx_keeps_pyg_field_names(small_graph):
    g = to_networkx(small_graph)
    assert isinstance(g, nx.DiGraph) and not g.is_multigraph()
    assert g.number_of_nodes() == small_graph.num_nodes
    assert g.number_of_edges() == small_graph.edge_index.size(1)
    for e in range(0, small_graph.edge_index.size(1), 7):
        j, i = small_graph.edge_index[:, e].tolist()
        attrs = g.edges[j, i]
        assert set(attrs) == {'edge_type', 'edge_weight'}
        assert attrs['edge_type'] == int(small_graph.edge_type[e])
        assert attrs['edge_weight'] == pytest.approx(float(small_graph.edge_weight[e]))
    assert g.nodes[0]['pos'] == pytest.approx(small_graph.pos[0].tolist())
    # read by name
    assert g.size(weight='edge_weight') == pytest.approx(float(small_graph.edge_weight.sum()))


def test_networkx_round_trip_with_pyg_from_networkx(small_graph):
    """torch_geometric.utils.from_networkx gives edge_type / edge_weight / x / pos / num_pixels /
    seg back."""
    from torch_geometric.utils import from_networkx
    back = from_networkx(to_networkx(small_graph))
    assert set(back.keys()) == {'x', 'pos', 'num_pixels', 'edge_index', 'edge_type', 'edge_weight',
                                'seg'}
    for a, b in zip(sorted_edges(back), sorted_edges(small_graph)):
        assert torch.equal(a, b)
    for key in ('x', 'pos', 'num_pixels', 'seg'):
        assert torch.equal(back[key], small_graph[key]), key
    assert back.num_nodes == small_graph.num_nodes


def test_networkx_round_trip_multigraph_and_unweighted(small_graph):
    from torch_geometric.data import Data
    from torch_geometric.utils import from_networkx

    from graphseg.graphs import group_adjacency
    ei, et, ew = group_adjacency(small_graph.seg[0], 96, 96, noise_cancel=False,
                                 max_direction=False)
    d = Data(edge_index=ei, edge_type=et, edge_weight=ew, num_nodes=small_graph.num_nodes)
    g = to_networkx(d)
    assert g.is_multigraph() and g.number_of_edges() == ei.size(1)
    back = from_networkx(g)
    for a, b in zip(sorted_edges(back), sorted_edges(d)):
        assert torch.equal(a, b)
    grid = grid_graph(3, 4)  # no edge_weight: none is invented
    back = from_networkx(to_networkx(grid))
    assert 'edge_weight' not in back and set(back.keys()) == {'edge_index', 'edge_type', 'pos'}
    for a, b in zip(sorted_edges(back), sorted_edges(grid)):
        assert torch.equal(a, b)


def test_dense_adjacency_grid():
    g = grid_graph(3, 4)
    A = to_dense_adjacency(g.edge_index, g.edge_type, num_nodes=12)
    assert A.shape == (9, 12, 12)
    # node 5 = (1, 1); its up-left neighbour (direction 0) is node 0
    assert A[0, 5, 0] == 1 and A[0].sum() == 2 * 3  # (H-1)(W-1) edges of direction (-1, -1)
    assert torch.equal(A[4], torch.eye(12))
