"""QGN decoder, propagation schemes, anytime budget, loss (Eq. 4, 6-8) and inference."""
import pytest
import torch
import torch.nn.functional as F

from graphseg.graphs import t_pyramid
from graphseg.models import QGN, create_model, list_models
from graphseg.nn import QGNDecoder, QGNLoss, QGNOutput, TransBasicBlock, level_loss, qgn_inference
from graphseg.ops import SparseMap

K = 3
ENC = (8, 12, 16, 24)
SMALL = dict(widths=(16, 8, 8, 8, 8), blocks=(2, 1, 1, 2), final_blocks=1)


def features(B, H, W, device, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(B, c, H >> (i + 2), W >> (i + 2), generator=g, dtype=dtype).to(device)
            for i, c in enumerate(ENC)]


def blob_labels(B, H, W, device, seed=0):
    """Smooth random regions (a few boundaries), as a real label map."""
    g = torch.Generator().manual_seed(seed)
    lab = F.interpolate(torch.rand(B, K, 3, 4, generator=g), size=(H, W), mode='bilinear').argmax(1)
    lab[:, :4, :4] = 255
    return lab.to(device)


def children_mask(parent):
    return parent.repeat_interleave(2, -2).repeat_interleave(2, -1)


def test_sparse_all_equals_dense_decoder(device):
    feats = [f.requires_grad_(True) for f in features(2, 64, 96, device, torch.float64)]
    sp = QGNDecoder(ENC, K, **SMALL).to(device, torch.float64)
    de = QGNDecoder(ENC, K, **SMALL, sparse=False).to(device, torch.float64)
    ref_state = de.state_dict()
    de.load_state_dict({n: v.view_as(ref_state[n]) for n, v in sp.state_dict().items()})  # 1x1: (o, i) -> (o, i, 1, 1)
    out_s, out_d = sp(feats, 'all'), de(feats, 'all')
    assert out_s.levels == out_d.levels == [5, 4, 3, 2, 1, 0]
    g = {l: torch.randn_like(out_d.logits[l]) for l in out_d.levels}
    for l in out_s.levels:
        assert out_s.logits[l].density == 1.
        torch.testing.assert_close(out_s.logits[l].to_dense(), out_d.logits[l])
    loss_s = sum((out_s.logits[l].to_dense() * g[l]).sum() for l in g)
    loss_d = sum((out_d.logits[l] * g[l]).sum() for l in g)
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
    for l in range(4, -1, -1):
        assert torch.equal(out.active_mask(l), children_mask(pyr[l + 1] == K)), l
    assert out.logits[0].num_sites < 0.5 * 2 * 64 * 96  # memory follows the boundaries


def test_predicted_scheme_follows_argmax(device):
    dec = QGNDecoder(ENC, K, **SMALL).to(device)
    with torch.no_grad():  # bias the heads towards "composite" so that several levels are decoded
        for head in [dec.head_top, *dec.heads]:
            head.bias[K] = 1.5
    out = dec(features(1, 64, 64, device), 'predicted')
    assert out.levels == [5, 4, 3, 2, 1, 0] and 0 < out.logits[0].num_sites < 64 * 64
    for l in range(4, -1, -1):
        parent = out.logits[l + 1]
        comp = torch.zeros(1, *parent.spatial_shape, dtype=torch.bool, device=device)
        b, y, x = parent.coords.unbind(1)
        comp[b, y, x] = parent.feats.argmax(1) == K
        assert torch.equal(out.active_mask(l), children_mask(comp)), l


@pytest.mark.parametrize('scheme', ['all', 'gt', 'predicted'])
def test_qgn_forward_backward(device, scheme):
    model = QGN(K, 'resnet18', **SMALL).to(device)
    image = torch.rand(2, 3, 64, 64, device=device)
    labels = blob_labels(2, 64, 64, device)
    pyr = t_pyramid(labels, model.num_levels, K)
    res = model(image, scheme, pyr if scheme == 'gt' else None)
    out = res['levels']
    assert isinstance(out, QGNOutput) and out.levels[0] == 5
    assert res['out'].shape == (2, K, 64, 64) and torch.equal(res['out'].argmax(1), out.labels())
    loss = QGNLoss(model.num_levels)(out, pyr)
    loss.backward()
    assert torch.isfinite(loss)
    grads = [p.grad for p in model.decoder.head_top.parameters()] + [model.encoder.conv1.weight.grad]
    assert all(g is not None and bool(torch.isfinite(g).all()) and float(g.abs().sum()) > 0 for g in grads)
    pred = out.labels()
    assert pred.shape == (2, 64, 64) and int(pred.min()) >= 0 and int(pred.max()) < K


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
        for l in out.levels:  # decoding stops early but never changes the levels it decodes
            torch.testing.assert_close(out.logits[l].feats, full.logits[l].feats)
    if scheme == 'all':  # a level-l budget is the level-l arg-max blown up to pixels
        coarse = dec(feats, 'all', min_level=3)
        ref = coarse.logits[3].to_dense()[:, :K].argmax(1).repeat_interleave(8, 1).repeat_interleave(8, 2)
        assert torch.equal(coarse.labels(), ref)


