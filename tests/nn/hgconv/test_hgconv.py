"""HGConv (Eq. 8-10): identity clustering == Conv-BN-ReLU stack, a dense-matrix reference, swap-ins,
errors, MACs."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd import gradcheck
from torch_geometric.data import Batch
from torch_geometric.nn import GCNConv

from graphseg.analysis.macs import dense_flop_macs
from graphseg.graphs import group_adjacency, to_dense_adjacency
from graphseg.nn import CONVS, HGConv, SoftClustering
from graphseg.ops.macs import conv_stack_macs, graph_conv_macs, hgconv_macs


def conv_stack(C_in, C_out, L, device, dtype=torch.float32):
    convs = [
        nn.Conv2d(C_in if i == 0 else C_out, C_out, 3, padding=1, bias=False) for i in range(L)
    ]
    norms = [nn.BatchNorm2d(C_out) for _ in range(L)]
    for n in norms:
        nn.init.uniform_(n.weight, 0.5, 1.5)
        nn.init.normal_(n.bias)
    dense = nn.Sequential(*[m for c, n in zip(convs, norms) for m in (c, n, nn.ReLU())]).to(device,
                                                                                            dtype)
    return dense, convs, norms


@pytest.mark.parametrize('B,C_in,C_out,H,W', [(2, 3, 5, 6, 7), (1, 4, 4, 1, 5), (3, 2, 3, 4, 4)])
def test_identity_clustering_equals_conv_bn_relu_stack(B, C_in, C_out, H, W, device):
    """Sec. 3: with every pixel its own group, HG-Conv is the Conv2d-BN-ReLU stack (train and eval
    BN)."""
    dense, convs, norms = conv_stack(C_in, C_out, 3, device)
    hg = HGConv.from_dense(convs, norms)
    identity = torch.arange(H * W, device=device).view(1, H, W).expand(B, H, W)
    x = torch.randn(B, C_in, H, W, device=device)
    for train in (True, False, True):
        dense.train(train)
        hg.train(train)
        xa, xb = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
        out, ref = hg(xa, assignment=identity), dense(xb)
        torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
        out.square().sum().backward()
        ref.square().sum().backward()
        torch.testing.assert_close(xa.grad, xb.grad, atol=1e-4, rtol=1e-4)
    for nh, nd in zip(hg.norms, norms):  # running statistics over B*H*W nodes == over B*H*W pixels
        torch.testing.assert_close(nh.running_mean, nd.running_mean, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(nh.running_var, nd.running_var, atol=1e-6, rtol=1e-5)
    grad_w = hg.convs[0].weight.grad  # (9, C_in, C_out) vs the 3x3 kernel's gradient
    torch.testing.assert_close(grad_w, convs[0].weight.grad.flatten(2).permute(2, 1, 0), atol=1e-4,
                               rtol=1e-4)


def dense_hgconv(hg, S, x):
    """Eq. 8-10 with dense matrices: S (B, N, M), A^d (B M, B M) per direction, BN over all B*M
    nodes."""
    B, C, H, W = x.shape
    M = S.num_groups
    Sd = S.dense()  # (B, N, M)
    S_bar = Sd / Sd.sum(1, keepdim=True).clamp_min(1e-7)
    S_til = Sd / Sd.sum(2, keepdim=True)
    Z = (S_bar.transpose(1, 2) @ x.flatten(2).transpose(1, 2)).reshape(B * M, C)  # Eq. 8
    A = to_dense_adjacency(*group_adjacency((S.index, S.weight), H, W, num_groups=M),
                           num_nodes=B * M)
    A = A / A.sum(2, keepdim=True).clamp_min(1e-7)  # (D^d)^-1 A^d
    for conv, norm in zip(hg.convs, hg.norms):  # Eq. 9
        Z = sum(A[d] @ Z @ conv.weight[d] for d in range(9))
        Z = F.relu(F.batch_norm(Z, None, None, norm.weight, norm.bias, training=True, eps=norm.eps))
    return (S_til @ Z.view(B, M, -1)).transpose(1, 2).reshape(B, -1, H, W)  # Eq. 10


def test_matches_dense_reference_with_soft_clustering(device):
    torch.manual_seed(1)
    hg = HGConv(6, 5, num_layers=2, num_groups=7).to(device).double()
    for n in hg.norms:
        nn.init.uniform_(n.weight, 0.5, 1.5)
        nn.init.normal_(n.bias)
    x = torch.randn(2, 6, 9, 11, device=device, dtype=torch.float64) * 0.3
    S = hg.cluster(x)
    assert int((S.weight > 0).sum(-1).max()) > 1  # genuinely soft
    torch.testing.assert_close(hg(x, assignment=S), dense_hgconv(hg, S, x))


def test_batch_norm_runs_over_the_nodes_of_all_images():
    hg = HGConv(3, 4, num_layers=1, num_groups=5, act_layer=None)
    nn.init.uniform_(hg.norms[0].weight, 0.5, 1.5)
    x = torch.randn(3, 3, 8, 8)
    S = hg.cluster(x)
    ei, et, ew = group_adjacency(S.assignment, 8, 8, num_groups=5)
    pre = hg.convs[0](S.pool(x), ei, et, ew)  # (15, 4): 3 images x 5 groups
    _, g = hg(x, assignment=S, return_graph=True)
    mean, var = pre.mean(0), pre.var(0, unbiased=False)  # statistics over all 15 nodes
    want = (pre - mean) / (var + 1e-5).sqrt() * hg.norms[0].weight + hg.norms[0].bias
    torch.testing.assert_close(g.x_out, want)
    torch.testing.assert_close(hg.norms[0].running_mean, 0.1 * mean)


@pytest.mark.parametrize('conv', CONVS)
def test_swap_ins_forward_backward(conv, device):
    hg = HGConv(6, 8, num_layers=2, ratio=1 / 8, conv=conv).to(device)
    x = torch.randn(2, 6, 12, 10, device=device, requires_grad=True)
    out = hg(x)
    assert out.shape == (2, 8, 12, 10) and out.device.type == device.type
    out.square().mean().backward()
    assert x.grad is not None and bool(x.grad.abs().sum() > 0)
    for p in hg.convs.parameters():
        assert p.grad is not None
    assert f"conv='{conv}'" in repr(hg)


def test_return_graph_batch(device):
    hg = HGConv(4, 6, num_layers=1, num_groups=6).to(device)
    x = torch.randn(3, 4, 10, 9, device=device)
    out, g = hg(x, return_graph=True)
    assert isinstance(g, Batch) and g.num_graphs == 3 and g.num_nodes == 18
    assert g.x.shape == (18, 4) and g.x_out.shape == (18, 6) and g.pos.shape == (18, 2)
    assert g.seg.shape == (3, 10, 9) and g.edge_attr.shape == (g.num_edges, 2)
    assert float(g.edge_attr.min()) >= 0 and float(g.edge_attr.max()) <= 1
    for b, d in enumerate(g.to_data_list()):
        assert d.num_nodes == 6 and int(d.edge_index.max()) < 6
        assert int(d.seg.min()) >= 0 and int(d.seg.max()) < 6
        assert d.centre.shape == (6,)
    # offset by Batch
    assert torch.equal(g.seg.view(3, -1).min(1).values // 6, torch.arange(3, device=device))
    torch.testing.assert_close(g.num_pixels.view(3, 6).sum(1), torch.full((3,), 90., device=device))
    y = GCNConv(4, 2).to(device)(g.x, g.edge_index, g.edge_weight)  # any PyG layer runs on it
    assert y.shape == (18, 2)


def test_hard_assignment_and_fixed_groups(device):
    labels = torch.randint(0, 4, (7, 6), device=device)
    hg = HGConv(3, 3, num_layers=2, num_groups=5).to(device).eval()
    x = torch.randn(2, 3, 7, 6, device=device)
    out = hg(x, assignment=labels)  # one map for the whole batch
    S = SoftClustering.from_assignment(labels.expand(2, 7, 6), 7, 6, num_groups=5)
    torch.testing.assert_close(out, hg(x, assignment=S))
    # float32 labels S
    torch.testing.assert_close(hg.double()(x.double(), assignment=labels), out.double())
    # a hard assignment un-pools to piecewise-constant maps
    for g in range(4):
        vals = out[0][:, labels == g]
        torch.testing.assert_close(vals, vals[:, :1].expand_as(vals))


def test_gradcheck_tiny():
    hg = HGConv(2, 2, num_layers=2, num_groups=3, sampling='random', iters=2,
                num_nearest=3).double()

    def f(x):
        hg.generator = torch.Generator().manual_seed(0)  # the same centres every call
        return hg(x)
    x = (torch.randn(2, 2, 3, 4, dtype=torch.float64) * 0.4).requires_grad_(True)
    # every pixel soft: gradients flow through S
    assert int((hg.cluster(x).weight > 0).sum(-1).min()) > 1
    assert gradcheck(f, (x,), fast_mode=True)


def test_count_macs(device):
    hg = HGConv(8, 16, num_layers=3, num_groups=10).to(device)
    x = torch.randn(2, 8, 16, 20, device=device)
    torch.manual_seed(5)
    macs = hg.count_macs(x)
    torch.manual_seed(5)
    out, g = hg(x, return_graph=True)
    assert len(macs) == 2 and set(macs[0]) == {'clustering', 'adjacency', 'pooling', 'graph_conv',
                                               'unpooling'}
    for b, d in enumerate(g.to_data_list()):
        want = sum(
            graph_conv_macs('directional', 10, d.num_edges, 8 if i == 0 else 16, 16)
            for i in range(3)
        )
        assert macs[b]['graph_conv'] == want
    # the dense part of the graph conv is what torch's flop counter sees: N C 9 C' per layer
    z = torch.randn(10, 16, device=device)
    assert (
        dense_flop_macs(lambda: z @ hg.convs[1].weight.permute(1, 0, 2).reshape(16, 144))
        == 10 * 16 * 9 * 16
    )
    assert sum(macs[0].values()) < conv_stack_macs(8, 16, 16, 20, 3)


def test_conv_stack_macs_match_flop_counter():
    dense, _, _ = conv_stack(16, 32, 3, 'cpu')
    x = torch.randn(1, 16, 12, 10)
    assert dense_flop_macs(lambda: dense(x)) == conv_stack_macs(16, 32, 12, 10, 3)
    parts = hgconv_macs(120, 16, 32, 3, 4, 20, 480, 3, conv='gcn')
    assert parts['graph_conv'] == (4 * 16 * 32 + 20 * 32) + 2 * (4 * 32 * 32 + 20 * 32)


def test_errors():
    with pytest.raises(ValueError, match=r'ratio must be a number in \(0, 1\], got 0'):
        HGConv(4, 4, ratio=0)
    with pytest.raises(ValueError, match=r'ratio must be a number in \(0, 1\], got 1.5'):
        HGConv(4, 4, ratio=1.5)
    with pytest.raises(ValueError,
                       match=r"conv must be one of \('directional', 'gcn', 'gmm', 'spline', "
                                         r"'edgeconv'\), got 'gat'"):
        HGConv(4, 4, conv='gat')
    with pytest.raises(ValueError,
                       match=r"sampling must be one of \('random', 'importance', 'topk_random'\), "
                                         r"got 'grid'"):
        HGConv(4, 4, sampling='grid')
    with pytest.raises(ValueError, match='num_groups must be an int >= 1, got 0'):
        HGConv(4, 4, num_groups=0)
    hg = HGConv(4, 4, num_groups=30)
    with pytest.raises(ValueError,
                       match=r'num_groups = 30 groups need at least as many pixels, but the map '
                             r'has '
                                         r'only 5x5 = 25 pixels \(fewer pixels than groups\)'):
        hg(torch.randn(1, 4, 5, 5))
    hg = HGConv(4, 4, num_groups=4)
    x = torch.randn(2, 4, 6, 6)
    with pytest.raises(ValueError,
                       match=r'attention must have shape \(B, H, W\) or \(B, 1, H, W\) with '
                                         r'\(B, H, W\) = \(2, 6, 6\), got \(2, 6, 5\)'):
        hg(x, torch.rand(2, 6, 5))
    with pytest.raises(ValueError,
                       match=r'x must have in_channels = 4 channels, got shape \(2, 3, 6, 6\)'):
        hg(torch.randn(2, 3, 6, 6))
    with pytest.raises(ValueError, match=r'x must be \(B, C, H, W\)'):
        hg(torch.randn(4, 6, 6))
    with pytest.raises(ValueError, match='attention steers the centre sampling'):
        hg(x, torch.rand(2, 6, 6), assignment=torch.zeros(6, 6, dtype=torch.long))
    with pytest.raises(ValueError, match='assignment must hold 1 or B = 2 maps, got 3'):
        hg(x, assignment=torch.zeros(3, 6, 6, dtype=torch.long))


@pytest.mark.parametrize('conv', CONVS)
def test_eval_output_is_independent_of_the_other_images(conv, device):
    """Eval mode: an image's output does not change with the images batched next to it (every
    swap-in)."""
    hg = HGConv(3, 4, num_layers=2, num_groups=6, conv=conv).to(device).eval()
    x = torch.randn(3, 3, 10, 9, device=device)
    x[1] *= 5  # a very different neighbour: a batch-wide normalisation would show
    S = hg.cluster(x)
    out = hg(x, assignment=(S.index, S.weight))
    for b in range(3):
        alone = hg(x[b:b + 1], assignment=(S.index[b:b + 1], S.weight[b:b + 1]))
        torch.testing.assert_close(out[b:b + 1], alone, atol=1e-5, rtol=1e-5)
    labels = torch.randint(0, 6, (3, 10, 9), device=device)  # hard labels, too
    out = hg(x, assignment=labels)
    for b in range(3):
        torch.testing.assert_close(out[b:b + 1], hg(x[b:b + 1], assignment=labels[b:b + 1]),
                                   atol=1e-5, rtol=1e-5)
