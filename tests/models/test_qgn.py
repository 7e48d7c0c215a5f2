"""The QGN model: forward and backward, dense logits == inference at every budget, training
through the engine, registry and reprs."""
import pytest
import torch

from graphseg.graphs import t_pyramid
from graphseg.models import QGN, create_model, list_models
from graphseg.nn import QGNLoss, QGNOutput, TransBasicBlock, TransBottleneck
from tests.helpers import SMALL, K, blob_labels


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
    grads = [p.grad for p in model.decoder.head_top.parameters()] + [
        model.encoder.conv1.weight.grad
    ]
    assert all(
        g is not None and bool(torch.isfinite(g).all()) and float(g.abs().sum()) > 0 for g in grads
    )
    pred = out.labels()
    assert pred.shape == (2, 64, 64) and int(pred.min()) >= 0 and int(pred.max()) < K


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
    log = train(model, data, TrainConfig(steps=12, batch_size=4, log_every=4, lr=3e-3),
                progress=False)
    assert log[-1]['loss'] < log[0]['loss']
    assert 0 <= evaluate(model, data, K, batch_size=4)['miou'] <= 1


def test_registry_and_reprs():
    assert {'qgn_resnet34', 'qgn_resnet50'} <= set(list_models('qgn_*', task='segmentation'))
    model = create_model('qgn_resnet34', num_classes=5, encoder='resnet18', **SMALL)
    assert model.decoder.head_top.out_features == 6 and model.num_levels == 6
    assert model.decoder.encoder_channels == (64, 64, 128, 256, 512)  # stem, layer1..4
    assert (
        repr(TransBasicBlock(8, 4, upsample=True))
        == 'TransBasicBlock(8, 4, upsample=True, sparse=True)'
    )
    assert repr(TransBottleneck(16, 8)) == 'TransBottleneck(16, 8, upsample=False, sparse=True)'
    assert "widths=(16, 8, 8, 8, 8)" in repr(model.decoder) and "block='basic'" in repr(
        model.decoder
    )
    big = create_model('qgn_resnet50', num_classes=5, encoder='resnet18', blocks=(1, 1, 1, 1),
                       final_blocks=1)
    assert big.decoder.widths == (2048, 1024, 512, 256,
                                  256) and isinstance(big.decoder.final_conv[0], TransBottleneck)
    assert big.decoder.final_conv[0].conv1.out_features == 64  # inner width a quarter
