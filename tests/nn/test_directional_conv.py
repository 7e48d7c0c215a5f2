"""DirectionalConv (HG-Conv Eq. 2-3) against F.conv2d on the pixel lattice and a dense per-direction
reference."""
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck
from torch_geometric.data import Batch, Data

from graphseg.graphs import grid_graph, group_adjacency
from graphseg.nn import DirectionalConv
from graphseg.nn.directional_conv import directional_edge_weight
from graphseg.ops import available_backends, typed_matmul_scatter, use_backend


def dense_reference(x, weight, bias, edge_index, edge_type, edge_weight, normalize):
    """sum_d (D^d)^-1 A^d X W_d with dense (N, N) matrices, one direction at a time."""
    N = x.size(0)
    out = x.new_zeros(N, weight.size(2))
    for d in range(weight.size(0)):
        A = x.new_zeros(N, N)
        m = edge_type == d
        w = edge_weight[m] if edge_weight is not None else x.new_ones(int(m.sum()))
        # A[i, j] for edge j -> i
        A.index_put_((edge_index[1, m], edge_index[0, m]), w, accumulate=True)
        if normalize:
            A = A / A.sum(1, keepdim=True).clamp_min(1e-7)
        out += A @ x @ weight[d]
    return out + (bias if bias is not None else 0)


def test_smoke_and_repr(device):
    conv = DirectionalConv(16, 32).to(device)
    assert repr(conv) == 'DirectionalConv(16, 32, directions=9)'
    assert (
        repr(DirectionalConv(2, 3, normalize=False))
        == 'DirectionalConv(2, 3, directions=9, normalize=False)'
    )
    g = grid_graph(4, 5, device=device)
    out = conv(torch.randn(20, 16, device=device), g.edge_index, g.edge_type)
    assert out.shape == (20, 32) and out.device.type == device.type
    assert conv.weight.shape == (9, 16, 32)


@pytest.mark.parametrize('H,W', [(5, 7), (1, 4), (8, 8)])
@pytest.mark.parametrize('bias', [False, True])
def test_grid_equals_conv2d_batched(H, W, bias, device):
    """Eq. 2-3 on grid_graph: each (node, direction) has at most one unit edge, so D^d = 1."""
    B, C, C_out = 3, 4, 5
    conv = torch.nn.Conv2d(C, C_out, 3, padding=1, bias=bias).to(device)
    layer = DirectionalConv.from_conv2d(conv)
    x = torch.randn(B, C, H, W, device=device)
    batch = Batch.from_data_list([grid_graph(H, W, device=device)] * B)
    nodes = x.flatten(2).transpose(1, 2).reshape(B * H * W, C)  # (B HW, C), node b*HW + y*W + x
    out = layer(nodes, batch.edge_index, batch.edge_type)
    out = out.view(B, H * W, C_out).transpose(1, 2).reshape(B, C_out, H, W)
    torch.testing.assert_close(out, F.conv2d(x, conv.weight, conv.bias, padding=1), atol=1e-5,
                               rtol=1e-5)


@pytest.mark.parametrize('normalize', [True, False])
@pytest.mark.parametrize('weighted', [True, False])
def test_matches_dense_reference(normalize, weighted, device, dtype):
    N, E = 12, 60
    layer = DirectionalConv(5, 3, normalize=normalize).to(device=device, dtype=dtype)
    x = torch.randn(N, 5, device=device, dtype=dtype)
    ei = torch.randint(0, N, (2, E), device=device)
    et = torch.randint(0, 9, (E,), device=device)
    ew = torch.rand(E, device=device, dtype=dtype) if weighted else None
    ref = dense_reference(x, layer.weight, layer.bias, ei, et, ew, normalize)
    torch.testing.assert_close(layer(x, ei, et, ew), ref)


def test_group_graph_degree_normalisation():
    """On a group graph every (node, direction) row of (D^d)^-1 A^d sums to 1 (or is empty)."""
    labels = torch.randint(0, 6, (10, 10))
    ei, et, ew = group_adjacency(labels, 10, 10, num_groups=6)
    layer = DirectionalConv(1, 1, bias=False)
    with torch.no_grad():
        layer.weight.fill_(1.)
    out = layer(torch.ones(6, 1), ei, et, ew)  # = number of directions present at each node
    present = torch.zeros(6, 9).index_put_((ei[1], et), torch.ones(ei.size(1)), accumulate=False)
    torch.testing.assert_close(out.squeeze(1), present.sum(1))


