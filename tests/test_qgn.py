"""QGN decoder, propagation schemes, anytime budget, loss (Eq. 4, 6-8) and inference."""
import pytest
import torch
import torch.nn.functional as F

from graphseg.graphs import t_pyramid
from graphseg.models import QGN, create_model, list_models
from graphseg.nn import QGNDecoder, QGNLoss, QGNOutput, TransBasicBlock, TransBottleneck, level_loss, qgn_inference
from graphseg.nn.sparse import SparseBatchNorm, SubmanifoldConv2d
from graphseg.ops import SparseMap

K = 3
ENC = (6, 8, 12, 16, 24)  # encoder maps at strides 2, 4, 8, 16, 32
SMALL = dict(widths=(16, 8, 8, 8, 8), blocks=(2, 1, 1, 2), final_blocks=1)


def features(B, H, W, device, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(B, c, H >> (i + 1), W >> (i + 1), generator=g, dtype=dtype).to(device)
            for i, c in enumerate(ENC)]


def blob_labels(B, H, W, device, seed=0):
    """Smooth random regions (a few boundaries), as a real label map."""
    g = torch.Generator().manual_seed(seed)
    lab = F.interpolate(torch.rand(B, K, 3, 4, generator=g), size=(H, W), mode='bilinear').argmax(1)
    lab[:, :4, :4] = 255
    return lab.to(device)


def children_mask(parent):
    return parent.repeat_interleave(2, -2).repeat_interleave(2, -1)


@pytest.mark.parametrize('block', ['basic', 'bottleneck'])
def test_sparse_all_equals_dense_decoder(device, block):
    feats = [f.requires_grad_(True) for f in features(2, 64, 96, device, torch.float64)]
    kw = dict(SMALL, block=block, defaults='pytorch')
    sp = QGNDecoder(ENC, K, **kw).to(device, torch.float64)
    de = QGNDecoder(ENC, K, **kw, sparse=False, dense_up_kernel=2).to(device, torch.float64)
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
            assert torch.equal(out.composite_mask(lv), out.active_mask(lv) & (pyr[lv] == K))  # still recorded
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
    assert all(torch.all(m.bias == 1e-4) and torch.all(m.weight == 1) for m in bns)  # the released weights_init
    conv = dec.stages[0][0].conv1  # 64 -> 64 submanifold 3x3
    assert isinstance(conv, SubmanifoldConv2d)
    std = conv.weight.std().item()  # kaiming_normal_ on SparseConvNet's (9, 1, C_in, C_out): sqrt(2 / (64 * 64))
    assert abs(std - (2 / 64 / 64) ** 0.5) < 0.1 * (2 / 64 / 64) ** 0.5
    nin = dec.skips[1][0]  # SparseConvNet NetworkInNetwork: N(0, 2 / C_in), zero bias
    assert abs(nin.weight.std().item() - (2 / ENC[3]) ** 0.5) < 0.3 * (2 / ENC[3]) ** 0.5
    torch_dec = QGNDecoder(ENC, K, widths=(64, 32, 16, 16, 16), blocks=(1, 1, 1, 1), final_blocks=1,
                           defaults='pytorch')
    assert all(m.eps == 1e-5 and m.momentum == 0.1 for m in torch_dec.modules() if isinstance(m, SparseBatchNorm))
    dense = QGNDecoder(ENC, K, **SMALL, sparse=False)
    up = dense.stages[0][-1].conv2  # the released dense decoder: 3x3 transposed conv, padding 1, output padding 1
    assert up.kernel_size == (3, 3) and up.padding == (1, 1) and up.output_padding == (1, 1)
    assert dense.stages[0][-1].shortcut[0].kernel_size == (2, 2)
    assert all(m.momentum == 0.001 and m.eps == 1e-5 for m in dense.modules() if isinstance(m, torch.nn.BatchNorm2d))
    out = dense(features(1, 64, 64, 'cpu'), 'all')
    assert [tuple(out.logits[lv].shape[2:]) for lv in out.levels] == [(2, 2), (4, 4), (8, 8), (16, 16), (32, 32),
                                                                      (64, 64)]


def _released_merge(out, size):
    """The released QGN.forward inference (use_softmax, masks from the composite cells) written out."""
    levels = out.levels
    preds = [out.logits[lv].to_dense().clone() for lv in levels]
    masks = [out.composite_mask(lv)[:, None].float().expand_as(preds[i]) for i, lv in enumerate(levels[:-1])]
    for i, m in enumerate(masks):
        preds[i] = (1 - m) * preds[i]
        preds[i] = F.interpolate(preds[i], size=size, mode='bilinear', align_corners=False)
        for j in range(i + 1, len(preds)):
            m = F.interpolate(m, scale_factor=2)
            preds[j] = m * preds[j]
    preds[-1] = F.interpolate(preds[-1], size=size, mode='bilinear', align_corners=False)
    return sum(preds)[:, :out.num_classes]


