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


# ---------------------------------------------------------------- divide_channels (Appendix A, the released rule)
@given(unit=st.sampled_from([1, 4, 8, 16, 32]), extra=st.integers(0, 60),
       weights=st.lists(st.integers(1, 10_000), min_size=1, max_size=8))
def test_divide_channels_properties(unit, extra, weights):
    total = (len(weights) + extra) * unit
    shares = divide_channels(total, unit, weights)
    assert len(shares) == len(weights)
    assert all(s % unit == 0 and s >= unit for s in shares)
    for w in set(weights):  # equal weights, equal shares
        assert len({s for s, v in zip(shares, weights) if v == w}) == 1
    # every unit is given out, except what a group of equal weights cannot split evenly among its members
    assert 0 <= total - sum(shares) < unit * len(weights)
    if len(set(weights)) == len(weights):
        assert sum(shares) == total


def test_divide_channels_examples():
    """Values of the released ``divide_feature`` / ``divide_feature_legacy`` (YuvalNirkin/hyperseg); graphseg's
    rule was also compared with them on 20,000 random cases each outside the repository: all equal."""
    assert divide_channels(1280, 32, [5248, 3008, 704, 2352, 4216]) == [416, 224, 128, 192, 320]  # M
    assert divide_channels(1280, 32, [4160, 992, 208, 3676]) == [576, 128, 64, 512]  # S (shared last mapper)
    assert divide_channels(64, 8, [1, 1, 2]) == [16, 16, 32]
    assert divide_channels(48, 8, [5, 5, 1, 1]) == [16, 16, 8, 8]
    assert divide_channels(40, 8, [3, 1]) == [24, 16]
    assert divide_channels(96, 8, [10, 20, 20, 5]) == [16, 32, 32, 16]
    assert divide_channels(96, 8, [10, 20, 20, 5], rule='legacy') == [16, 32, 32, 16]
    assert divide_channels(64, 8, [1, 1, 2], rule='legacy') == [16, 16, 32]
    with pytest.raises(ValueError, match='total = 30 must be divisible by unit = 8'):
        divide_channels(30, 8, [1, 2])
    with pytest.raises(ValueError, match=r'holds 2 unit\(s\) of 8, fewer than the 3 shares'):
        divide_channels(16, 8, [1, 2, 3])
    with pytest.raises(ValueError, match='leaves a share without channels'):
        divide_channels(16, 8, [1, 2, 300], rule='legacy')
    with pytest.raises(ValueError, match='weights must be finite and > 0'):
        divide_channels(16, 8, [1, 0])
    with pytest.raises(ValueError, match='weights must not be empty'):
        divide_channels(16, 8, [])
    with pytest.raises(ValueError, match='unit must be a positive int'):
        divide_channels(16, 0, [1])
    with pytest.raises(ValueError, match="rule must be one of"):
        divide_channels(16, 8, [1], rule='largest')


# ---------------------------------------------------------------- positional encoding
@pytest.mark.parametrize('hw', [(4, 7), (1, 3), (5, 1), (2, 2)])
def test_positional_encoding_formula(hw, device):
    H, W = hw
    P = positional_encoding(H, W, device=device, dtype=torch.float64)
    assert P.shape == (2, H, W) and P.device.type == device.type
    for i in range(H):
        for j in range(W):  # channel 0 = x (column), channel 1 = y (row); a side of 1 is -1 (linspace)
            px = -1 + 2 * j / (W - 1) if W > 1 else -1.
            py = -1 + 2 * i / (H - 1) if H > 1 else -1.
            assert P[0, i, j].item() == pytest.approx(px, abs=1e-15)
            assert P[1, i, j].item() == pytest.approx(py, abs=1e-15)
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


@pytest.mark.parametrize('halo', ['image', 'patch'])
@pytest.mark.parametrize('pointwise_only', [False, True])
def test_meta_block_equals_static_block_with_the_same_weights(pointwise_only, halo, device):
    """With one weight set for every patch the dynamic block is the static block with those weights."""
    dyn = MetaBlock(6, 6, 8, expand_ratio=2, pointwise_only=pointwise_only, weight_groups=2, halo=halo).to(device)
    sta = MetaBlock(6, 6, expand_ratio=2, pointwise_only=pointwise_only, dynamic=False).to(device)
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
    for mode in ('eval', 'train'):  # train: BN1 over the halo'd patches differs from BN over the image
        if mode == 'train' and halo == 'patch' and not pointwise_only:
            continue
        dyn.train(mode == 'train'), sta.train(mode == 'train')
        torch.testing.assert_close(dyn(x, phi), sta(x), atol=1e-5, rtol=1e-5)
    assert dyn.num_params == MetaBlock.count_params(6, 6, 2, pointwise_only=pointwise_only)