def test_gradcheck():
    layer = DirectionalConv(3, 2).double()
    x = torch.randn(7, 3, dtype=torch.float64, requires_grad=True)
    ei = torch.randint(0, 7, (2, 25))
    et = torch.randint(0, 9, (25,))
    ew = (torch.rand(25, dtype=torch.float64) + 0.1).requires_grad_(True)
    weight = layer.weight.detach().clone().requires_grad_(True)
    bias = layer.bias.detach().clone().requires_grad_(True)

    def f(x, weight, bias, ew):
        return torch.func.functional_call(layer, {'weight': weight, 'bias': bias}, (x, ei, et, ew))
    assert gradcheck(f, (x, weight, bias, ew))


def test_torch_compile_fullgraph_no_graph_breaks():
    import torch._dynamo

    torch._dynamo.reset()
    layer = DirectionalConv(4, 6)
    g = grid_graph(5, 6)
    x = torch.randn(30, 4)
    w = torch.rand(g.edge_index.size(1))
    explain = torch._dynamo.explain(layer)(x, g.edge_index, g.edge_type, w)
    assert explain.graph_break_count == 0 and explain.graph_count == 1
    compiled = torch.compile(layer, fullgraph=True, backend='aot_eager')
    out = compiled(x, g.edge_index, g.edge_type, w)
    torch.testing.assert_close(out, layer(x, g.edge_index, g.edge_type, w))
    out.sum().backward()
    assert layer.weight.grad is not None


@pytest.mark.parametrize('backend', ['torch_scatter', 'torch_sparse'])
def test_backend_parity(backend, device):
    if backend not in available_backends():
        pytest.skip(f'{backend} is not installed here')
    layer = DirectionalConv(8, 4).to(device)
    x = torch.randn(20, 8, device=device)
    ei = torch.randint(0, 20, (2, 90), device=device)
    et = torch.randint(0, 9, (90,), device=device)
    ew = torch.rand(90, device=device)
    ref = layer(x, ei, et, ew)
    # uncoalesced: storage order = input order
    adj_t = torch.sparse_coo_tensor(ei.flip(0), ew, (20, 20))
    with use_backend(backend):
        torch.testing.assert_close(layer(x, ei, et, ew), ref)  # message + aggregate
        torch.testing.assert_close(layer(x, adj_t, et), ref)  # fused message_and_aggregate


def test_from_conv2d_errors():
    with pytest.raises(ValueError, match=r'conv must have kernel_size=\(3, 3\)'):
        DirectionalConv.from_conv2d(torch.nn.Conv2d(2, 2, 5, padding=2))
    with pytest.raises(ValueError, match=r'conv must have padding=\(1, 1\)'):
        DirectionalConv.from_conv2d(torch.nn.Conv2d(2, 2, 3))
    with pytest.raises(ValueError, match=r'conv must have stride=\(1, 1\)'):
        DirectionalConv.from_conv2d(torch.nn.Conv2d(2, 2, 3, padding=1, stride=2))
    with pytest.raises(ValueError, match='conv must have groups=1'):
        DirectionalConv.from_conv2d(torch.nn.Conv2d(2, 2, 3, padding=1, groups=2))
    with pytest.raises(TypeError, match='conv must be an nn.Conv2d'):
        DirectionalConv.from_conv2d(torch.nn.Linear(2, 2))


def test_errors():
    layer = DirectionalConv(3, 2)
    x = torch.randn(4, 3)
    ei = torch.tensor([[0, 1], [1, 2]])
    et = torch.tensor([0, 8])
    with pytest.raises(ValueError,
                       match=r'x must have in_channels = 3 features, got shape \(4, 5\)'):
        layer(torch.randn(4, 5), ei, et)
    with pytest.raises(ValueError, match=r'x must be \(N, C\)'):
        layer(x[None], ei, et)
    with pytest.raises(ValueError, match=r'edge_type values must lie in \[0, 8\], got \[0, 9\]'):
        layer(x, ei, torch.tensor([0, 9]))
    with pytest.raises(ValueError, match=r'edge_index\[1\] \(target nodes\) must lie in \[0, 3\]'):
        layer(x, torch.tensor([[0, 1], [1, 4]]), et)
    with pytest.raises(ValueError, match=r'edge_weight must have shape \(E,\) = \(2,\)'):
        layer(x, ei, et, torch.ones(3))
    with pytest.raises(ValueError, match='in_channels must be an int >= 1, got 0'):
        DirectionalConv(0, 2)


