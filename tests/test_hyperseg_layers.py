"""HyperSeg layers: divide_channels, positional encoding, weight mapper, meta block, context head,
BatchNorm fusion, and the graph form HyperConv."""
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.autograd import gradcheck

from graphseg.graphs import grid_graph
from graphseg.nn import (ContextHead, DPWConv2d, HyperConv, MetaBlock, WeightMapper, divide_channels, fuse_bn,
                         positional_encoding)
from graphseg.nn.hyperseg import grid_patch_index, segment_matmul
from graphseg.ops import dpw_conv2d


# ---------------------------------------------------------------- divide_channels (Appendix A, Algorithm 1)
@given(unit=st.sampled_from([1, 4, 8, 16, 32]), extra=st.integers(0, 60),
       weights=st.lists(st.floats(0.01, 1e4, allow_nan=False), min_size=1, max_size=8))
def test_divide_channels_properties(unit, extra, weights):
    total = (len(weights) + extra) * unit
    shares = divide_channels(total, unit, weights)
    assert len(shares) == len(weights)
    assert sum(shares) == total
    assert all(s % unit == 0 and s >= unit for s in shares)
    for s, w in zip(shares, weights):  # within one unit of the exact proportional quota
        assert abs(s / unit - (1 + extra * w / sum(weights))) < 1 + 1e-9


def test_divide_channels_examples():
    assert divide_channels(64, 8, [1, 1, 2]) == [16, 16, 32]
    assert divide_channels(24, 8, [1, 1000, 1]) == [8, 8, 8]  # everyone keeps one unit
    assert divide_channels(40, 8, [3, 1]) == [24, 16]  # 1 + 2.25 -> 3 units, 1 + 0.75 -> 2 units
    assert divide_channels(48, 8, [1, 1, 1, 1]) == [16, 16, 8, 8]  # ties go to the earlier share
    with pytest.raises(ValueError, match='total = 30 must be divisible by unit = 8'):
        divide_channels(30, 8, [1, 2])
    with pytest.raises(ValueError, match=r'holds 2 unit\(s\) of 8, fewer than the 3 shares'):
        divide_channels(16, 8, [1, 2, 3])
    with pytest.raises(ValueError, match='weights must be finite and > 0'):
        divide_channels(16, 8, [1, 0])
    with pytest.raises(ValueError, match='weights must not be empty'):
        divide_channels(16, 8, [])
    with pytest.raises(ValueError, match='unit must be a positive int'):
        divide_channels(16, 0, [1])


# ---------------------------------------------------------------- positional encoding
@pytest.mark.parametrize('hw', [(4, 7), (1, 3), (5, 1), (2, 2)])
def test_positional_encoding_formula(hw, device):
    H, W = hw
    P = positional_encoding(H, W, device=device, dtype=torch.float64)
    assert P.shape == (2, H, W) and P.device.type == device.type
    for i in range(H):
        for j in range(W):
            pi = (2 * i - H + 1) / (H - 1) if H > 1 else 0.
            pj = (2 * j - W + 1) / (W - 1) if W > 1 else 0.
            assert P[0, i, j].item() == pi and P[1, i, j].item() == pj
    with pytest.raises(ValueError, match='height must be a positive int'):
        positional_encoding(0, 3)


# ---------------------------------------------------------------- weight mapper
def test_weight_mapper_is_grouped_1x1_conv(device):
    m = WeightMapper(8, 10, groups=4, bias=True).to(device)
    assert repr(m) == 'WeightMapper(8, 10, groups=4, bias=True)'
    assert m.weight.shape == (12, 2, 1, 1)  # ceil(10 / 4) * 4 rows, the first 10 used
    phi = torch.randn(2, 8, 3, 5, device=device)
    conv = nn.Conv2d(8, 12, 1, groups=4).to(device)
    conv.load_state_dict({'weight': m.weight, 'bias': m.bias})
    torch.testing.assert_close(m(phi), conv(phi)[:, :10])
    nodes = phi.permute(0, 2, 3, 1).reshape(-1, 8)  # (P, C) patch nodes give the same rows
    torch.testing.assert_close(m(nodes), m(phi).permute(0, 2, 3, 1).reshape(-1, 10))


