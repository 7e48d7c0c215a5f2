"""QGN decoder: sparse == dense, propagation schemes, skips, the released defaults, anytime
budget, errors."""
import pytest
import torch

from graphseg.graphs import t_pyramid
from graphseg.models import QGN
from graphseg.nn import QGNDecoder, QGNLoss, TransBottleneck, qgn_inference
from graphseg.nn.sparse import SparseBatchNorm, SubmanifoldConv2d
from graphseg.ops import SparseMap
from tests.helpers import ENC, SMALL, K, blob_labels, features


def children_mask(parent):
    return parent.repeat_interleave(2, -2).repeat_interleave(2, -1)


@pytest.mark.parametrize('block', ['basic', 'bottleneck'])
def test_sparse_all_equals_dense_decoder(device, block):
    feats = [f.requires_grad_(True) for f in features(2, 64, 96, device, torch.float64)]
    kw = dict(SMALL, block=block, defaults='pytorch')
    sp = QGNDecoder(ENC, K, **kw).to(device, torch.float64)
    de = QGNDecoder(ENC, K, **kw, sparse=False, dense_up_kernel=2).to(device, torch.float64)
    ref_state = de.state_dict()
    # 1x1: (o, i) -> (o, i, 1, 1)
    de.load_state_dict({n: v.view_as(ref_state[n]) for n, v in sp.state_dict().items()})
    out_s, out_d = sp(feats, 'all'), de(feats, 'all')
    assert out_s.levels == out_d.levels == [5, 4, 3, 2, 1, 0]
    g = {level: torch.randn_like(out_d.logits[level]) for level in out_d.levels}
    for level in out_s.levels:
        assert out_s.logits[level].density == 1.
        torch.testing.assert_close(out_s.logits[level].to_dense(), out_d.logits[level])
    loss_s = sum((out_s.logits[level].to_dense() * g[level]).sum() for level in g)
    loss_d = sum((out_d.logits[level] * g[level]).sum() for level in g)
    gs = torch.autograd.grad(loss_s, feats + list(sp.parameters()))
    gd = torch.autograd.grad(loss_d, feats + list(de.parameters()))
    for a, b in zip(gs, gd):
        torch.testing.assert_close(a, b.view_as(a))
    torch.testing.assert_close(out_s.labels(), out_d.labels())


def test_gt_scheme_active_sites_are_children_of_gt_composites(device):
    labels = blob_labels(2, 64, 96, device)
    pyr = t_pyramid(labels, 6, K)
    dec = QGNDecoder(ENC, K, **SMALL).to(device)
    out = dec(features(2, 64, 96, device), 'gt', pyr)
    assert out.active_mask(5).all()
    for level in range(4, -1, -1):
        assert torch.equal(out.active_mask(level), children_mask(pyr[level + 1] == K)), level
    assert out.logits[0].num_sites < 0.5 * 2 * 64 * 96  # memory follows the boundaries


def test_predicted_scheme_follows_argmax(device):
    dec = QGNDecoder(ENC, K, **SMALL).to(device)
    with torch.no_grad():  # bias the heads towards "composite" so that several levels are decoded
        for head in [dec.head_top, *dec.heads]:
            head.bias[K] = 1.5
    out = dec(features(1, 64, 64, device), 'predicted')
    assert out.levels == [5, 4, 3, 2, 1, 0] and 0 < out.logits[0].num_sites < 64 * 64
    for level in range(4, -1, -1):
        parent = out.logits[level + 1]
        comp = torch.zeros(1, *parent.spatial_shape, dtype=torch.bool, device=device)
        b, y, x = parent.coords.unbind(1)
        comp[b, y, x] = parent.feats.argmax(1) == K
        assert torch.equal(out.active_mask(level), children_mask(comp)), level


def test_noskip_prunes_only_at_the_top_as_released(device):
    labels = blob_labels(2, 64, 96, device)
    pyr = t_pyramid(labels, 6, K)
    dec = QGNDecoder(ENC, K, **SMALL, skips='top').to(device)
    assert len(dec.skips) == 1
    out = dec(features(2, 64, 96, device), 'gt', pyr)
    for lv in range(4, -1, -1):  # every descendant of a top-level composite cell
        top = children_mask(pyr[5] == K)
        for _ in range(4 - lv):
            top = children_mask(top)
        assert torch.equal(out.active_mask(lv), top), lv
        if lv > 0:
            # still recorded
            assert torch.equal(out.composite_mask(lv), out.active_mask(lv) & (pyr[lv] == K))
    # the inference follows the recorded composites: the same labels as the pruned decoder's path
    assert torch.equal(out.labels(), out.dense_logits().argmax(1))


def test_skip0_reads_the_stride2_map(device):
    dec = QGNDecoder(ENC, K, **SMALL).to(device).eval()
    assert len(dec.skips) == 5 and dec.skips[4][0].in_features == ENC[0]
    feats = features(1, 64, 64, device)
    with torch.no_grad():
        a = dec(feats, 'all')
        feats[0] = feats[0] + 1.
        b = dec(feats, 'all')
    assert torch.equal(a.logits[1].feats, b.logits[1].feats)  # level 1 is decoded before skip0
    assert not torch.allclose(a.logits[0].feats, b.logits[0].feats)


