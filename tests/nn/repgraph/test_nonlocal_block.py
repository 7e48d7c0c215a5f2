"""NonLocal2d (Wang et al., CVPR 2018) against a per-position loop, and its MAC count (RepGraph
Table 2)."""
import copy
import math

import pytest
import torch
from torch import nn
from torch.autograd import gradcheck

from graphseg.analysis.macs import dense_flop_macs, format_macs
from graphseg.ops.macs import nonlocal_macs
from graphseg.nn import NonLocal2d


def loop_reference(m, x):
    """y_i = sum_j f(x_i, x_j) g(x_j), one output position at a time, from the 1x1 conv weights."""
    B, C, H, W = x.shape
    def embed(conv, v):  # 1x1 conv at one position
        return conv.weight[:, :, 0, 0] @ v + conv.bias
    y = torch.zeros(B, m.inter_channels, H * W, dtype=x.dtype)
    for b in range(B):
        cols = x[b].flatten(1).t()  # (N, C)
        for i in range(H * W):
            t = embed(m.theta, cols[i])
            scores = torch.stack([t @ embed(m.phi, cols[j]) for j in range(H * W)])
            f = scores.softmax(0) if m.mode == 'embedded_gaussian' else scores / (H * W)
            y[b, :, i] = sum(f[j] * embed(m.g, cols[j]) for j in range(H * W))
    return y.view(B, m.inter_channels, H, W)


@pytest.mark.parametrize('mode', ['embedded_gaussian', 'dot_product'])
def test_matches_loop(mode, device):
    m = NonLocal2d(8, reduction=2, mode=mode).to(device)
    nn.init.normal_(m.norm.weight)
    x = torch.randn(2, 8, 3, 4, device=device)
    y = loop_reference(copy.deepcopy(m).cpu(), x.cpu()).to(device)
    torch.testing.assert_close(m.attention(x), y, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(m(x), x + m.norm(m.W_z(y)), atol=1e-5, rtol=1e-5)


def test_identity_at_init_and_learns():
    m = NonLocal2d(16)
    x = torch.randn(2, 16, 4, 4)
    torch.testing.assert_close(m(x), x)
    m(x).pow(2).sum().backward()
    assert m.norm.weight.grad.abs().sum() > 0
    plain = NonLocal2d(16, norm_layer=None)
    torch.testing.assert_close(plain(x), x)
    assert repr(m) == "NonLocal2d(16, reduction=8, mode='embedded_gaussian')"
    assert m.inter_channels == 2


def test_gradcheck():
    m = NonLocal2d(4, reduction=2, norm_layer=None).double()
    nn.init.normal_(m.W_z.weight)
    x = torch.randn(1, 4, 2, 3, dtype=torch.float64, requires_grad=True)
    assert gradcheck(m, (x,))


def test_mac_count_paper_table2():
    """3 N C C' + 2 N^2 C' at 256x128, C = 2048, C' = 256 is RepGraph's Table 2 figure, 601.3 G."""
    macs = nonlocal_macs(256, 128, 2048, 256)
    n = 256 * 128
    assert macs == 3 * n * 2048 * 256 + 2 * n * n * 256
    assert format_macs(macs) == '601.3 G' and math.isclose(macs / 1e9, 601.3, abs_tol=0.05)
    assert format_macs(nonlocal_macs(256, 128, 2048, 256, include_output=True)) == '618.5 G'


def test_mac_count_matches_flop_counter():
    m = NonLocal2d(32, reduction=4)
    with torch.no_grad():
        counted = dense_flop_macs(lambda: m(torch.randn(1, 32, 6, 5)))
    assert counted == nonlocal_macs(6, 5, 32, 8, include_output=True)


def test_errors():
    with pytest.raises(ValueError,
                       match=r'in_channels \(10\) must be divisible by reduction \(4\)'):
        NonLocal2d(10, reduction=4)
    with pytest.raises(ValueError, match="mode must be one of"):
        NonLocal2d(8, mode='gaussian_blur')
    with pytest.raises(ValueError, match='reduction must be a positive int, got 0'):
        NonLocal2d(8, reduction=0)
    with pytest.raises(ValueError, match='x must have in_channels = 8 channels, got 4'):
        NonLocal2d(8)(torch.randn(1, 4, 2, 2))
    with pytest.raises(ValueError, match=r'x must be \(B, C, H, W\)'):
        NonLocal2d(8)(torch.randn(8, 2, 2))
