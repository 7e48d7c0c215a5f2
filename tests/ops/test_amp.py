"""Mixed precision in graphseg's kernels: bf16 / fp16 sums accumulate in float32, mixed dtypes
under ``torch.autocast`` are accepted where autocast makes them, and the float32 paths are
unchanged bit for bit."""
import pytest
import torch

from graphseg.directions import kernel_to_direction_weights
from graphseg.graphs import grid_graph
from graphseg.ops import (SparseMap, dpw_conv2d, gather_gemm_conv, scatter, submanifold_conv2d,
                          typed_matmul_scatter)
from graphseg.ops.amp import autocast_enabled, full_precision, is_low_precision, upcast

LOW = [torch.bfloat16, torch.float16]


def test_amp_helpers():
    x = torch.ones(2)
    assert not autocast_enabled(x) and upcast(None) is None
    assert upcast(x) is x and upcast(x.half()).dtype == torch.float32
    assert is_low_precision(x.bfloat16()) and not is_low_precision(x.double())
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert autocast_enabled(x)
        with full_precision(x):
            assert not autocast_enabled(x)
            assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16


@pytest.mark.parametrize('dtype', LOW)
def test_scatter_sum_of_low_precision_accumulates_in_float32(dtype):
    """10,000 ones into one bucket: a bf16 running sum stalls at 256 (256 + 1 rounds to 256);
    accumulated in float32 the sum is 10,000, rounded once to the dtype."""
    src = torch.ones(10_000, 3, dtype=dtype)
    index = torch.zeros(10_000, dtype=torch.long)
    out = scatter(src, index, 0, 2, reduce='sum')
    assert out.dtype == dtype
    torch.testing.assert_close(out[0], torch.full((3,), 10_000.).to(dtype), rtol=0, atol=0)
    assert bool((out[1] == 0).all())
    mean = scatter(src, index, 0, 1, reduce='mean')
    assert mean.dtype == dtype and bool((mean == 1).all())


def test_scatter_float32_is_unchanged():
    torch.manual_seed(0)
    src, index = torch.randn(1000, 8), torch.randint(0, 17, (1000,))
    ref = torch.zeros(17, 8).scatter_add(0, index.view(-1, 1).expand(-1, 8), src)
    assert torch.equal(scatter(src, index, 0, 17, reduce='sum'), ref)


@pytest.mark.parametrize('dtype', LOW)
def test_typed_kernel_under_autocast(dtype):
    """x, W float32 under autocast: the matmul runs in the autocast dtype (mixed with the float32
    edge weights, which embedding_bag refuses), the bags sum in float32."""
    torch.manual_seed(0)
    g = grid_graph(12, 12)
    x, w = torch.randn(144, 16), torch.randn(9, 16, 8)
    ew = torch.rand(g.edge_index.size(1))
    ref = typed_matmul_scatter(x, w, g.edge_index, g.edge_type, ew)
    with torch.autocast('cpu', dtype=dtype):
        out = typed_matmul_scatter(x, w, g.edge_index, g.edge_type, ew)
    assert out.dtype == dtype
    torch.testing.assert_close(out.float(), ref, rtol=0.05, atol=0.1)
    with pytest.raises(TypeError, match='weight must have the dtype of x'):
        typed_matmul_scatter(x, w.to(dtype), g.edge_index, g.edge_type, ew)


def test_typed_kernel_accumulates_many_edges_in_float32():
    """4,096 edges into one node, every message 1 (bf16 h): the float32 sum is exact, a bf16 one
    would stall at 256."""
    E = 4096
    edge_index = torch.stack([torch.zeros(E, dtype=torch.long), torch.zeros(E, dtype=torch.long)])
    edge_type = torch.zeros(E, dtype=torch.long)
    x = torch.ones(1, 2, dtype=torch.bfloat16)
    w = torch.ones(1, 2, 1, dtype=torch.bfloat16)
    out = typed_matmul_scatter(x, w, edge_index, edge_type, torch.ones(E, dtype=torch.bfloat16))
    assert out.dtype == torch.bfloat16 and float(out) == 2. * E


def _sparse(C=8):
    torch.manual_seed(0)
    mask = torch.rand(2, 24, 24) < 0.3
    coords = mask.nonzero()
    return SparseMap(coords, torch.randn(coords.size(0), C), (24, 24), 2)


@pytest.mark.parametrize('dtype', LOW)
@pytest.mark.parametrize('plan', ['pairs', 'im2col', 'typed'])
def test_sparse_conv_under_autocast(dtype, plan):
    x = _sparse()
    w = torch.randn(6, 8, 3, 3)
    ref = submanifold_conv2d(x, w, plan=plan).feats
    with torch.autocast('cpu', dtype=dtype):
        out = submanifold_conv2d(x.replace(x.feats.to(dtype)), w, plan=plan).feats
    assert out.dtype == dtype
    torch.testing.assert_close(out.float(), ref, rtol=0.05, atol=0.15)


def test_gather_gemm_low_precision_sums_the_offsets_in_float32():
    """The 'pairs' plan adds the 8 neighbour offsets into the output with index_add_, in float32
    for bf16 features: the result is the exact sum of the bf16 inputs' products up to one bf16
    rounding of each offset's GEMM output and one of the sum (bound 2^-8 of the sum of the
    magnitudes)."""
    x = _sparse(16)
    w = kernel_to_direction_weights(torch.randn(16, 16, 3, 3))
    plan = x.conv_plan('pairs')
    xb, wb = x.feats.bfloat16(), w.bfloat16()
    out = gather_gemm_conv(xb, wb, plan)
    assert out.dtype == torch.bfloat16
    exact = gather_gemm_conv(xb.float(), wb.float(), plan)
    magnitude = gather_gemm_conv(xb.float().abs(), wb.float().abs(), plan)
    assert bool(((out.float() - exact).abs() <= 2 ** -8 * (magnitude + exact.abs()) + 1e-6).all())
    with pytest.raises(TypeError, match='weight must have the dtype of x'):
        gather_gemm_conv(x.feats, wb, plan)


@pytest.mark.parametrize('dtype', LOW)
def test_dpw_conv_mixed_dtypes_under_autocast(dtype):
    torch.manual_seed(0)
    x = torch.randn(2, 8, 16, 16)
    weight = torch.randn(2, 8, 1, 3, 3, 2, 2)  # depthwise 3x3, a 2x2 patch grid
    ref = dpw_conv2d(x, weight, groups=8)
    with torch.autocast('cpu', dtype=dtype):
        out = dpw_conv2d(x, weight.to(dtype), groups=8)
    torch.testing.assert_close(out.float(), ref, rtol=0.05, atol=0.1)
    with pytest.raises(TypeError, match='weight must have the dtype of x'):
        dpw_conv2d(x, weight.to(dtype), groups=8)



@pytest.mark.parametrize('dtype', LOW)
def test_gather_gemm_float32_inputs_under_autocast(dtype):
    """float32 features and weights under autocast (QGN's sparse decoder in the fast path): the
    GEMMs run in the autocast dtype, as autocast runs a float32 matmul, and the offsets sum in
    float32 (the centre GEMM was cast by autocast and the others not: an index_add_ dtype error)."""
    x = _sparse(16)
    w = kernel_to_direction_weights(torch.randn(16, 16, 3, 3))
    plan = x.conv_plan('pairs')
    ref = gather_gemm_conv(x.feats, w, plan)
    with torch.autocast('cpu', dtype=dtype):
        out = gather_gemm_conv(x.feats, w, plan)
    assert out.dtype == dtype
    torch.testing.assert_close(out.float(), ref, rtol=0.05, atol=0.3)
