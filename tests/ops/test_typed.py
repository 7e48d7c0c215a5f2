"""The typed-edge kernel against a per-edge loop and against F.conv2d on the pixel grid."""
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from graphseg.graphs import grid_graph, kernel_to_direction_weights
from graphseg.ops import available_backends, typed_degree, typed_matmul_scatter


def _per_edge_loop(x, weight, edge_index, edge_type, edge_weight, dim_size):
    out = x.new_zeros(dim_size, weight.size(2))
    for e in range(edge_index.size(1)):
        j, i, t = int(edge_index[0, e]), int(edge_index[1, e]), int(edge_type[e])
        w = 1. if edge_weight is None else edge_weight[e]
        out[i] += w * (x[j] @ weight[t])
    return out


def _random_graph(n=9, e=40, t=4, device='cpu', dtype=torch.float32):
    edge_index = torch.randint(0, n, (2, e), device=device)
    edge_type = torch.randint(0, t, (e,), device=device)
    edge_weight = torch.rand(e, device=device, dtype=dtype)
    return edge_index, edge_type, edge_weight


@pytest.mark.parametrize('weighted', [False, True])
def test_matches_per_edge_loop(weighted, device, dtype):
    x = torch.randn(9, 5, device=device, dtype=dtype)
    weight = torch.randn(4, 5, 3, device=device, dtype=dtype)
    ei, et, ew = _random_graph(device=device, dtype=dtype)
    ew = ew if weighted else None
    out = typed_matmul_scatter(x, weight, ei, et, ew)
    assert out.shape == (9, 3)
    torch.testing.assert_close(out, _per_edge_loop(x, weight, ei, et, ew, 9))


def test_bipartite_dim_size():
    x = torch.randn(6, 2)
    weight = torch.randn(2, 2, 4)
    ei = torch.tensor([[0, 5, 3], [1, 1, 0]])
    et = torch.tensor([0, 1, 1])
    out = typed_matmul_scatter(x, weight, ei, et, dim_size=2)
    torch.testing.assert_close(out, _per_edge_loop(x, weight, ei, et, None, 2))


@pytest.mark.parametrize('hw', [(5, 7), (1, 4), (8, 8)])
def test_grid_graph_equals_conv2d(hw, device):
    """Eq. 2: a direction-typed graph convolution on the pixel lattice is a 3x3 convolution."""
    H, W = hw
    B, C, C_out = 2, 3, 4
    x = torch.randn(B, C, H, W, device=device)
    conv_w = torch.randn(C_out, C, 3, 3, device=device)
    g = grid_graph(H, W, device=device)
    xs = x.flatten(2).transpose(1, 2)  # (B, HW, C)
    outs = [typed_matmul_scatter(xi, kernel_to_direction_weights(conv_w), g.edge_index, g.edge_type)
            for xi in xs]
    out = torch.stack(outs).transpose(1, 2).reshape(B, C_out, H, W)
    torch.testing.assert_close(out, F.conv2d(x, conv_w, padding=1), atol=1e-5, rtol=1e-5)


def test_gradcheck():
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(3, 3, 2, dtype=torch.float64, requires_grad=True)
    ei, et, ew = _random_graph(6, 20, 3, dtype=torch.float64)
    ew.requires_grad_(True)
    assert gradcheck(lambda a, b, c: typed_matmul_scatter(a, b, ei, et, c), (x, weight, ew))


@pytest.mark.parametrize('backend', [b for b in ('torch_scatter', 'torch_sparse')])
def test_backend_parity(backend, device):
    if backend not in available_backends():
        pytest.skip(f'{backend} not installed')
    x = torch.randn(30, 8, device=device)
    weight = torch.randn(9, 8, 6, device=device)
    ei, et, ew = _random_graph(30, 200, 9, device=device)
    ref = typed_matmul_scatter(x, weight, ei, et, ew, backend='torch')
    torch.testing.assert_close(typed_matmul_scatter(x, weight, ei, et, ew, backend=backend), ref)
    torch.testing.assert_close(typed_matmul_scatter(x, weight, ei, et, None, backend=backend),
                               typed_matmul_scatter(x, weight, ei, et, None, backend='torch'))


def test_typed_degree():
    dst = torch.tensor([0, 0, 1, 2, 2, 2])
    et = torch.tensor([0, 0, 1, 1, 1, 0])
    w = torch.tensor([1., 2., 3., 4., 5., 6.])
    deg = typed_degree(dst, et, 3, 2, w)
    torch.testing.assert_close(deg, torch.tensor([[3., 0.], [0., 3.], [6., 9.]]))
    torch.testing.assert_close(typed_degree(dst, et, 3, 2),
                               torch.tensor([[2., 0.], [0., 1.], [1., 2.]]))


def test_errors():
    x = torch.randn(4, 3)
    w = torch.randn(2, 3, 5)
    ei = torch.tensor([[0, 1], [1, 2]])
    et = torch.tensor([0, 1])
    with pytest.raises(ValueError, match=r'edge_type values must lie in \[0, 1\], got \[0, 2\]'):
        typed_matmul_scatter(x, w, ei, torch.tensor([0, 2]))
    with pytest.raises(ValueError,
                       match=r'weight must have shape \(T, C, C_out\) with C = x.size\(1\) = 3'):
        typed_matmul_scatter(x, torch.randn(2, 4, 5), ei, et)
    with pytest.raises(ValueError, match=r'edge_index must have shape \(2, E\)'):
        typed_matmul_scatter(x, w, torch.zeros(3, 2, dtype=torch.long), et)
    with pytest.raises(ValueError, match=r'edge_type must have shape \(E,\) = \(2,\)'):
        typed_matmul_scatter(x, w, ei, torch.tensor([0]))
    with pytest.raises(ValueError, match=r'edge_index\[0\] \(source nodes\) must lie in \[0, 3\]'):
        typed_matmul_scatter(x, w, torch.tensor([[0, 4], [1, 2]]), et)
    with pytest.raises(ValueError, match=r'edge_index\[1\] \(target nodes\) must lie in \[0, 1\]'):
        typed_matmul_scatter(x, w, ei, et, dim_size=2)
    with pytest.raises(TypeError, match='x must have a floating-point dtype'):
        typed_matmul_scatter(x.long(), w, ei, et)
    with pytest.raises(ValueError, match=r'x must be \(N, C\)'):
        typed_matmul_scatter(x[None], w, ei, et)
    with pytest.raises(ValueError, match=r'edge_weight must have shape \(E,\)'):
        typed_matmul_scatter(x, w, ei, et, torch.ones(3))