def typed_group_graph(seed=0, max_direction=True):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 9, (14, 14), generator=g)
    # node 9: no edges
    ei, et, ew = group_adjacency(labels, 14, 14, num_groups=10, max_direction=max_direction)
    return Data(x=torch.randn(10, 4, generator=g), edge_index=ei, edge_type=et, edge_weight=ew)


def test_runs_through_propagate_and_pyg_hooks_fire():
    d = typed_group_graph()
    conv = DirectionalConv(4, 3)
    ref = typed_matmul_scatter(d.x, conv.weight, d.edge_index, d.edge_type,
                               directional_edge_weight(d.edge_index, d.edge_type, 10, 9,
                                                       d.edge_weight)) + conv.bias
    seen = []
    handles = [
        conv.register_propagate_forward_hook(
            lambda m, inp, out: seen.append(('propagate', out.shape))
        ),
        conv.register_message_forward_hook(lambda m, inp, out: seen.append(('message', out.shape))),
        conv.register_aggregate_forward_hook(
            lambda m, inp, out: seen.append(('aggregate', out.shape))
        ),
    ]
    out = conv(d.x, d.edge_index, d.edge_type, d.edge_weight)
    torch.testing.assert_close(out, ref)
    E = d.edge_index.size(1)
    assert seen == [('message', (E, 3)), ('aggregate', (10, 3)), ('propagate', (10, 3))]
    for h in handles:
        h.remove()
    # a message hook can edit the messages: zeroing them leaves only the bias
    conv.register_message_forward_hook(lambda m, inp, out: torch.zeros_like(out))
    torch.testing.assert_close(conv(d.x, d.edge_index, d.edge_type, d.edge_weight),
                               conv.bias.expand(10, 3))


def test_pyg_explainer_sees_the_messages():
    from torch_geometric.explain import Explainer, GNNExplainer

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = DirectionalConv(4, 2)

        def forward(self, x, edge_index, edge_type, edge_weight):
            return self.conv(x, edge_index, edge_type, edge_weight)
    d = typed_group_graph()
    explainer = Explainer(Net(), GNNExplainer(epochs=3), explanation_type='model',
                          edge_mask_type='object',
                          model_config=dict(mode='regression', task_level='node',
                                            return_type='raw'))
    expl = explainer(d.x, d.edge_index, edge_type=d.edge_type, edge_weight=d.edge_weight, index=0)
    assert expl.edge_mask.shape == (d.edge_index.size(1),)
    into_0 = d.edge_index[1] == 0
    assert (
        bool((expl.edge_mask[into_0] > 0).any()) and float(expl.edge_mask[~into_0].abs().max()) == 0
    )


@pytest.mark.parametrize('layout', [torch.sparse_csr, torch.sparse_coo])
def test_sparse_adjacency_from_to_sparse_tensor_runs_fused(layout):
    """T.ToSparseTensor keeps edge_type in the order of the stored entries; the fused kernel reads
    both."""
    import torch_geometric.transforms as T
    d = typed_group_graph()
    perm = torch.randperm(d.edge_index.size(1))  # any input order
    shuffled = Data(x=d.x, edge_index=d.edge_index[:, perm], edge_type=d.edge_type[perm],
                    edge_weight=d.edge_weight[perm])
    s = T.ToSparseTensor(layout=layout)(shuffled)
    conv = DirectionalConv(4, 3)
    fused = []
    conv.register_message_and_aggregate_forward_hook(lambda m, inp, out: fused.append(out.shape))
    torch.testing.assert_close(conv(s.x, s.adj_t, s.edge_type),
                               conv(d.x, d.edge_index, d.edge_type, d.edge_weight))
    assert fused == [(10, 3)]
    unweighted = T.ToSparseTensor(layout=layout, attr=None)(Data(x=d.x, edge_index=d.edge_index,
                                                                  edge_type=d.edge_type))
    torch.testing.assert_close(conv(d.x, unweighted.adj_t, unweighted.edge_type),
                               conv(d.x, d.edge_index, d.edge_type))


