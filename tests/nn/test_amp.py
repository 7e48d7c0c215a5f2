"""Layers under ``torch.autocast``: what needs float32 keeps it (sampling positions, SLIC and
HG-Conv clustering distances, group means), so the low-precision result is the float32 one up to
the rounding of the matmuls and convolutions."""
import pytest
import torch

from graphseg.data import load_image
from graphseg.graphs import slic_torch
from graphseg.nn import DeformConv2d, HGConv, RepGraph
from graphseg.nn.hgconv import HGClustering

LOW = [torch.bfloat16, torch.float16]


@pytest.mark.parametrize('dtype', LOW)
def test_slic_under_autocast_is_the_float32_slic(dtype):
    """Its assignment step is a batched matmul that autocast would run in bf16 / fp16, reordering
    the colour distances; it runs in float32 instead: the same labels."""
    img = load_image('astronaut')[:, :128, :128]
    ref, n = slic_torch(img, 100)
    with torch.autocast('cpu', dtype=dtype):
        out, m = slic_torch(img, 100)
    assert torch.equal(n, m) and torch.equal(out, ref)


@pytest.mark.parametrize('dtype', LOW)
def test_hg_clustering_under_autocast_is_the_float32_clustering(dtype):
    """bf16 features: the clustering (importance, sampling, differentiable SLIC) and the adjacency
    are those of float32 on the same values, the edge weights stay float32, pooling and unpooling
    accumulate in float32."""
    torch.manual_seed(0)
    x = torch.randn(2, 16, 24, 24).to(dtype)
    clustering = HGClustering(ratio=1 / 16).eval()
    ref = clustering.group_graph(x.float())
    with torch.autocast('cpu', dtype=dtype):
        graph = clustering.group_graph(x)
        pooled = graph.S.pool(x)
        unpooled = graph.S.unpool(pooled.to(dtype))
    assert torch.equal(graph.S.index, ref.S.index)
    torch.testing.assert_close(graph.S.weight, ref.S.weight)
    assert torch.equal(graph.edge_index, ref.edge_index)
    assert graph.edge_weight.dtype == torch.float32
    torch.testing.assert_close(graph.edge_weight, ref.edge_weight)
    assert pooled.dtype == torch.float32
    torch.testing.assert_close(pooled, ref.S.pool(x.float()))
    assert unpooled.dtype == torch.float32


def test_hgconv_under_autocast_follows_float32():
    torch.manual_seed(0)
    layer = HGConv(16, 16, 2, ratio=1 / 16).eval()
    x = torch.randn(2, 16, 24, 24)
    with torch.no_grad():
        ref = layer(x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = layer(x)
    assert float((out.float() - ref).abs().max() / ref.abs().max()) < 0.05


@pytest.mark.parametrize('dtype', LOW)
def test_repgraph_under_autocast_samples_at_float32_positions(dtype):
    """Positions p = anchor + pattern + offset: ~100 px from the origin bf16 keeps 8 bits (0.5 px
    steps); the attention runs in float32, so the result follows float32 to the rounding of the
    1x1 convolutions."""
    torch.manual_seed(0)
    block = RepGraph(16, 8, 9).eval()
    with torch.no_grad():
        block.layer.offset.weight.normal_(0, 0.3)
        block.norm.weight.fill_(1.)
    x = torch.randn(1, 16, 8, 120)
    with torch.no_grad():
        ref = block(x)
        with torch.autocast('cpu', dtype=dtype):
            out = block(x)
    assert float((out.float() - ref).abs().max() / ref.abs().max()) < 0.03


@pytest.mark.parametrize('dtype', LOW)
def test_deformable_conv_under_autocast(dtype):
    """A bf16 offset map meets float32 weights under autocast: the sampling runs in float32 (it
    was a dtype error before), the kernel GEMM in the autocast dtype."""
    torch.manual_seed(0)
    conv = DeformConv2d(8, 8, 3, padding=1).eval()
    x = torch.randn(1, 8, 16, 96)
    offset = torch.randn(1, 18, 16, 96) * 2
    with torch.no_grad():
        ref = conv(x, offset)
        with torch.autocast('cpu', dtype=dtype):
            out = conv(x.to(dtype), offset.to(dtype))
    assert float((out.float() - ref).abs().max() / ref.abs().max()) < 0.03
    with pytest.raises(TypeError, match='offset must have the dtype of x'):
        conv(x, offset.to(dtype))