def _patch_halo_reference(block, x, theta):
    """The released v1.0 block written out patch by patch with F.conv2d (eval mode)."""
    def bn(t, m):
        return F.batch_norm(t, m.running_mean, m.running_var, m.weight, m.bias, False, 0., m.eps)
    B, C, H, W = x.shape
    N_h, N_w = theta.shape[-2:]
    p_h, p_w, hid = H // N_h, W // N_w, block.hidden_channels
    w1, w2, w3 = theta.split([c.num_params for c, _ in block._conv_bn()], dim=1)
    mode = 'constant' if block.padding_mode == 'zeros' else block.padding_mode
    xp = F.pad(x, (1, 1, 1, 1), mode=mode)
    inside = F.pad(torch.ones(1, 1, H, W, dtype=x.dtype, device=x.device), (1, 1, 1, 1))
    out = torch.empty(B, hid, H, W, dtype=x.dtype, device=x.device)
    for b in range(B):
        for i in range(N_h):
            for j in range(N_w):
                win = xp[b:b + 1, :, i * p_h:(i + 1) * p_h + 2, j * p_w:(j + 1) * p_w + 2]
                h = F.relu6(bn(F.conv2d(win, w1[b, :, i, j].view(hid, C, 1, 1)), block.bn1))
                if block.padding_mode == 'zeros':
                    h = h * inside[:, :, i * p_h:(i + 1) * p_h + 2, j * p_w:(j + 1) * p_w + 2]
                out[b, :, i * p_h:(i + 1) * p_h, j * p_w:(j + 1) * p_w] = F.conv2d(
                    h, w2[b, :, i, j].view(hid, 1, 3, 3), groups=hid)[0]
    out = F.relu6(bn(out, block.bn2))
    w3 = w3.view(B, block.out_channels, hid, N_h, N_w)
    y = torch.empty(B, block.out_channels, H, W, dtype=x.dtype, device=x.device)
    for i in range(N_h):
        for j in range(N_w):
            blk = out[:, :, i * p_h:(i + 1) * p_h, j * p_w:(j + 1) * p_w]
            y[:, :, i * p_h:(i + 1) * p_h, j * p_w:(j + 1) * p_w] = torch.einsum('bchw,boc->bohw', blk,
                                                                                 w3[..., i, j])
    return bn(y, block.bn3) + (x if block.use_residual else 0)


@pytest.mark.parametrize('padding_mode', ['reflect', 'zeros', 'replicate'])
def test_patch_halo_matches_per_patch_reference(padding_mode, device):
    block = MetaBlock(5, 5, 8, halo='patch', weight_groups=2, padding_mode=padding_mode).double().to(device).eval()
    _randomize_bn(block)
    x = torch.randn(2, 5, 8, 12, dtype=torch.float64, device=device)
    phi = torch.randn(2, 8, 2, 3, dtype=torch.float64, device=device)
    ref = _patch_halo_reference(block, x, block.weight_mapper(phi))
    torch.testing.assert_close(block(x, phi), ref)
    image = MetaBlock(5, 5, 8, halo='image', weight_groups=2, padding_mode=padding_mode).double().to(device).eval()
    image.load_state_dict(block.state_dict())
    diff = (image(x, phi) - block(x, phi)).abs().amax((0, 1))  # (H, W)
    border = torch.zeros(8, 12, dtype=torch.bool, device=device)  # within one pixel of an interior patch border
    border[[3, 4], :] = True
    border[:, [3, 4, 7, 8]] = True
    assert diff[~border].max() < 1e-12 and diff[border].max() > 1e-3


