"""SparseMap, kernel maps and sparse layers against dense convolutions of the zero-filled (masked) map."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.autograd import gradcheck

from graphseg.graphs import DIRECTIONS
from graphseg.nn import (SparseBatchNorm, SparseConvTranspose2d, SparseLinear, SparseReLU, SparseUpsample,
                         SubmanifoldConv2d, sparse_gather, sparse_upsample)
from graphseg.ops import (SparseMap, child_coords, conv_plan, gather_gemm_conv, neighbor_table, submanifold_conv2d,
                          submanifold_kernel_map)


def random_sparse(B, C, H, W, p, device, dtype=torch.float32, seed=0, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, C, H, W, generator=g, dtype=dtype).to(device)
    mask = (torch.rand(B, H, W, generator=g) < p).to(device)
    sp = SparseMap.from_dense(x, mask)
    if requires_grad:
        sp = sp.replace(sp.feats.detach().requires_grad_(True))
    return x, mask, sp


def read(dense, mask):
    """A dense (B, C, H, W) map at the active sites, in SparseMap.from_dense order."""
    return dense.permute(0, 2, 3, 1)[mask]


# --------------------------------------------------------------------------- kernel maps
def naive_table(coords, H, W):
    sites = {tuple(c): i for i, c in enumerate(coords.tolist())}
    return torch.tensor([[sites.get((b, y + dy, x + dx), -1) for dy, dx in DIRECTIONS]
                         for b, y, x in coords.tolist()], dtype=torch.long).view(-1, 9)


@given(B=st.integers(1, 2), H=st.integers(1, 7), W=st.integers(1, 7), p=st.floats(0, 1),
       seed=st.integers(0, 2 ** 16))
@settings(max_examples=40)
def test_neighbor_table_methods_match_naive(B, H, W, p, seed):
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(B, H, W, generator=g) < p
    coords = mask.nonzero()[torch.randperm(int(mask.sum()), generator=g)]  # any site order
    ref = naive_table(coords, H, W)
    for method in ('grid', 'searchsorted'):
        assert torch.equal(neighbor_table(coords, (H, W), B, method=method), ref), method


def test_kernel_map_is_typed_edge_list(device):
    coords = torch.tensor([[0, 0, 0], [0, 0, 1], [0, 1, 1], [1, 0, 0]], device=device)
    ei, et = submanifold_kernel_map(coords, (2, 2), 2)
    got = set(zip(ei[0].tolist(), ei[1].tolist(), et.tolist()))
    # edge j -> i of type k: site j lies at DIRECTIONS[k] from site i (same image)
    assert got == {(0, 0, 4), (1, 1, 4), (2, 2, 4), (3, 3, 4), (1, 0, 5), (0, 1, 3), (2, 1, 7), (1, 2, 1),
                   (2, 0, 8), (0, 2, 0)}
    ei1, et1 = submanifold_kernel_map(coords, (2, 2), 2, kernel_size=1)
    assert ei1.tolist() == [[0, 1, 2, 3], [0, 1, 2, 3]] and et1.tolist() == [0, 0, 0, 0]


def test_auto_method_falls_back_to_searchsorted_on_huge_grids():
    coords = torch.tensor([[0, 50_000, 70_000], [0, 50_001, 70_001], [1, 0, 0]])
    table = neighbor_table(coords, (100_000, 100_000), 2)  # a dense index grid would need 2e10 cells
    assert table[0].tolist() == [-1, -1, -1, -1, 0, -1, -1, -1, 1] and table[2].tolist()[4] == 2


def test_kernel_map_errors():
    with pytest.raises(ValueError, match='coords must not contain duplicate sites'):
        neighbor_table(torch.tensor([[0, 1, 1], [0, 1, 1]]), (3, 3), 1, method='grid')
    with pytest.raises(ValueError, match='coords must not contain duplicate sites'):
        neighbor_table(torch.tensor([[0, 1, 1], [0, 1, 1]]), (3, 3), 1, method='searchsorted')
    with pytest.raises(ValueError, match='method must be one of'):
        neighbor_table(torch.zeros(1, 3, dtype=torch.long), (3, 3), 1, method='hash')
    with pytest.raises(ValueError, match='kernel_size must be 1 or 3, got 5'):
        submanifold_kernel_map(torch.zeros(1, 3, dtype=torch.long), (3, 3), 1, kernel_size=5)


# --------------------------------------------------------------------------- SparseMap
def test_sparse_map_round_trip_and_errors(device):
    x, mask, sp = random_sparse(2, 3, 5, 6, 0.5, device)
    assert sp.num_sites == int(mask.sum()) and sp.num_channels == 3 and sp.batch_size == 2
    torch.testing.assert_close(sp.to_dense(), x * mask.unsqueeze(1))
    torch.testing.assert_close(sp.gather(x), sp.feats)
    full = SparseMap.from_dense(x)
    assert full.density == 1. and torch.equal(full.to_dense(), x)
    assert repr(SparseMap(sp.coords[:0], sp.feats[:0], (5, 6), 2)) == \
        'SparseMap(sites=0, channels=3, spatial_shape=(5, 6), batch_size=2, density=0)'
    with pytest.raises(ValueError, match=r'coords\[:, 1\] \(y\) must lie in \[0, 4\], got \[5, 5\]'):
        SparseMap(torch.tensor([[0, 5, 0]], device=device), torch.zeros(1, 3, device=device), (5, 6))
    with pytest.raises(ValueError, match=r'coords must have shape \(N, 3\)'):
        SparseMap(torch.zeros(2, 2, dtype=torch.long), torch.zeros(2, 3), (5, 6))
    with pytest.raises(ValueError, match=r'feats must have shape \(N, C\) with N = coords.size\(0\) = 2'):
        SparseMap(torch.zeros(2, 3, dtype=torch.long), torch.zeros(3, 3), (5, 6))
    with pytest.raises(TypeError, match='coords must have dtype torch.long'):
        SparseMap(torch.zeros(2, 3), torch.zeros(2, 3), (5, 6))
    with pytest.raises(ValueError, match=r'spatial_shape must be a pair \(H, W\)'):
        SparseMap(torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 3), 5)
    with pytest.raises(ValueError, match=r'mask must be a bool tensor of shape \(B, H, W\) = \(2, 5, 6\)'):
        SparseMap.from_dense(x, mask[0])
    with pytest.raises(ValueError, match=r'dense must have shape \(B, C, H, W\) with \(B, H, W\) = \(2, 5, 6\)'):
        sp.gather(x[:, :, :4])
    with pytest.raises(ValueError, match='both SparseMaps must have the same active sites'):
        sp + full
    with pytest.raises(TypeError, match='can only add a SparseMap'):
        sp + x


def test_child_coords():
    c = torch.tensor([[1, 2, 3]])
    assert child_coords(c).tolist() == [[1, 4, 6], [1, 4, 7], [1, 5, 6], [1, 5, 7]]


# --------------------------------------------------------------------------- SubmanifoldConv2d
@pytest.mark.parametrize('method', ['grid', 'searchsorted'])
def test_submanifold_all_active_equals_conv2d(device, dtype, method):
    x = torch.randn(2, 5, 7, 9, dtype=dtype, device=device, requires_grad=True)
    w = torch.randn(4, 5, 3, 3, dtype=dtype, device=device, requires_grad=True)
    b = torch.randn(4, dtype=dtype, device=device, requires_grad=True)
    sp = SparseMap.from_dense(x)
    out = submanifold_conv2d(sp, w, b, method=method)
    ref = F.conv2d(x, w, b, padding=1)
    tol = dict(atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.to_dense(), ref, **tol)
    g = torch.randn_like(ref)
    grads = torch.autograd.grad(out.to_dense(), (x, w, b), g)
    refs = torch.autograd.grad(ref, (x, w, b), g)
    for a, r in zip(grads, refs):
        torch.testing.assert_close(a, r, **tol)


@pytest.mark.parametrize('p', [0.1, 0.5, 0.9])
def test_submanifold_equals_masked_dense_conv(device, dtype, p):
    x, mask, sp = random_sparse(2, 6, 11, 8, p, device, dtype, requires_grad=True)
    conv = SubmanifoldConv2d(6, 3, bias=True).to(device, dtype)
    out = conv(sp)
    assert torch.equal(out.coords, sp.coords)
    xd = (x * mask.unsqueeze(1)).requires_grad_(True)
    ref = read(F.conv2d(xd, conv.weight, conv.bias, padding=1), mask)
    torch.testing.assert_close(out.feats, ref, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(ref)
    gx, gw = torch.autograd.grad(out.feats, (sp.feats, conv.weight), g)
    rx, rw = torch.autograd.grad(ref, (xd, conv.weight), g)
    torch.testing.assert_close(gx, read(rx, mask), atol=1e-5, rtol=1e-5)  # gradient at active sites
    torch.testing.assert_close(gw, rw, atol=1e-5, rtol=1e-5)


def test_submanifold_gradcheck():
    _, _, sp = random_sparse(1, 2, 3, 4, 0.6, 'cpu', torch.float64)
    w = torch.randn(2, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    feats = sp.feats.detach().requires_grad_(True)
    assert gradcheck(lambda f, w: submanifold_conv2d(sp.replace(f), w).feats, (feats, w))


@pytest.mark.parametrize('plan', ['im2col', 'pairs', 'typed'])
@pytest.mark.parametrize('p', [0.1, 0.6, 1.0])
@pytest.mark.parametrize('run_rows', [None, 6])
def test_submanifold_plans_equal_masked_dense_conv(device, plan, p, run_rows, monkeypatch):
    import graphseg.ops.gather_gemm as gg
    monkeypatch.setattr(gg, 'IM2COL_CHUNK_BYTES', 9 * 5 * 4 * 7)  # 7 sites per chunk: many chunks
    if run_rows:  # 'pairs': runs of at most 6 gathered rows (CPU): small offset groups share a run, large ones not
        monkeypatch.setattr(gg, 'PAIRS_RUN_BYTES', run_rows * 5 * 4)
    x, mask, sp = random_sparse(2, 5, 9, 11, p, device, requires_grad=True)
    w = torch.randn(3, 5, 3, 3, device=device, requires_grad=True)
    out = submanifold_conv2d(sp, w, plan=plan).feats
    xd = x.clone().requires_grad_(True)
    ref = read(F.conv2d(xd * mask.unsqueeze(1), w, padding=1), mask)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(ref)
    gx, gw = torch.autograd.grad(out, (sp.feats, w), g)
    rx, rw = torch.autograd.grad(ref, (xd, w), g)
    torch.testing.assert_close(gx, read(rx, mask), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(gw, rw, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('plan', ['im2col', 'pairs'])
def test_gather_gemm_gradcheck_and_plan_choice(plan):
    _, _, sp = random_sparse(2, 3, 4, 5, 0.5, 'cpu', torch.float64)
    w = torch.randn(2, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    feats = sp.feats.detach().requires_grad_(True)
    assert gradcheck(lambda f, w: submanifold_conv2d(sp.replace(f), w, plan=plan).feats, (feats, w))
    # 'auto' picks im2col for dense neighbourhoods, pairs for sparse ones
    assert SparseMap.from_dense(torch.randn(1, 2, 8, 8)).conv_plan().kind == 'im2col'
    thin = torch.zeros(1, 8, 8, dtype=torch.bool)
    thin[0, 3] = True  # a line: 3 of 9 neighbours active
    assert SparseMap.from_dense(torch.randn(1, 2, 8, 8), thin).conv_plan().kind == 'pairs'


def test_gather_gemm_errors():
    _, _, sp = random_sparse(1, 3, 4, 5, 0.5, 'cpu')
    plan = sp.conv_plan()
    with pytest.raises(ValueError, match=r'weight must have shape \(9, C, C_out\) with C = x.size\(1\) = 3'):
        gather_gemm_conv(sp.feats, torch.randn(9, 4, 2), plan)
    with pytest.raises(ValueError, match='x must have one row per site of the plan'):
        gather_gemm_conv(sp.feats[1:], torch.randn(9, 3, 2), plan)
    with pytest.raises(ValueError, match="kind must be one of"):
        conv_plan(sp.neighbor_table(), 'hash')
    with pytest.raises(ValueError, match="plan must be one of"):
        submanifold_conv2d(sp, torch.randn(2, 3, 3, 3), plan='dense')


def test_submanifold_1x1_empty_and_kernel_map_cache(device):
    x, mask, sp = random_sparse(1, 4, 6, 6, 0.5, device)
    conv1 = SubmanifoldConv2d(4, 2, kernel_size=1).to(device)
    torch.testing.assert_close(conv1(sp).feats, read(F.conv2d(x * mask.unsqueeze(1), conv1.weight), mask))
    conv = SubmanifoldConv2d(4, 4).to(device)
    y = conv(conv(sp))
    assert len(sp._cache) == 2 and y._cache is sp._cache  # one neighbour table and one plan for the stack
    empty = SparseMap(sp.coords[:0], sp.feats[:0], (6, 6), 1)
    assert conv(empty).feats.shape == (0, 4)
    assert repr(conv) == 'SubmanifoldConv2d(4, 4, kernel_size=3, bias=False)'
    with pytest.raises(ValueError, match='kernel_size must be 1 or 3, got 5'):
        SubmanifoldConv2d(4, 4, kernel_size=5)
    with pytest.raises(ValueError, match=r'input must have 4 channels for SubmanifoldConv2d\(4, 4'):
        conv(sp.replace(sp.feats[:, :3]))
    with pytest.raises(TypeError, match='SubmanifoldConv2d expects a SparseMap, got Tensor'):
        conv(x)


# --------------------------------------------------------------------------- other layers
def test_batchnorm_relu_linear(device, dtype):
    x = torch.randn(2, 4, 5, 6, device=device, dtype=dtype)
    sp = SparseMap.from_dense(x)
    bn, ref = SparseBatchNorm(4).to(device, dtype), nn.BatchNorm2d(4).to(device, dtype)
    for train in (True, False):
        bn.train(train), ref.train(train)
        torch.testing.assert_close(bn(sp).to_dense(), ref(x))  # all sites active == BatchNorm2d
    torch.testing.assert_close(bn.running_var, ref.running_var)
    assert set(bn.state_dict()) == set(ref.state_dict())
    bn.train()
    _, mask, part = random_sparse(2, 4, 5, 6, 0.5, device, dtype)
    f = part.feats
    norm = (f - f.mean(0)) / torch.sqrt(f.var(0, unbiased=False) + bn.eps)  # statistics of active sites only
    torch.testing.assert_close(bn(part).feats, norm)
    one = part.select(torch.arange(part.num_sites, device=device) == 0)
    torch.testing.assert_close(bn(one).feats.detach(), bn.bias.detach().view(1, 4))  # one site: x - mean = 0
    assert bn(part.select(torch.zeros(part.num_sites, dtype=torch.bool, device=device))).num_sites == 0
    torch.testing.assert_close(SparseReLU()(part).feats, F.relu(f))
    lin = SparseLinear(4, 3).to(device, dtype)
    torch.testing.assert_close(lin(part).feats, f @ lin.weight.t() + lin.bias)


@pytest.mark.parametrize('bias', [False, True])
def test_conv_transpose_equals_dense(device, dtype, bias):
    x, mask, sp = random_sparse(2, 5, 4, 3, 0.5, device, dtype, requires_grad=True)
    up = SparseConvTranspose2d(5, 3, bias=bias).to(device, dtype)
    out = up(sp)
    assert out.spatial_shape == (8, 6) and out.num_sites == 4 * sp.num_sites
    assert torch.equal(out.coords, child_coords(sp.coords))
    xd = (x * mask.unsqueeze(1)).requires_grad_(True)
    dense = F.conv_transpose2d(xd, up.weight, up.bias, stride=2)
    b, yy, xx = out.coords.unbind(1)
    ref = dense.permute(0, 2, 3, 1)[b, yy, xx]
    torch.testing.assert_close(out.feats, ref)
    g = torch.randn_like(ref)
    gx, gw = torch.autograd.grad(out.feats, (sp.feats, up.weight), g)
    rx, rw = torch.autograd.grad(ref, (xd, up.weight), g)
    torch.testing.assert_close(gx, read(rx, mask))
    torch.testing.assert_close(gw, rw)
    assert set(up.state_dict()) == set(nn.ConvTranspose2d(5, 3, 2, 2, bias=bias).state_dict())
    assert repr(up) == f'SparseConvTranspose2d(5, 3, kernel_size=2, stride=2, bias={bias})'


def test_conv_transpose_gradcheck():
    _, _, sp = random_sparse(1, 2, 3, 3, 0.6, 'cpu', torch.float64)
    up = SparseConvTranspose2d(2, 2, bias=True).double()
    feats = sp.feats.detach().requires_grad_(True)
    w = up.weight.detach().requires_grad_(True)
    b = up.bias.detach().requires_grad_(True)

    def f(feats, w, b):
        return torch.func.functional_call(up, {'weight': w, 'bias': b}, (sp.replace(feats),)).feats
    assert gradcheck(f, (feats, w, b))


def test_upsample_and_gather(device):
    x, mask, sp = random_sparse(2, 3, 4, 5, 0.5, device)
    out = SparseUpsample()(sp)
    ref = F.interpolate(x * mask.unsqueeze(1), scale_factor=2, mode='nearest')
    b, yy, xx = out.coords.unbind(1)
    torch.testing.assert_close(out.feats, ref.permute(0, 2, 3, 1)[b, yy, xx])
    keep = torch.arange(sp.num_sites, device=device) % 2 == 0
    part = sparse_upsample(sp, keep)
    assert torch.equal(part.coords, child_coords(sp.coords[keep]))
    skip = torch.randn(2, 7, 8, 10, device=device)
    g = sparse_gather(skip, out)
    assert torch.equal(g.feats, skip.permute(0, 2, 3, 1)[b, yy, xx]) and g.coords is out.coords