def test_weight_mapper_every_group_used():
    with pytest.raises(ValueError, match='num_params = 5 is too small for groups = 4'):
        WeightMapper(8, 5, groups=4)
    with pytest.raises(ValueError, match='in_channels = 6 must be divisible by groups = 4'):
        WeightMapper(6, 40, groups=4)
    m = WeightMapper(8, 7, groups=4)  # rows 0..7, groups of 2 rows: the last group makes weight 6
    phi = torch.randn(1, 8, 2, 2, requires_grad=True)
    m(phi).sum().backward()
    assert (phi.grad.abs().sum((0, 2, 3)) > 0).all()
    with pytest.raises(ValueError, match='signal must have 8 channels, got 3'):
        m(torch.randn(1, 3, 2, 2))


def test_weight_mapper_dpw_chain_gradcheck():
    """phi -> WeightMapper -> DPWConv2d: gradients w.r.t. the signal, the mapper and the input."""
    mapper = WeightMapper(4, 2 * 2 * 9, groups=2, bias=True).double()
    conv = DPWConv2d(2, 2, 3, padding_mode='reflect').double()
    x = torch.randn(1, 2, 2, 4, dtype=torch.float64, requires_grad=True)
    phi = torch.randn(1, 4, 1, 2, dtype=torch.float64, requires_grad=True)

    def chain(x, phi, w, b):
        theta = F.conv2d(phi, w, b, groups=2)[:, :mapper.num_params]
        return conv(x, theta)

    torch.testing.assert_close(chain(x, phi, mapper.weight, mapper.bias), conv(x, mapper(phi)))
    assert gradcheck(chain, (x, phi, mapper.weight, mapper.bias))


# ---------------------------------------------------------------- meta block
def _randomize_bn(module, generator=None):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5, generator=generator)
                m.running_var.uniform_(0.5, 2., generator=generator)
                m.weight.uniform_(0.5, 1.5, generator=generator)
                m.bias.uniform_(-0.5, 0.5, generator=generator)


@pytest.mark.parametrize('pointwise_only', [False, True])
def test_meta_block_equals_static_block_with_the_same_weights(pointwise_only, device):
    """With one weight set for every patch the dynamic block is the static block with those weights."""
    dyn = MetaBlock(6, 6, 8, expand_ratio=2, pointwise_only=pointwise_only, weight_groups=2).to(device).eval()
    sta = MetaBlock(6, 6, expand_ratio=2, pointwise_only=pointwise_only, dynamic=False).to(device).eval()
    _randomize_bn(dyn)
    sta.load_state_dict({k: v for k, v in dyn.state_dict().items() if not k.startswith('weight_mapper')},
                        strict=False)
    phi = torch.randn(1, 8, 1, 1, device=device).expand(2, 8, 2, 3)  # the same signal in every patch
    theta = dyn.weight_mapper(phi[:, :, :1, :1])[..., 0, 0]  # (B, |theta|)
    with torch.no_grad():
        for conv, w in zip([sta.pw1] + ([] if pointwise_only else [sta.dw, sta.pw2]),
                           theta[0].split([c.num_params for c, _ in dyn._conv_bn()])):
            conv.weight.copy_(w.view_as(conv.weight))
    x = torch.randn(2, 6, 8, 12, device=device)
    torch.testing.assert_close(dyn(x, phi), sta(x), atol=1e-5, rtol=1e-5)
    assert dyn.num_params == MetaBlock.count_params(6, 6, 2, pointwise_only=pointwise_only)


def test_meta_block_structure():
    b = MetaBlock(4, 4, 16, expand_ratio=2, weight_groups=4)
    assert b.use_residual and b.hidden_channels == 8
    assert b.num_params == 4 * 8 + 8 * 9 + 8 * 4 == b.weight_mapper.num_params
    assert isinstance(b.act1, nn.ReLU6) and isinstance(b.act2, nn.ReLU6) and not hasattr(b, 'act3')
    assert repr(b).startswith('MetaBlock(\n  4, 4, hidden=8, dynamic=True\n')
    pw = MetaBlock(4, 6, 16, pointwise_only=True)
    assert not pw.use_residual and not hasattr(pw, 'dw') and pw.num_params == 24
    assert MetaBlock(4, 6, dynamic=False).weight_mapper is None
    with pytest.raises(ValueError, match='signal_channels is required when dynamic=True'):
        MetaBlock(4, 4)
    with pytest.raises(ValueError, match='signal is required by a dynamic MetaBlock'):
        b(torch.randn(1, 4, 4, 4))


