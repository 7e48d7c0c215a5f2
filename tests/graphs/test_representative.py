"""representative_graph and its sampling (RepGraph Eq. 7-8) against F.grid_sample and grid_graph."""
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from graphseg.graphs import (DIRECTIONS, anchor_positions, bilinear_neighbors, grid_graph,
                             lattice_node_map, representative_graph, sample_positions,
                             sampling_pattern)
from graphseg.ops import scatter


def grid_sample_at(feat, positions):
    """Independent reference: F.grid_sample (bilinear, zeros, align_corners=True) at (y, x) pixel
    positions.

    feat (C, H, W), positions (P, 2) -> (P, C).
    """
    C, H, W = feat.shape
    gx = 2 * positions[:, 1] / (W - 1) - 1
    gy = 2 * positions[:, 0] / (H - 1) - 1
    grid = torch.stack([gx, gy], dim=-1).view(1, 1, -1, 2)
    out = F.grid_sample(feat[None], grid, mode='bilinear', padding_mode='zeros', align_corners=True)
    return out[0, :, 0].t()


def sample_with_graph(data, feat):
    """s(n) = sum_t G(t, p_n) x(t) over the graph's edges, as (Q, S, C). feat (C, [L,] H, W)."""
    C = feat.size(0)
    x = feat.flatten(1).t()  # (LHW, C) node features, node l * HW + y * W + x
    src, dst = data.edge_index
    msg = data.edge_weight.unsqueeze(-1) * x[src]
    out = scatter(msg, dst * data.num_samples + data.edge_attr, 0,
                  data.num_queries * data.num_samples)
    return out.view(data.num_queries, data.num_samples, C)


def test_sampling_pattern():
    # the 3x3 neighbourhood, in k order
    assert sampling_pattern(9).tolist() == [list(d) for d in DIRECTIONS]
    assert sampling_pattern(1).tolist() == [[0, 0]]  # the query itself
    assert sampling_pattern(4).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert sampling_pattern(5).tolist() == [[-1, -1], [-1, 0], [-1, 1], [0, -1], [0, 0]]
    assert sampling_pattern(9, dilation=2).tolist() == [[2 * a, 2 * b] for a, b in DIRECTIONS]
    assert sampling_pattern(25).shape == (25, 2) and sampling_pattern(25)[12].tolist() == [0, 0]


