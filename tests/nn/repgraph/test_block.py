"""RepGraph (Yu et al., ECCV 2020) against grid_sample / unfold references, the non-local block,
and itself; its MAC count."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd import gradcheck

from graphseg.analysis.macs import dense_flop_macs, format_macs
from graphseg.graphs import representative_graph, sampling_pattern
from graphseg.nn import NonLocal2d, RepGraph, RepGraphConv, representative_attention
from graphseg.ops.macs import repgraph_mac_breakdown, repgraph_macs
from tests.helpers import randomize, reference_attention

CONFIGS = [('simple', 1, 1), ('bottleneck', 1, 1), ('simple', 2, 1), ('bottleneck', 1, 2),
           ('simple', 2, 2)]


def reference_repgraph(m, x):
    """RepGraph written from the paper's description, sampling with grid_sample, one (image, group)
    at a time."""
    B, C, H, W = x.shape
    g, G, S = m.grid, m.groups, m.num_samples
    h = m.reduce(x) if m.variant == 'bottleneck' else x
    w_off = m.layer.offset.weight[..., None, None]
    offsets = F.conv2d(F.avg_pool2d(h, g), w_off, m.layer.offset.bias)  # (B, 2SG, H/g, W/g)
    if m.variant == 'simple':
        q, k, v = (F.conv2d(h, lin.weight[..., None, None], lin.bias)
                   for lin in (m.layer.theta, m.layer.phi, m.layer.g))
    else:
        q = k = v = h
    ys, xs = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    ay, ax = (ys // g).reshape(-1), (xs // g).reshape(-1)  # anchor cell of each pixel
    # cell centres (HW, 2)
    anchor = torch.stack([ay * g + (g - 1) / 2, ax * g + (g - 1) / 2], dim=-1).to(x)
    Cg = m.inter_channels // G
    y = torch.zeros(B, m.inter_channels, H, W, dtype=x.dtype, device=x.device)
    for b in range(B):
        for gamma in range(G):
            # (S, 2, HW)
            d = offsets[b, 2 * S * gamma:2 * S * (gamma + 1)].view(S, 2, H // g, W // g)[:, :, ay,
                                                                                         ax]
            pos = anchor[:, None] + sampling_pattern(S, device=x.device,
                                                     dtype=x.dtype) + d.permute(2, 0, 1)
            c = slice(gamma * Cg, (gamma + 1) * Cg)
            y[b, c] = reference_attention(q[b, c], k[b, c], v[b, c], pos)
    z = m.norm(m.W_y(y))
    return x + z if m.fusion == 'sum' else torch.cat([x, z], 1)


@pytest.mark.parametrize('variant,grid,groups', CONFIGS)
@pytest.mark.parametrize('fusion', ['sum', 'concat'])
def test_shapes_and_repr(variant, grid, groups, fusion, device):
    m = RepGraph(16, 8, 9, variant, fusion, grid, groups).to(device)
    out = m(torch.randn(2, 16, 4, 6, device=device))
    assert out.shape == (2, 16 * (2 if fusion == 'concat' else 1), 4,
                         6) and m.out_channels == out.size(1)
    assert repr(m).startswith(f"RepGraph(16, 8, num_samples=9, variant='{variant}', "
                              f"fusion='{fusion}'")
    assert repr(m.layer) == (f"RepGraphConv({16 if variant == 'simple' else 8}, 8, num_samples=9, "
                             f"groups={groups}"
                             + (', embed=False)' if variant == 'bottleneck' else ')'))


@pytest.mark.parametrize('variant', ['simple', 'bottleneck'])
def test_identity_at_init_and_output_conv_learns(variant):
    """Zero-initialised norm scale: the block is the identity, yet the last conv and norm get
    gradients."""
    m = RepGraph(8, 4, variant=variant)
    x = torch.randn(2, 8, 5, 5)
    torch.testing.assert_close(m(x), x)
    m(x).pow(2).sum().backward()
    assert float(m.norm.weight.grad.abs().sum()) > 0
    m.eval()
    torch.testing.assert_close(m(x), x)
    # zero-initialised offsets
    assert not m.layer.offset.weight.any() and not m.layer.offset.bias.any()


@pytest.mark.parametrize('variant,grid,groups', CONFIGS)
def test_matches_grid_sample_reference(variant, grid, groups, device, dtype):
    m = randomize(RepGraph(12, 6, 5, variant, 'sum', grid, groups)).to(device, dtype)
    x = torch.randn(2, 12, 6, 4, device=device, dtype=dtype)
    torch.testing.assert_close(m(x), reference_repgraph(m, x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('variant,grid,groups', CONFIGS + [('bottleneck', 2, 4)])
def test_dense_equals_graph_path(variant, grid, groups, device):
    m = randomize(RepGraph(16, 8, 9, variant, 'concat', grid, groups)).to(device)
    x = torch.randn(2, 16, 8, 6, device=device)
    dense = m(x)
    m.path = 'graph'
    torch.testing.assert_close(m(x), dense, atol=1e-5, rtol=1e-5)


def test_zero_offsets_attend_to_the_3x3_neighbourhood(device):
    """Documented sampling at init: S = 9 samples = the zero-padded 3x3 neighbourhood (checked with
    F.unfold)."""
    m = RepGraph(6, 4, 9, 'simple').to(device)
    x = torch.randn(2, 6, 5, 7, device=device)
    q, k, v = (
        F.conv2d(x, lin.weight[..., None, None], lin.bias)
        for lin in (m.layer.theta, m.layer.phi, m.layer.g)
    )
    nk = F.unfold(k, 3, padding=1).view(2, 4, 9, 35)  # (B, C', 9 neighbours row-major, HW)
    nv = F.unfold(v, 3, padding=1).view(2, 4, 9, 35)
    attn = torch.einsum('bcp,bcnp->bnp', q.flatten(2), nk).softmax(dim=1)
    ref = torch.einsum('bnp,bcnp->bcp', attn, nv).view(2, 4, 5, 7)
    torch.testing.assert_close(m.attend(x), ref, atol=1e-5, rtol=1e-5)
    anchors = torch.stack(torch.meshgrid(torch.arange(5.), torch.arange(7.), indexing='ij'),
                          -1).view(35, 1, 2)
    torch.testing.assert_close(m.sample_positions(x)[0],
                               anchors.to(device) + sampling_pattern(9, device=device))


@pytest.mark.parametrize('path', ['dense', 'graph'])
def test_equals_nonlocal_at_full_sampling(path, device):
    """S = HW samples fixed at every integer position: RepGraph attention == the non-local block
    (same weights)."""
    B, C, H, W = 2, 16, 4, 5
    nl = NonLocal2d(C, reduction=4).to(device)
    nn.init.normal_(nl.norm.weight)
    m = RepGraph(C, 4, num_samples=H * W, variant='simple', path=path).to(device)
    with torch.no_grad():
        for name in ('theta', 'phi', 'g'):
            getattr(m.layer, name).weight.copy_(getattr(nl, name).weight[:, :, 0, 0])
            getattr(m.layer, name).bias.copy_(getattr(nl, name).bias)
        m.W_y.weight.copy_(nl.W_z.weight)
        m.norm.load_state_dict(nl.norm.state_dict())
    ys, xs = torch.meshgrid(torch.arange(H.__float__()), torch.arange(float(W)), indexing='ij')
    # (HW, 2) all integer positions
    every = torch.stack([ys.reshape(-1), xs.reshape(-1)], -1).to(device)
    positions = every.expand(B, H * W, H * W, 2)  # each of the HW queries samples all HW pixels
    x = torch.randn(B, C, H, W, device=device)
    y = m.attend(x, positions)
    torch.testing.assert_close(y, nl.attention(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(x + m.norm(m.W_y(y)), nl(x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('path', ['dense', 'graph'])
def test_out_of_image_samples_contribute_zero(path):
    """Samples pushed far outside read zero features: logits 0, values 0, so y~ = 0 exactly."""
    m = RepGraph(8, 4, 4, 'simple', path=path)
    with torch.no_grad():
        m.layer.offset.bias.fill_(1e4)
    x = torch.randn(1, 8, 3, 3)
    with torch.no_grad():
        assert not m.attend(x).any()
    with torch.no_grad():  # half of the samples outside: the rest attend as if those had feature 0
        m.layer.offset.bias.copy_(torch.tensor([1e4, 0.] * 2 + [0., 0.] * 2))
    x = torch.randn(1, 8, 3, 3)
    torch.testing.assert_close(m.attend(x), reference_repgraph_attend(m, x), atol=1e-6, rtol=1e-5)


def reference_repgraph_attend(m, x):
    q, k, v = (
        F.conv2d(x, lin.weight[..., None, None], lin.bias)
        for lin in (m.layer.theta, m.layer.phi, m.layer.g)
    )
    pos = m.sample_positions(x)[0]
    return reference_attention(q[0], k[0], v[0], pos)[None]


def test_gradcheck_layer():
    m = randomize(RepGraph(4, 2, 3, 'simple', grid=2, groups=2, norm_layer=None),
                  offset_std=0.3).double()
    nn.init.normal_(m.W_y.weight)
    x = torch.randn(1, 4, 4, 4, dtype=torch.float64, requires_grad=True)
    assert gradcheck(m, (x,), fast_mode=True)
    bottleneck = randomize(RepGraph(4, 2, 3, 'bottleneck', norm_layer=None), 0.3).double()
    nn.init.normal_(bottleneck.W_y.weight)
    assert gradcheck(bottleneck, (x,), fast_mode=True)


def test_mac_count_paper_table2():
    """Bottleneck RepGraph at 256x128, C = 2048, C' = 256, S = 9: ~35 G (two 1x1 convs 34.4 G + 0.6
    G)."""
    macs = repgraph_macs(256, 128, 2048, 256, 9, 'bottleneck')
    assert format_macs(macs) == '35.0 G' and abs(macs - 35e9) < 0.5e9
    parts = repgraph_mac_breakdown(256, 128, 2048, 256)
    assert parts['reduce'] == parts['expand'] == 256 * 128 * 2048 * 256


@pytest.mark.parametrize('variant,grid,groups', CONFIGS)
def test_mac_count_matches_flop_counter(variant, grid, groups):
    """The counter == torch's FLOP counter on the dense ops + the bilinear taps it cannot see
    (embedding_bag)."""
    m = randomize(RepGraph(16, 8, 9, variant, grid=grid, groups=groups))
    x = torch.randn(1, 16, 8, 4)
    parts = repgraph_mac_breakdown(8, 4, 16, 8, 9, variant, grid, groups, include_output=True)
    with torch.no_grad():
        assert dense_flop_macs(lambda: m(x)) == sum(parts.values()) - parts['sampling']


def test_errors():
    with pytest.raises(ValueError, match='num_samples must be an int >= 1, got 0'):
        RepGraph(8, 4, num_samples=0)
    with pytest.raises(ValueError, match=r'inter_channels \(6\) must be divisible by groups \(4\)'):
        RepGraph(8, 6, groups=4)
    with pytest.raises(ValueError,
                       match=r'x height and width must be divisible by grid = 2, got \(5, 6\)'):
        RepGraph(8, 4, grid=2)(torch.randn(1, 8, 5, 6))
    with pytest.raises(ValueError,
                       match=r'positions must have shape \(B \* groups, H \* W / grid\*\*2, S, '
                             r'2\)'):
        RepGraph(8, 4, 9, 'simple').attend(torch.randn(1, 8, 3, 3), torch.zeros(1, 9, 8, 2))
    with pytest.raises(ValueError, match='offsets must have 2 \\* num_samples \\* groups channels'):
        representative_graph(torch.zeros(1, 17, 3, 3), 3, 3)
    with pytest.raises(ValueError, match='x must have in_channels = 8 channels, got 4'):
        RepGraph(8, 4)(torch.randn(1, 4, 3, 3))
    with pytest.raises(ValueError, match=r"variant must be one of \('bottleneck', 'simple'\)"):
        RepGraph(8, 4, variant='dense')
    with pytest.raises(ValueError, match='fusion must be one of'):
        RepGraph(8, 4, fusion='avg')
    with pytest.raises(ValueError, match='path must be one of'):
        RepGraph(8, 4, path='sparse')
    with pytest.raises(ValueError, match='grid must be a positive int, got 0'):
        RepGraph(8, 4, grid=0)
    with pytest.raises(ValueError, match='embed=False uses the input'):
        RepGraphConv(8, 4, embed=False)
    with pytest.raises(ValueError, match=r'x must be \(B, C, H, W\)'):
        RepGraph(8, 4)(torch.randn(8, 3, 3))
    with pytest.raises(ValueError, match='pos must hold integer lattice coordinates'):
        RepGraphConv(3, 2)(torch.randn(2, 3), torch.tensor([[0., 0.5], [1., 0.]]))
    with pytest.raises(ValueError, match=r'index and weight must have shape \(A, S, 4\)'):
        representative_attention(torch.randn(2, 1, 3), torch.randn(5, 3), torch.randn(5, 3),
                                 torch.zeros(2, 4, 3, dtype=torch.long), torch.zeros(2, 4, 3))