# ---------------------------------------------------------------- context head
def _reference_context_head(head, x):
    """Eq. 2 written out for levels = 2 with functional ops (eval mode)."""
    def cba(seq, t):
        conv, bn = seq[0], seq[1]
        t = F.conv2d(t, conv.weight, stride=conv.stride)
        t = F.batch_norm(t, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0., bn.eps)
        return F.relu(t)
    f1 = cba(head.down[0], x)  # 2x2 stride 2, channels halved
    g = f1.mean((2, 3), keepdim=True).expand_as(f1)  # global average pool at the bottom
    y1 = cba(head.up[1], torch.cat([f1, g], 1))
    up = y1.repeat_interleave(2, 2).repeat_interleave(2, 3)[..., :x.size(2), :x.size(3)]  # nearest x2
    return cba(head.up[0], torch.cat([x, up], 1))


def test_context_head_matches_reference(device):
    head = ContextHead(16, levels=2).to(device).eval()
    _randomize_bn(head)
    assert repr(head).startswith('ContextHead(\n  16, 16, levels=2\n')
    x = torch.randn(2, 16, 4, 6, device=device)
    phi = head(x)
    assert phi.shape == (2, 16, 4, 6)
    torch.testing.assert_close(phi, _reference_context_head(head, x))
    assert head.down[0][0].out_channels == 8 and head.down[0][0].kernel_size == (2, 2)
    odd = head(torch.randn(1, 16, 5, 7, device=device))  # odd sizes: the upsampling matches the skip
    assert odd.shape == (1, 16, 5, 7)
    three = ContextHead(16, 24, levels=3).to(device).eval()
    assert three(torch.randn(1, 16, 4, 4, device=device)).shape == (1, 24, 4, 4)


def test_context_head_errors():
    with pytest.raises(ValueError, match=r'in_channels = 6 must be divisible by 2\^\(levels - 1\) = 4'):
        ContextHead(6, levels=3)
    with pytest.raises(ValueError, match='x must be at least 4x4 for 3 levels, got 2x8'):
        ContextHead(16, levels=3)(torch.randn(1, 16, 2, 8))
    with pytest.raises(ValueError, match='x must have 16 channels, got 8'):
        ContextHead(16)(torch.randn(1, 8, 4, 4))


# ---------------------------------------------------------------- BatchNorm fusion (Appendix E)
@pytest.mark.parametrize('dynamic', [True, False])
@pytest.mark.parametrize('pointwise_only', [False, True])
def test_fuse_meta_block(dynamic, pointwise_only):
    block = MetaBlock(6, 6, 8 if dynamic else None, pointwise_only=pointwise_only, weight_groups=2,
                      dynamic=dynamic).double().eval()
    _randomize_bn(block)
    x = torch.randn(2, 6, 8, 8, dtype=torch.float64)
    phi = torch.randn(2, 8, 2, 2, dtype=torch.float64) if dynamic else None
    fused = fuse_bn(block)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in block.modules())  # the original is untouched
    torch.testing.assert_close(fused(x, phi), block(x, phi), atol=1e-10, rtol=1e-10)


def test_fuse_sequential_and_existing_bias():
    seq = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=True), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.Conv2d(4, 2, 1), nn.BatchNorm2d(2, affine=False)).double().eval()
    _randomize_bn(seq[1])
    seq[4].running_var.uniform_(0.5, 2.)
    x = torch.randn(1, 3, 5, 5, dtype=torch.float64)
    fused = fuse_bn(seq)
    assert isinstance(fused[1], nn.Identity) and isinstance(fused[4], nn.Identity)
    torch.testing.assert_close(fused(x), seq(x))


# ---------------------------------------------------------------- HyperConv (graph form)
@pytest.mark.parametrize('grid', [(2, 3), (1, 1), (4, 6)])
def test_hyper_conv_equals_dpw_conv2d(grid, device):
    H, W, C, C_out, S = 8, 12, 4, 5, 8
    conv = HyperConv(C, C_out, S, weight_groups=2).to(device)
    assert repr(conv) == 'HyperConv(4, 5, signal_channels=8, directions=9)'
    x = torch.randn(1, C, H, W, device=device)
    phi = torch.randn(1, S, *grid, device=device)
    g = grid_graph(H, W, device=device)
    patch = grid_patch_index(H, W, *grid, device=device)
    out = conv(x[0].flatten(1).t(), g.edge_index, g.edge_type, patch, phi[0].flatten(1).t())  # (HW, C_out)
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