@pytest.mark.parametrize('size', [(64, 96), (50, 70), (128, 192)])
def test_bilinear_inference_any_size(device, size):
    labels = blob_labels(2, 64, 96, device)
    pyr = t_pyramid(labels, 6, K)
    dec = QGNDecoder(ENC, K, **SMALL).to(device).eval()
    with torch.no_grad():
        out = dec(features(2, 64, 96, device), 'gt', pyr)
        got = out.bilinear_logits(size)
    assert got.shape == (2, K, *size)
    torch.testing.assert_close(got, _released_merge(out, size))
    model = QGN(K, 'resnet18', **SMALL).to(device).eval()
    res = model(torch.rand(1, 3, 64, 64, device=device), inference='bilinear', size=size)
    assert res['out'].shape == (1, K, *size)
    with pytest.raises(ValueError, match="inference='nearest' paints the quadtree at the image size"):
        model(torch.rand(1, 3, 64, 64, device=device), size=(50, 70))


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
    dec = QGNDecoder(ENC, K, **SMALL, defaults='pytorch')
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
    with pytest.raises(ValueError, match=r'features\[2\] must have shape \(1, 12, 8, 8\) \(stride 8\)'):
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
    with pytest.raises(ValueError, match=r'image height and width must be divisible by 32, got \(48, 40\)'):
        model(torch.rand(1, 3, 48, 40))
    with pytest.raises(ValueError, match='encoder must be a ResNet with feature strides'):
        QGN(K, 'efficientnet_b0')
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
    from graphseg.engine import TrainConfig, train
    from graphseg.evaluation import evaluate
    torch.manual_seed(0)
    labels = blob_labels(8, 64, 64, 'cpu')
    data = list(zip(torch.rand(8, 3, 64, 64), labels))
    model = QGN(K, 'resnet18', **SMALL)
    log = train(model, data, TrainConfig(steps=12, batch_size=4, log_every=4, lr=3e-3), progress=False)
    assert log[-1]['loss'] < log[0]['loss']
    assert 0 <= evaluate(model, data, K, batch_size=4)['miou'] <= 1


def test_registry_and_reprs():
    assert {'qgn_resnet34', 'qgn_resnet50'} <= set(list_models('qgn_*', task='segmentation'))
    model = create_model('qgn_resnet34', num_classes=5, encoder='resnet18', **SMALL)
    assert model.decoder.head_top.out_features == 6 and model.num_levels == 6
    assert model.decoder.encoder_channels == (64, 64, 128, 256, 512)  # stem, layer1..4
    assert repr(TransBasicBlock(8, 4, upsample=True)) == 'TransBasicBlock(8, 4, upsample=True, sparse=True)'
    assert repr(TransBottleneck(16, 8)) == 'TransBottleneck(16, 8, upsample=False, sparse=True)'
    assert "widths=(16, 8, 8, 8, 8)" in repr(model.decoder) and "block='basic'" in repr(model.decoder)
    big = create_model('qgn_resnet50', num_classes=5, encoder='resnet18', blocks=(1, 1, 1, 1), final_blocks=1)
    assert big.decoder.widths == (2048, 1024, 512, 256, 256) and isinstance(big.decoder.final_conv[0], TransBottleneck)
    assert big.decoder.final_conv[0].conv1.out_features == 64  # inner width a quarter


def test_released_class_weighting():
    loss = QGNLoss(6, num_classes=4)
    assert torch.equal(loss.class_weight, torch.ones(5))
    iou = torch.tensor([0.9, 0.2, 0.5, 0.7])  # median 0.6: classes 1 and 2 enhanced, composite x2
    assert loss.update_class_weights(iou).tolist() == [1., 2., 2., 1., 2.]
    iou = torch.tensor([0.9, float('nan'), 0.5, 0.7])  # median of the defined IoUs: 0.7
    assert loss.update_class_weights(iou, 3., 1.5).tolist() == [1., 1., 3., 3., 1.5]
    logits = {0: torch.randn(1, 5, 4, 4)}
    pyr = [torch.randint(0, 5, (1, 4, 4))]
    w = torch.tensor([1., 1., 3., 3., 1.5])
    torch.testing.assert_close(QGNLoss(1, num_classes=4).forward(logits, pyr),
                               F.cross_entropy(logits[0], pyr[0]))  # ones: unweighted
    weighted = QGNLoss(1, num_classes=4)
    weighted.update_class_weights(torch.tensor([0.9, float('nan'), 0.5, 0.7]), 3., 1.5)
    torch.testing.assert_close(weighted(logits, pyr), F.cross_entropy(logits[0], pyr[0], weight=w))
    with pytest.raises(ValueError, match='iou must have k = 4 entries, got 3'):
        loss.update_class_weights(torch.rand(3))
    model = QGN(K, 'resnet18', **SMALL)
    model.update_class_weights(torch.tensor([0.1, 0.5, 0.9]))
    assert model.criterion.class_weight.tolist() == [2., 2., 1., 2.]
    assert 'criterion.class_weight' in model.state_dict()
