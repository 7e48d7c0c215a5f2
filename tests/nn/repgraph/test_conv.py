"""RepGraphConv on PyG nodes: a lattice graph equals the image layer, missing lattice points read
zero."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd import gradcheck

from graphseg.graphs import grid_graph, representative_graph
from graphseg.nn import RepGraph, RepGraphConv
from tests.helpers import randomize, reference_attention


def test_repgraphconv_on_a_lattice_graph_equals_the_image_layer(device):
    """The graph layer on PyG nodes with pos (two images batched, shifted origin) == RepGraph's
    image path."""
    m = randomize(RepGraph(6, 4, 9, 'simple', groups=2)).to(device)
    B, H, W = 2, 5, 4
    x = torch.randn(B, 6, H, W, device=device)
    g = grid_graph(H, W, device=device)
    nodes = x.flatten(2).transpose(1, 2).reshape(B * H * W, 6)
    pos = g.pos.repeat(B, 1) + torch.tensor([10., -3.], device=device)  # origin does not matter
    batch = torch.arange(B, device=device).repeat_interleave(H * W)
    out = m.layer(nodes, pos, batch)
    ref = m.attend(x).flatten(2).transpose(1, 2).reshape(B * H * W, 4)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


def test_repgraphconv_on_a_masked_pixel_set(device):
    """Lattice points without a node contribute zero, like the outside of the image."""
    m = randomize(RepGraph(5, 3, 9, 'simple')).to(device)
    H, W = 6, 5
    x = torch.randn(1, 5, H, W, device=device)
    present = torch.rand(H, W, device=device) > 0.3
    present[0, 0] = present[H - 1, W - 1] = True  # keep the bounding box
    ys, xs = present.nonzero(as_tuple=True)
    nodes = x[0, :, ys, xs].t()
    out = m.layer(nodes, torch.stack([xs, ys], -1).float())
    q, k, v = (
        F.conv2d(x, lin.weight[..., None, None], lin.bias)[0]
        for lin in (m.layer.theta, m.layer.phi, m.layer.g)
    )
    pos = m.sample_positions(x)[0]
    ref = reference_attention(q, k * present, v * present, pos)  # missing pixels read as zero
    torch.testing.assert_close(out, ref[:, ys, xs].t(), atol=1e-5, rtol=1e-5)


def test_gradcheck_graph_path():
    H, W, S, C = 3, 4, 3, 2
    conv = RepGraphConv(3, C, S)
    offsets = (torch.randn(1, 2 * S, H, W, dtype=torch.float64)).requires_grad_(True)
    q = torch.randn(H * W, C, dtype=torch.float64, requires_grad=True)
    k = torch.randn(H * W, C, dtype=torch.float64, requires_grad=True)
    v = torch.randn(H * W, C, dtype=torch.float64, requires_grad=True)

    def f(q, k, v, offsets):
        g = representative_graph(offsets, H, W)
        return conv.attend(q, k, v, g.edge_index, g.edge_weight, g.edge_attr, S)
    assert gradcheck(f, (q, k, v, offsets))
    m = randomize(RepGraph(4, 2, 3, 'simple', path='graph', norm_layer=None), 0.3).double()
    nn.init.normal_(m.W_y.weight)
    assert gradcheck(m, (torch.randn(1, 4, 3, 3, dtype=torch.float64, requires_grad=True),))