def test_anchor_positions():
    a = anchor_positions(4, 6, grid=2)
    assert a.tolist() == [[0.5, 0.5], [0.5, 2.5], [0.5, 4.5], [2.5, 0.5], [2.5, 2.5], [2.5, 4.5]]
    assert anchor_positions(3, 3, grid=3).tolist() == [[1.0, 1.0]]
    torch.testing.assert_close(anchor_positions(2, 3),
                               torch.tensor([[0., 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]))


@pytest.mark.parametrize('H,W', [(5, 7), (2, 2), (8, 3)])
def test_bilinear_neighbors_equal_grid_sample(H, W, device, dtype):
    """Eq. 8 with zero outside the image == grid_sample(bilinear, zeros, align_corners=True)."""
    feat = torch.randn(3, H, W, device=device, dtype=dtype)
    span = torch.tensor([H + 3., W + 3.], device=device, dtype=dtype)
    pos = torch.rand(200, 2, device=device, dtype=dtype) * span - 2
    pos[:10] = pos[:10].round()  # integer positions
    pos[10:14] = torch.tensor([[-1, 0], [H - 1, W - 1], [H - 0.5, 0], [0, -0.99]], device=device,
                              dtype=dtype)
    index, weight = bilinear_neighbors(pos, H, W)
    got = (weight.unsqueeze(-1) * feat.flatten(1).t()[index]).sum(1)
    torch.testing.assert_close(got, grid_sample_at(feat, pos))


def test_bilinear_weights_are_eq8():
    """G(t, p) = max(0, 1 - |t_y - p_y|) max(0, 1 - |t_x - p_x|) at every returned neighbour, 0
    elsewhere."""
    H, W = 6, 5
    pos = torch.rand(300, 2, dtype=torch.float64) * torch.tensor([H + 2., W + 2.]) - 1
    index, weight = bilinear_neighbors(pos, H, W)
    ys, xs = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    t = torch.stack([ys.reshape(-1), xs.reshape(-1)], -1).double()  # all integer positions
    G = (1 - (t[None] - pos[:, None]).abs()).clamp_min(0).prod(-1)  # (P, HW) Eq. 8 literally
    dense = torch.zeros(300, H * W, dtype=torch.float64).scatter_add_(1, index, weight)
    torch.testing.assert_close(dense, G)


def test_bilinear_gradient_matches_grid_sample():
    """d/dp of the sampled features equals grid_sample's (also at integer positions)."""
    H, W = 5, 6
    feat = torch.randn(2, H, W, dtype=torch.float64)
    pos = (torch.rand(40, 2, dtype=torch.float64) * torch.tensor([H + 1., W + 1.]) - 1)
    pos[:8] = pos[:8].round().clamp(0, 4)
    p1 = pos.clone().requires_grad_(True)
    p2 = pos.clone().requires_grad_(True)
    w_out = torch.randn(40, 2, dtype=torch.float64)
    index, weight = bilinear_neighbors(p1, H, W)
    ((weight.unsqueeze(-1) * feat.flatten(1).t()[index]).sum(1) * w_out).sum().backward()
    (grid_sample_at(feat, p2) * w_out).sum().backward()
    torch.testing.assert_close(p1.grad, p2.grad)


def test_zero_offsets_give_the_3x3_neighbourhood(device):
    """Offsets zero, S = 9: every pixel receives from its 3x3 neighbours with weight 1 = grid_graph,
    sample = type."""
    H, W = 5, 6
    data = representative_graph(torch.zeros(1, 18, H, W, device=device), H, W)
    keep = data.edge_weight > 0
    got = sorted(zip(data.edge_index[0][keep].tolist(), data.edge_index[1][keep].tolist(),
                     data.edge_attr[keep].tolist()))
    g = grid_graph(H, W, device=device)
    ref = sorted(zip(g.edge_index[0].tolist(), g.edge_index[1].tolist(), g.edge_type.tolist()))
    assert got == ref
    assert torch.equal(data.edge_weight[keep], torch.ones_like(data.edge_weight[keep]))
    assert data.num_nodes == data.num_queries == H * W and data.num_samples == 9
    torch.testing.assert_close(data.pos, g.pos)
    # sample_pos is (x, y) = pixel + DIRECTIONS[n] flipped
    expect = g.pos[:, None, :] + torch.tensor(DIRECTIONS, device=device).flip(-1)
    torch.testing.assert_close(data.sample_pos, expect.float())


@pytest.mark.parametrize('grid,groups', [(1, 1), (2, 1), (1, 3), (2, 2)])
def test_graph_samples_equal_grid_sample(grid, groups, device, dtype):
    B, S, H, W = 2, 5, 4, 6
    offsets = 2.5 * torch.randn(B, 2 * S * groups, H // grid, W // grid, device=device, dtype=dtype)
    data = representative_graph(offsets, H, W, grid=grid, groups=groups)
    L = B * groups
    assert data.num_queries == data.num_nodes == L * H * W
    feat = torch.randn(L, 3, H, W, device=device, dtype=dtype)
    got = sample_with_graph(data, feat.transpose(0, 1))  # (3, L, H, W): node l * HW + y * W + x
    # reference: each pixel samples at its cell's anchor (cell centre) + pattern + offset, read by
    # grid_sample
    for level in range(L):
        b, gamma = divmod(level, groups)
        for y in range(H):
            for xx in range(W):
                ay, ax = (y // grid) * grid + (grid - 1) / 2, (xx // grid) * grid + (grid - 1) / 2
                d = offsets[b, 2 * gamma * S:2 * (gamma + 1) * S, y // grid, xx // grid].view(S, 2)
                base = sampling_pattern(S, device=device, dtype=dtype)
                pos = torch.tensor([ay, ax], device=device, dtype=dtype) + base + d
                q = level * H * W + y * W + xx
                torch.testing.assert_close(got[q], grid_sample_at(feat[level], pos))
                torch.testing.assert_close(data.sample_pos[q], pos.flip(-1))


def test_out_of_image_samples_contribute_zero():
    H, W = 4, 4
    pos = torch.tensor([[[-5., 1.], [1.5, 1.5], [0.5, -0.5], [10., 10.]]])  # (Q=1, S=4, 2)
    data = representative_graph(pos, H, W)
    assert set(data.edge_attr.tolist()) == {1, 2}  # samples 0 and 3 are fully outside: no edges
    # only the in-image half of sample 2
    assert data.edge_index[0][data.edge_attr == 2].tolist() == [0, 4]
    feat = torch.randn(2, H, W)
    got = sample_with_graph(data, feat)
    torch.testing.assert_close(got[0], grid_sample_at(feat, pos[0]))
    assert float(got[0, 0].abs().max()) == 0 and float(got[0, 3].abs().max()) == 0


def test_positions_form_with_node_map_and_batch():
    """Lattice pixels without a node (-1) contribute zero; batch selects the lattice image."""
    H, W = 3, 4
    node_map = torch.arange(2 * H * W).view(2, H, W)
    node_map[0, 1, 1] = -1
    node_map[node_map > 5] -= 1  # compact ids after removing one node
    pos = torch.tensor([[[1.0, 1.0]], [[1.0, 1.5]], [[1.0, 1.5]]])
    data = representative_graph(pos, H, W, batch=torch.tensor([0, 0, 1]), node_map=node_map)
    assert data.num_nodes == 2 * H * W - 1 and data.num_queries == 3
    e = {(int(s), int(d)): float(w) for s, d, w in zip(*data.edge_index, data.edge_weight)}
    assert (node_map[0, 1, 2].item(), 1) in e and e[(node_map[0, 1, 2].item(), 1)] == 0.5
    assert not any(d == 1 and s == -1 for s, d in e) and all(s >= 0 for s, _ in e)
    assert e[(node_map[1, 1, 1].item(), 2)] == 0.5 and e[(node_map[1, 1, 2].item(), 2)] == 0.5
    assert 'pos' not in data


def test_lattice_node_map():
    pos = torch.tensor([[3., 5.], [4., 5.], [3., 7.], [3., 5.]])
    node_map, origin = lattice_node_map(pos, torch.tensor([0, 0, 0, 1]))
    assert origin.tolist() == [3., 5.] and node_map.shape == (2, 3, 2)
    assert node_map[0].tolist() == [[0, 1], [-1, -1], [2, -1]] and node_map[1, 0, 0] == 3
    with pytest.raises(ValueError, match='pos must hold integer lattice coordinates'):
        lattice_node_map(torch.tensor([[0.5, 1.0]]))
    with pytest.raises(ValueError, match='pos must be unique within each graph'):
        lattice_node_map(torch.tensor([[1., 1.], [1., 1.]]))
    with pytest.raises(ValueError, match=r'pos must have shape \(N, 2\)'):
        lattice_node_map(torch.zeros(0, 2))


def test_sample_positions_layout():
    """Channel 2 (gamma S + n) is dy and 2 (gamma S + n) + 1 is dx of sample n of group gamma
    (deform_conv2d)."""
    off = torch.zeros(1, 2 * 3 * 2, 2, 2)
    off[0, 2 * (1 * 3 + 2), 1, 0] = 0.25  # group 1, sample 2, dy, at anchor (1, 0)
    off[0, 2 * (1 * 3 + 2) + 1, 1, 0] = -0.5
    p = sample_positions(off, groups=2)
    assert p.shape == (2, 4, 3, 2)
    base = sampling_pattern(3)
    torch.testing.assert_close(p[1, 2, 2],
                               torch.tensor([1.0, 0.0]) + base[2] + torch.tensor([0.25, -0.5]))
    torch.testing.assert_close(p[0, 2, 2], torch.tensor([1.0, 0.0]) + base[2])


def test_edge_weight_gradcheck_wrt_offsets():
    """The edges' bilinear weights are differentiable w.r.t. the offsets (integer positions
    included)."""
    off = (0.7 * torch.randn(1, 8, 3, 3, dtype=torch.float64)).requires_grad_(True)
    feat = torch.randn(2, 3, 3, dtype=torch.float64)

    def f(o):
        return sample_with_graph(representative_graph(o, 3, 3), feat)
    assert gradcheck(f, (off,))


def test_errors():
    with pytest.raises(ValueError, match='num_samples must be an int >= 1, got 0'):
        sampling_pattern(0)
    with pytest.raises(ValueError,
                       match=r'2 \* num_samples \* groups channels \(groups = 1\), got 7'):
        representative_graph(torch.zeros(1, 7, 4, 4), 4, 4)
    with pytest.raises(ValueError,
                       match=r'2 \* num_samples \* groups channels \(groups = 2\), got 6'):
        representative_graph(torch.zeros(1, 6, 4, 4), 4, 4, groups=2)
    with pytest.raises(ValueError,
                       match='height and width must be divisible by grid = 3, got \\(4, 6\\)'):
        representative_graph(torch.zeros(1, 18, 1, 2), 4, 6, grid=3)
    with pytest.raises(ValueError,
                       match=r'offsets must have spatial size \(H / grid, W / grid\) = \(2, 2\)'):
        representative_graph(torch.zeros(1, 18, 4, 4), 4, 4, grid=2)
    with pytest.raises(ValueError, match='positions must be finite'):
        representative_graph(torch.full((2, 3, 2), float('nan')), 4, 4)
    with pytest.raises(ValueError, match='pos_or_offsets must be offsets'):
        representative_graph(torch.zeros(3, 2), 4, 4)
    with pytest.raises(ValueError, match=r'positions must have shape \(Q, S, 2\)'):
        representative_graph(torch.zeros(3, 4, 3), 4, 4)
    with pytest.raises(TypeError, match='pos_or_offsets must have a floating-point dtype'):
        representative_graph(torch.zeros(1, 18, 4, 4, dtype=torch.long), 4, 4)
    with pytest.raises(ValueError, match=r'node_map must have shape \(L, H, W\)'):
        representative_graph(torch.zeros(3, 4, 2), 4, 4,
                             node_map=torch.zeros(1, 4, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r'batch must have shape \(Q,\)'):
        representative_graph(torch.zeros(3, 4, 2), 4, 4, batch=torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match='batch and node_map belong to the positions form'):
        representative_graph(torch.zeros(1, 18, 4, 4), 4, 4, batch=torch.zeros(1, dtype=torch.long))
    with pytest.raises(ValueError, match='height must be an int >= 1'):
        representative_graph(torch.zeros(1, 18, 4, 4), 0, 4)
    with pytest.raises(ValueError, match=r'positions must have shape \(\*, 2\)'):
        bilinear_neighbors(torch.zeros(3, 3), 4, 4)
