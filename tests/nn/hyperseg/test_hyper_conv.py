"""HyperConv, the graph form of the dynamic patch-wise convolution, against dpw_conv2d."""
import math

import pytest
import torch
from torch.autograd import gradcheck

from graphseg.graphs import grid_graph
from graphseg.nn import HyperConv
from graphseg.nn.hyperseg import grid_patch_index, segment_matmul
from graphseg.ops import dpw_conv2d


@pytest.mark.parametrize('grid', [(2, 3), (1, 1), (4, 6)])
def test_hyper_conv_equals_dpw_conv2d(grid, device):
    H, W, C, C_out, S = 8, 12, 4, 5, 8
    conv = HyperConv(C, C_out, S, weight_groups=2).to(device)
    assert repr(conv) == 'HyperConv(4, 5, signal_channels=8, directions=9)'
    x = torch.randn(1, C, H, W, device=device)
    phi = torch.randn(1, S, *grid, device=device)
    g = grid_graph(H, W, device=device)
    patch = grid_patch_index(H, W, *grid, device=device)
    # (HW, C_out)
    out = conv(x[0].flatten(1).t(), g.edge_index, g.edge_type, patch, phi[0].flatten(1).t())
    theta = conv.weight_mapper(phi).view(1, C_out, C, 3, 3, *grid)
    ref = dpw_conv2d(x, theta, padding_mode='zeros')
    torch.testing.assert_close(out.t().reshape(1, C_out, H, W), ref, atol=1e-5, rtol=1e-5)


def test_hyper_conv_gradcheck():
    conv = HyperConv(2, 2, 4, bias=True).double()
    g = grid_graph(2, 4)
    patch = grid_patch_index(2, 4, 1, 2)
    x = torch.randn(8, 2, dtype=torch.float64, requires_grad=True)
    phi = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    ew = torch.rand(g.edge_index.size(1), dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a, b, c: conv(a, g.edge_index, g.edge_type, patch, b, c), (x, phi, ew))


def test_segment_matmul_unequal_segments():
    x = torch.randn(7, 3)
    seg = torch.tensor([2, 0, 2, 1, 2, 0, 2])
    w = torch.randn(3, 3, 4)
    ref = torch.stack([x[i] @ w[seg[i]] for i in range(7)])
    torch.testing.assert_close(segment_matmul(x, seg, w), ref)


def test_hyper_conv_errors():
    conv = HyperConv(2, 3, 4)
    g = grid_graph(2, 2)
    x, phi, patch = torch.randn(4, 2), torch.randn(1, 4), torch.zeros(4, dtype=torch.long)
    with pytest.raises(ValueError, match=r'patch values must lie in \[0, 0\]'):
        conv(x, g.edge_index, g.edge_type, patch + 1, phi)
    with pytest.raises(ValueError, match=r'patch must have shape \(N,\) = \(4,\)'):
        conv(x, g.edge_index, g.edge_type, patch[:3], phi)
    with pytest.raises(ValueError, match='x must have in_channels = 2 columns, got 3'):
        conv(torch.randn(4, 3), g.edge_index, g.edge_type, patch, phi)
    with pytest.raises(ValueError, match=r'edge_type values must lie in \[0, 8\]'):
        conv(x, g.edge_index, g.edge_type + 9, patch, phi)
    with pytest.raises(ValueError, match='must be divisible by the patch grid 3x1'):
        grid_patch_index(4, 4, 3, 1)
    assert math.prod(conv.weight_mapper.weight.shape[:2]) == 3 * 2 * 9 * 4