def test_official_defaults_and_dense_upsampling():
    dec = QGNDecoder(ENC, K, widths=(64, 32, 16, 16, 16), blocks=(1, 1, 1, 1), final_blocks=1)
    bns = [m for m in dec.modules() if isinstance(m, SparseBatchNorm)]
    assert all(m.eps == 1e-4 and m.momentum == 0.01 for m in bns)  # SparseConvNet's BatchNorm
    # the released weights_init
    assert all(torch.all(m.bias == 1e-4) and torch.all(m.weight == 1) for m in bns)
    conv = dec.stages[0][0].conv1  # 64 -> 64 submanifold 3x3
    assert isinstance(conv, SubmanifoldConv2d)
    # kaiming_normal_ on SparseConvNet's (9, 1, C_in, C_out): sqrt(2 / (64 * 64))
    std = conv.weight.std().item()
    assert abs(std - (2 / 64 / 64) ** 0.5) < 0.1 * (2 / 64 / 64) ** 0.5
    nin = dec.skips[1][0]  # SparseConvNet NetworkInNetwork: N(0, 2 / C_in), zero bias
    assert abs(nin.weight.std().item() - (2 / ENC[3]) ** 0.5) < 0.3 * (2 / ENC[3]) ** 0.5
    torch_dec = QGNDecoder(ENC, K, widths=(64, 32, 16, 16, 16), blocks=(1, 1, 1, 1), final_blocks=1,
                           defaults='pytorch')
    assert all(
        m.eps == 1e-5 and m.momentum == 0.1
        for m in torch_dec.modules()
        if isinstance(m, SparseBatchNorm)
    )
    dense = QGNDecoder(ENC, K, **SMALL, sparse=False)
    # the released dense decoder: 3x3 transposed conv, padding 1, output padding 1
    up = dense.stages[0][-1].conv2
    assert up.kernel_size == (3, 3) and up.padding == (1, 1) and up.output_padding == (1, 1)
    assert dense.stages[0][-1].shortcut[0].kernel_size == (2, 2)
    assert all(
        m.momentum == 0.001 and m.eps == 1e-5
        for m in dense.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    )
    out = dense(features(1, 64, 64, 'cpu'), 'all')
    assert [tuple(out.logits[lv].shape[2:]) for lv in out.levels] == [(2, 2), (4, 4), (8, 8),
                                                                      (16, 16), (32, 32), (64, 64)]


@pytest.mark.parametrize('scheme', ['all', 'predicted'])
def test_anytime_budget_gives_a_valid_map_at_every_level(device, scheme):
    dec = QGNDecoder(ENC, K, **SMALL).to(device).eval()
    feats = features(2, 64, 64, device)
    full = dec(feats, scheme)
    for min_level in range(6):
        out = dec(feats, scheme, min_level=min_level)
        assert out.levels == list(range(5, min_level - 1, -1))
        pred = out.labels()
        assert pred.shape == (2, 64, 64) and int(pred.min()) >= 0 and int(pred.max()) < K
        for level in out.levels:  # decoding stops early but never changes the levels it decodes
            torch.testing.assert_close(out.logits[level].feats, full.logits[level].feats)
    if scheme == 'all':  # a level-l budget is the level-l arg-max blown up to pixels
        coarse = dec(feats, 'all', min_level=3)
        ref = coarse.logits[3].to_dense()[:, :K].argmax(1).repeat_interleave(8,
                                                                             1).repeat_interleave(8,
                                                                                                  2)
        assert torch.equal(coarse.labels(), ref)


def test_errors():
    dec = QGNDecoder(ENC, K, **SMALL)
    feats = features(1, 64, 64, 'cpu')
    with pytest.raises(ValueError, match="scheme must be one of"):
        dec(feats, 'oracle')
    with pytest.raises(ValueError,
                       match=r"scheme='gt' needs the T-pyramid: a list of 6 label maps"):
        dec(feats, 'gt')
    with pytest.raises(ValueError,
                       match=r'pyramid\[0\] must have shape \(B, H / 2\^l, W / 2\^l\) = \(1, '
                             r'64, 64\)'):
        dec(feats, 'gt', t_pyramid(torch.zeros(1, 32, 64, dtype=torch.long), 6, K))
    with pytest.raises(ValueError,
                       match=r'features\[2\] must have shape \(1, 12, 8, 8\) \(stride 8\)'):
        dec(feats[:2] + [feats[2][:, :, :3]] + feats[3:], 'all')
    with pytest.raises(ValueError, match='features must be a list of 5 encoder maps'):
        dec(feats[:3])
    with pytest.raises(ValueError, match=r'min_level must be an int in \[0, 5\], got 6'):
        dec(feats, min_level=6)
    with pytest.raises(ValueError, match="the dense decoder .* scheme must be 'all'"):
        QGNDecoder(ENC, K, **SMALL, sparse=False)(feats, 'predicted')
    with pytest.raises(ValueError, match=r'encoder_channels must have len\(widths\) = 2 values'):
        QGNDecoder(ENC, K, widths=(8, 8), blocks=(1,))
    with pytest.raises(ValueError, match="skips must be one of"):
        QGNDecoder(ENC, K, skips='none')
    with pytest.raises(ValueError, match=r'inplanes must be divisible by 4'):
        TransBottleneck(6, 8)
    model = QGN(K, 'resnet18', **SMALL)
    with pytest.raises(ValueError,
                       match=r'image height and width must be divisible by 32, got \(48, 40\)'):
        model(torch.rand(1, 3, 48, 40))
    with pytest.raises(ValueError, match='encoder must be a ResNet with feature strides'):
        QGN(K, 'efficientnet_b0')
    with pytest.raises(ValueError, match=r'logits levels must lie in \[0, 3\], got \[5\]'):
        QGNLoss(4)({5: torch.randn(1, 4, 1, 1)}, [torch.zeros(1, 1, 1, dtype=torch.long)] * 4)
    with pytest.raises(ValueError, match='weighting must be one of'):
        QGNLoss(4, 'learned')
    with pytest.raises(ValueError, match=r'the top level 1 must be fully active'):
        qgn_inference({1: SparseMap(torch.tensor([[0, 0, 0]]), torch.randn(1, 4), (1, 2), 1)}, K)