def test_patch_halo_gradcheck():
    block = MetaBlock(2, 3, 4, halo='patch', weight_groups=2, padding_mode='zeros').double().eval()
    x = torch.randn(1, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    phi = torch.randn(1, 4, 2, 2, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a, b: block(a, b), (x, phi))


def test_meta_block_structure():
    b = MetaBlock(4, 4, 16, expand_ratio=2, weight_groups=4)
    assert b.use_residual and b.hidden_channels == 8
    assert b.num_params == 4 * 8 + 8 * 9 + 8 * 4 == b.weight_mapper.num_params
    assert isinstance(b.act1, nn.ReLU6) and isinstance(b.act2, nn.ReLU6) and not hasattr(b, 'act3')
    assert repr(b).startswith("MetaBlock(\n  4, 4, hidden=8, halo='image', dynamic=True\n")
    pw = MetaBlock(4, 6, 16, pointwise_only=True, act_layer=nn.ReLU)
    assert not pw.use_residual and not hasattr(pw, 'dw') and pw.num_params == 24 and isinstance(pw.act1, nn.ReLU)
    assert MetaBlock(4, 6, dynamic=False).weight_mapper is None
    with pytest.raises(ValueError, match='signal_channels is required when dynamic=True and own_mapper=True'):
        MetaBlock(4, 4)
    with pytest.raises(ValueError, match='signal is required by a dynamic MetaBlock'):
        b(torch.randn(1, 4, 4, 4))
    with pytest.raises(ValueError, match="halo must be one of"):
        MetaBlock(4, 4, 16, halo='own')
    ext = MetaBlock(4, 4, own_mapper=False)  # weights from a shared mapper
    assert ext.weight_mapper is None
    with pytest.raises(ValueError, match='theta is required by a MetaBlock without its own weight mapper'):
        ext(torch.randn(1, 4, 4, 4), torch.randn(1, 16, 1, 1))
    with pytest.raises(ValueError, match=r'theta must have shape \(B, 136, N_h, N_w\)'):
        ext(torch.randn(1, 4, 4, 4), theta=torch.randn(1, 13, 1, 1))
    theta = b.weight_mapper(torch.randn(1, 16, 2, 2))
    torch.testing.assert_close(ext.eval()(torch.ones(1, 4, 4, 4), theta=theta).shape, (1, 4, 4, 4))


# ---------------------------------------------------------------- context head
def _cba(seq, t, act=True):
    conv, bn = seq[0], seq[1]
    t = F.conv2d(t, conv.weight, stride=conv.stride)
    t = F.batch_norm(t, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0., bn.eps)
    return F.relu(t) if act else t


def _up2(t):
    return t.repeat_interleave(2, 2).repeat_interleave(2, 3)


def test_context_head_half_width_matches_reference(device):
    """The released v1.0 head written out for levels = 2 (eval mode)."""
    head = ContextHead(16, levels=2).to(device).eval()
    _randomize_bn(head)
    assert repr(head).startswith('ContextHead(\n  16, levels=2, half_width=True\n')
    x = torch.randn(2, 16, 4, 6, device=device)
    f0 = _cba(head.reduce, x)  # 1x1, 16 -> 8
    f1 = _cba(head.down[0], f0)  # 2x2 stride 2, width kept
    g = f1.mean((2, 3), keepdim=True).expand_as(f1)  # global average at the bottom
    ref = torch.cat([f0, _up2(_cba(head.up[0], torch.cat([f1, g], 1)))], 1)
    torch.testing.assert_close(head(x), ref)
    assert head.down[0][0].out_channels == 8 and head.down[0][0].kernel_size == (2, 2)
    assert head(torch.randn(1, 16, 5, 7, device=device)).shape == (1, 16, 5, 7)  # odd sizes
    assert sum(p.numel() for n, p in ContextHead(1280).named_parameters() if n.endswith('weight')
               and p.dim() == 4) == 1280 * 640 + 640 * 640 * 4 + 1280 * 640  # the released 3.28 M head


def test_context_head_full_width_matches_reference(device):
    """The released v0.1 head written out for levels = 3 (eval mode): no ReLU after the last merge."""
    head = ContextHead(8, levels=3, half_width=False).to(device).eval()
    _randomize_bn(head)
    x = torch.randn(2, 8, 4, 8, device=device)
    f1 = _cba(head.down[0], x)
    f2 = _cba(head.down[1], f1)
    g = f2.mean((2, 3), keepdim=True).expand_as(f2)
    y1 = _cba(head.up[1], torch.cat([f1, _up2(g)], 1))
    ref = _cba(head.up[0], torch.cat([x, _up2(y1)], 1), act=False)
    torch.testing.assert_close(head(x), ref)
    assert len(head.up[0]) == 2 and len(head.up[1]) == 3 and head.reduce is None
    one = ContextHead(8, levels=1, half_width=False)
    torch.testing.assert_close(one(x), x)  # a single level: phi = F_n


def test_context_head_errors():
    with pytest.raises(ValueError, match='in_channels must be even when half_width=True'):
        ContextHead(7)
    with pytest.raises(ValueError, match='x must be at least 4x4 for 3 levels, got 2x8'):
        ContextHead(16, levels=3)(torch.randn(1, 16, 2, 8))
    with pytest.raises(ValueError, match='x must have 16 channels, got 8'):
        ContextHead(16)(torch.randn(1, 8, 4, 4))
    with pytest.raises(ValueError, match='levels must be a positive int'):
        ContextHead(16, levels=0)


# ---------------------------------------------------------------- BatchNorm fusion (Appendix E)
@pytest.mark.parametrize('dynamic,halo,padding_mode', [(True, 'image', 'reflect'), (True, 'patch', 'reflect'),
                                                        (True, 'patch', 'zeros'), (False, 'image', 'reflect')])
@pytest.mark.parametrize('pointwise_only', [False, True])
def test_fuse_meta_block(dynamic, halo, padding_mode, pointwise_only):
    block = MetaBlock(6, 6, 8 if dynamic else None, pointwise_only=pointwise_only, weight_groups=2,
                      dynamic=dynamic, halo=halo, padding_mode=padding_mode).double().eval()
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