def naive_inference(logits, k, H, W):
    """Per pixel: the finest level whose active cell contains it; the best real class there."""
    B = next(iter(logits.values())).batch_size
    out = torch.full((B, H, W), -1, dtype=torch.long)
    for b in range(B):
        for py in range(H):
            for px in range(W):
                for l in sorted(logits):  # finest first
                    q = logits[l]
                    hit = ((q.coords[:, 0] == b) & (q.coords[:, 1] == py >> l) & (q.coords[:, 2] == px >> l))
                    if bool(hit.any()):
                        scores = q.feats[hit][0]
                        best = int(scores.argmax())
                        out[b, py, px] = best if best != k else int(scores[:k].argmax())  # second best
                        break
    return out


def test_inference_matches_naive_and_takes_second_best():
    dec = QGNDecoder(ENC, K, **SMALL)
    labels = blob_labels(1, 32, 32, 'cpu', seed=2)
    out = dec(features(1, 32, 32, 'cpu'), 'gt', t_pyramid(labels, 6, K))
    with torch.no_grad():  # make "composite" the arg-max somewhere at every level
        for q in out.logits.values():
            q.feats[::3, K] = 100.
    assert torch.equal(out.labels(), naive_inference(out.logits, K, 32, 32))
    top = SparseMap(torch.tensor([[0, 0, 0]]), torch.tensor([[0.1, 2., 0.3, 5.]]), (1, 1), 1)
    assert qgn_inference({0: top}, K).tolist() == [[[1]]]  # composite (5.) wins -> second best, class 1


