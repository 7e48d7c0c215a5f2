"""The direction convention and the pixel grid graph."""
import pytest
import torch

from graphseg.graphs import (CENTER, DIRECTIONS, direction_index, direction_weights_to_kernel, grid_graph,
                             kernel_to_direction_weights, opposite)


def test_directions_convention():
    assert DIRECTIONS == ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 0), (0, 1), (1, -1), (1, 0), (1, 1))
    assert DIRECTIONS[CENTER] == (0, 0) and CENTER == 4
    for k, (dy, dx) in enumerate(DIRECTIONS):
        assert DIRECTIONS[opposite(k)] == (-dy, -dx)
        assert opposite(k) == 8 - k
        assert direction_index(dy, dx) == k
    with pytest.raises(ValueError, match=r'direction index k must be an int in \[0, 8\], got 9'):
        opposite(9)
    with pytest.raises(ValueError, match=r'\(dy, dx\) must each be in'):
        direction_index(2, 0)


def test_kernel_round_trip():
    w = torch.randn(5, 3, 3, 3)
    d = kernel_to_direction_weights(w)
    assert d.shape == (9, 3, 5)
    for k, (dy, dx) in enumerate(DIRECTIONS):
        torch.testing.assert_close(d[k], w[:, :, dy + 1, dx + 1].t())
    torch.testing.assert_close(direction_weights_to_kernel(d), w)
    with pytest.raises(ValueError, match='3x3 kernel'):
        kernel_to_direction_weights(torch.randn(5, 3, 5, 5))


@pytest.mark.parametrize('H,W', [(1, 1), (1, 5), (4, 6), (7, 3)])
def test_grid_graph_structure(H, W, device):
    g = grid_graph(H, W, device=device)
    assert g.num_nodes == H * W
    assert g.pos.shape == (H * W, 2)
    # every edge j -> i of type k satisfies j = i + DIRECTIONS[k] (the documented convention)
    src, dst, t = g.edge_index[0], g.edge_index[1], g.edge_type
    off = torch.tensor(DIRECTIONS, device=device)[t]
    torch.testing.assert_close(g.pos[src, 1] - g.pos[dst, 1], off[:, 0].float())  # dy (pos is (x, y))
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
    with pytest.raises(ValueError, match='height must be >= 1, got 0'):
        grid_graph(0, 3)
    with pytest.raises(TypeError, match='width must be an int'):
        grid_graph(3, 2.5)