def test_sparse_tensor_adjacency():
    torch_sparse = pytest.importorskip('torch_sparse')
    d = typed_group_graph()
    conv = DirectionalConv(4, 3)
    adj_t = torch_sparse.SparseTensor(row=d.edge_index[1], col=d.edge_index[0], value=d.edge_weight,
                                      sparse_sizes=(10, 10))
    perm = torch.argsort(d.edge_index[1] * 10 + d.edge_index[0])  # CSR order
    torch.testing.assert_close(conv(d.x, adj_t, d.edge_type[perm]),
                               conv(d.x, d.edge_index, d.edge_type,
                                                                          d.edge_weight))


def test_sparse_adjacency_errors():
    d = typed_group_graph()
    conv = DirectionalConv(4, 3)
    adj = torch.sparse_coo_tensor(d.edge_index.flip(0), d.edge_weight, (10, 10))
    with pytest.raises(ValueError,
                       match='edge_type is required: a sparse adjacency carries no direction '
                             'types'):
        conv(d.x, adj)
    with pytest.raises(ValueError,
                       match='edge_weight must be None when edge_index is a sparse adjacency'):
        conv(d.x, adj, d.edge_type, d.edge_weight)
    with pytest.raises(TypeError,
                       match='values of the sparse adjacency edge_index are edge weights'):
        conv(d.x, torch.sparse_coo_tensor(d.edge_index.flip(0), d.edge_type, (10, 10)), d.edge_type)
    with pytest.raises(ValueError, match=r'must have shape \(N, N\) = \(10, 10\), got \(10, 11\)'):
        conv(d.x, torch.sparse_coo_tensor(d.edge_index.flip(0), d.edge_weight, (10, 11)),
             d.edge_type)
    with pytest.raises(ValueError, match='got a sparse tensor with layout torch.sparse_csc'):
        conv(d.x, adj.to_sparse_csc(), d.edge_type)
    # several directions per pair: a sparse matrix merges them
    multi = typed_group_graph(max_direction=False)
    adj = torch.sparse_coo_tensor(multi.edge_index.flip(0), multi.edge_weight, (10, 10)).coalesce()
    with pytest.raises(ValueError, match='one type per stored entry of the sparse adjacency'):
        conv(d.x, adj, multi.edge_type)


def test_add_self_loops_mismatch_is_named_and_typed_transform_fixes_it():
    import torch_geometric.transforms as T

    from graphseg.graphs import AddTypedSelfLoops, grid_graph
    g = grid_graph(3, 4, self_loops=False)
    g.edge_weight = torch.rand(g.edge_index.size(1))
    conv = DirectionalConv(2, 2)
    x = torch.randn(12, 2)
    bad = T.AddSelfLoops()(g.clone())
    with pytest.raises(ValueError,
                       match=r'edge_type must have shape \(E,\) = \(70,\), one type per edge of '
                                         r'edge_index, got \(58,\); '
                                         r'.*T.AddSelfLoops.*AddTypedSelfLoops'):
        conv(x, bad.edge_index, bad.edge_type, bad.edge_weight)
    good = AddTypedSelfLoops()(g.clone())
    full = grid_graph(3, 4)  # the same lattice with its self direction, sorted the same way
    assert torch.equal(good.edge_index, full.edge_index) and torch.equal(good.edge_type,
                                                                         full.edge_type)
    loops = good.edge_type == 4
    assert torch.equal(good.edge_weight[loops], torch.ones(12))
    # sorted by (target, source) already
    assert torch.equal(good.edge_weight[~loops], g.edge_weight)
    again = AddTypedSelfLoops()(good.clone())  # idempotent
    assert torch.equal(again.edge_index, good.edge_index) and torch.equal(again.edge_weight,
                                                                          good.edge_weight)
    g.edge_attr = torch.rand(g.edge_index.size(1), 2)
    with pytest.raises(ValueError,
                       match=r"cannot invent values of the edge attribute\(s\) \['edge_attr'\]"):
        AddTypedSelfLoops()(g)


def test_negative_weights_and_dtype_mismatch_are_named():
    d = typed_group_graph()
    conv = DirectionalConv(4, 3)
    with pytest.raises(ValueError, match='edge_weight must be >= 0'):
        conv(d.x, d.edge_index, d.edge_type, -d.edge_weight)
    with pytest.raises(TypeError,
                       match=r"x must have the layer's dtype torch.float32, got torch.float64"):
        conv(d.x.double(), d.edge_index, d.edge_type)
    out = conv.double()(d.x.double(), d.edge_index, d.edge_type, d.edge_weight.double())
    assert out.dtype == torch.float64
    with pytest.raises(ValueError, match="aggr must be 'add'"):
        DirectionalConv(2, 2, aggr='mean')