def test_level_loss_eq4(device):
    feats = torch.randn(5, K + 1, device=device, requires_grad=True)
    coords = torch.tensor([[0, 0, 0], [0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], device=device)
    q = SparseMap(coords, feats, (2, 2), 2)
    target = torch.tensor([[[0, K], [255, 2]], [[1, 1], [0, 255]]], device=device)
    t = torch.tensor([0, K, 2, 0, 1], device=device)  # T_l read at the five sites
    ref = F.cross_entropy(feats, t)
    torch.testing.assert_close(level_loss(q, target), ref)
    target2 = target.clone()
    target2[0, 0, 1] = 255  # ignored site drops out of the mean
    torch.testing.assert_close(level_loss(q, target2), F.cross_entropy(feats[[0, 2, 3, 4]], t[[0, 2, 3, 4]]))
    zero = level_loss(q, torch.full_like(target, 255))
    assert float(zero.detach()) == 0. and zero.requires_grad
    dense = torch.randn(2, K + 1, 2, 2, device=device)
    torch.testing.assert_close(level_loss(dense, target), F.cross_entropy(dense, target, ignore_index=255))


def test_qgn_loss_weights_eq6_to_eq8():
    logits = {l: torch.randn(1, K + 1, 2 ** (3 - l), 2 ** (3 - l), requires_grad=True) for l in range(4)}
    pyr = [torch.randint(0, K + 1, (1, 2 ** (3 - l), 2 ** (3 - l))) for l in range(4)]
    Ls = {l: F.cross_entropy(logits[l], pyr[l]) for l in range(4)}
    fixed = QGNLoss(4, 'fixed', gamma=0.5)
    torch.testing.assert_close(fixed(logits, pyr), sum(0.5 ** l * Ls[l] for l in range(4)))  # Eq. 6 + 7
    adaptive = QGNLoss(4, 'adaptive', delta=0.9)
    w = torch.ones(4)
    for _ in range(2):  # Eq. 8: the step uses the old weights, then w_l <- d w_l + (1 - d) L_l / L_0
        loss = adaptive(logits, pyr)
        torch.testing.assert_close(loss, sum(w[l] * Ls[l] for l in range(4)))
        loss.backward()  # the in-place weight update must not break autograd
        w = torch.tensor([1.] + [0.9 * w[l] + 0.1 * float(Ls[l].detach() / Ls[0].detach()) for l in range(1, 4)])
        torch.testing.assert_close(adaptive.level_weights, w)
    adaptive.eval()
    adaptive(logits, pyr)
    torch.testing.assert_close(adaptive.level_weights, w)  # no update in eval mode
    assert set(adaptive.last_level_losses) == {0, 1, 2, 3}


def test_errors():
    dec = QGNDecoder(ENC, K, **SMALL)
    feats = features(1, 64, 64, 'cpu')
    with pytest.raises(ValueError, match="scheme must be one of"):
        dec(feats, 'oracle')
    with pytest.raises(ValueError, match=r"scheme='gt' needs the T-pyramid: a list of 6 label maps"):
        dec(feats, 'gt')
    with pytest.raises(ValueError, match=r'pyramid\[0\] must have shape \(B, H / 2\^l, W / 2\^l\) = \(1, 64, 64\)'):
        dec(feats, 'gt', t_pyramid(torch.zeros(1, 32, 64, dtype=torch.long), 6, K))
    with pytest.raises(ValueError, match=r'features\[2\] must have shape \(1, 16, 4, 4\) \(stride 16\)'):
        dec(feats[:2] + [feats[2][:, :, :3]] + feats[3:], 'all')
    with pytest.raises(ValueError, match='features must be a list of 4 encoder maps'):
        dec(feats[:3])
    with pytest.raises(ValueError, match=r'min_level must be an int in \[0, 5\], got 6'):
        dec(feats, min_level=6)
    with pytest.raises(ValueError, match="the dense decoder .* scheme must be 'all'"):
        QGNDecoder(ENC, K, **SMALL, sparse=False)(feats, 'predicted')
    with pytest.raises(ValueError, match=r'widths must have len\(encoder_channels\) \+ 1 = 5 values'):
        QGNDecoder(ENC, K, widths=(8, 8))
    model = QGN(K, 'resnet18', **SMALL)
    with pytest.raises(ValueError, match=r'image height and width must be divisible by 32, got \(48, 40\)'):
        model(torch.rand(1, 3, 48, 40))
    with pytest.raises(ValueError, match='backbone must be a ResNet with feature strides'):
        QGN(K, 'qgn_resnet18')
    with pytest.raises(ValueError, match=r'logits levels must lie in \[0, 3\], got \[5\]'):
        QGNLoss(4)({5: torch.randn(1, 4, 1, 1)}, [torch.zeros(1, 1, 1, dtype=torch.long)] * 4)
    with pytest.raises(ValueError, match='weighting must be one of'):
        QGNLoss(4, 'learned')
    with pytest.raises(ValueError, match=r'the top level 1 must be fully active'):
        qgn_inference({1: SparseMap(torch.tensor([[0, 0, 0]]), torch.randn(1, 4), (1, 2), 1)}, K)


@pytest.mark.parametrize('sparse,scheme', [(True, 'predicted'), (True, 'all'), (False, 'all')])
def test_dense_logits_argmax_is_the_inference_at_every_budget(device, sparse, scheme):
    torch.manual_seed(0)
    model = QGN(K, 'resnet18', **SMALL, sparse=sparse).to(device).eval()
    image = torch.rand(2, 3, 64, 64, device=device)
    for min_level in (0, 2, 5):
        res = model(image, scheme, min_level=min_level)
        assert res['out'].shape == (2, K, 64, 64)
        assert torch.equal(res['out'].argmax(1), res['levels'].labels()), min_level


def test_qgn_trains_through_the_engine_with_its_level_loss():
    from graphseg.engine import TrainConfig, evaluate, train
    torch.manual_seed(0)
    labels = blob_labels(8, 64, 64, 'cpu')
    data = list(zip(torch.rand(8, 3, 64, 64), labels))
    model = QGN(K, 'resnet18', **SMALL)
    log = train(model, data, TrainConfig(steps=12, batch_size=4, log_every=4, lr=3e-3), progress=False)
    assert log[-1]['loss'] < log[0]['loss']
    assert 0 <= evaluate(model, data, K, batch_size=4)['miou'] <= 1


def test_registry_and_reprs():
    assert {'qgn_resnet18', 'qgn_resnet34', 'qgn_resnet50'} <= set(list_models('qgn_*'))
    model = create_model('qgn_resnet18', num_classes=5, **SMALL)
    assert model.decoder.head_top.out_features == 6 and model.num_levels == 6
    assert repr(TransBasicBlock(8, 4, upsample=True)) == 'TransBasicBlock(8, 4, upsample=True, sparse=True)'
    assert 'widths=(16, 8, 8, 8, 8)' in repr(model.decoder)
