"""The pixel grid graph: structure, edge convention, in-degrees, errors."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from graphseg.graphs import CENTER, DIRECTIONS, grid_graph


@pytest.mark.parametrize('H,W', [(1, 1), (1, 5), (4, 6), (7, 3)])
def test_grid_graph_structure(H, W, device):
    g = grid_graph(H, W, device=device)
    assert g.num_nodes == H * W
    assert g.pos.shape == (H * W, 2)
    # every edge j -> i of type k satisfies j = i + DIRECTIONS[k] (the documented convention)
    src, dst, t = g.edge_index[0], g.edge_index[1], g.edge_type
    off = torch.tensor(DIRECTIONS, device=device)[t]
    # dy (pos is (x, y))
    torch.testing.assert_close(g.pos[src, 1] - g.pos[dst, 1], off[:, 0].float())
    torch.testing.assert_close(g.pos[src, 0] - g.pos[dst, 0], off[:, 1].float())  # dx
    # count: each of the 9 offsets contributes (H - |dy|) (W - |dx|) edges
    expected = sum(max(H - abs(dy), 0) * max(W - abs(dx), 0) for dy, dx in DIRECTIONS)
    assert g.edge_index.size(1) == expected
    # sorted by (target, source)
    key = dst * (H * W) + src
    assert bool((key[1:] > key[:-1]).all())
    g2 = grid_graph(H, W, self_loops=False, device=device)
    assert g2.edge_index.size(1) == expected - H * W
    assert bool((g2.edge_type != CENTER).all())


def test_grid_graph_errors():
    with pytest.raises(ValueError, match='height must be an int >= 1, got 0'):
        grid_graph(0, 3)
    with pytest.raises(ValueError, match='width must be an int'):
        grid_graph(3, 2.5)


@given(H=st.integers(1, 7), W=st.integers(1, 7), self_loops=st.booleans())
@settings(max_examples=25)
def test_grid_in_degree_is_the_in_image_neighbourhood(H, W, self_loops):
    g = grid_graph(H, W, self_loops=self_loops)
    deg = torch.bincount(g.edge_index[1], minlength=H * W).view(H, W)
    ys, xs = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    rows = 1 + (ys > 0).long() + (ys < H - 1).long()
    cols = 1 + (xs > 0).long() + (xs < W - 1).long()
    assert torch.equal(deg, rows * cols - (0 if self_loops else 1))
    src, dst = g.edge_index
    off = torch.tensor(DIRECTIONS)[g.edge_type]  # j = i + DIRECTIONS[k]
    assert torch.equal(src // W - dst // W, off[:, 0]) and torch.equal(src % W - dst % W, off[:, 1])
