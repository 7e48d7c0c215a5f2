"""predict / predict_probs (multi-scale, flip, size divisor) and evaluate on binary tasks with
state reduction."""
import pytest
import torch
import torch.nn.functional as F

from graphseg.data import NUM_CLASSES
from graphseg.evaluation import evaluate, predict
from graphseg.evaluation.evaluate import predict_probs
from graphseg.models import create_model


def test_multiscale_flip_and_size_divisor():
    model = create_model('fcn_small', in_channels=1, num_classes=NUM_CLASSES, width=8).eval()
    x = torch.rand(2, 1, 30, 34)
    single = predict_probs(model, x)
    torch.testing.assert_close(single, model(x)['out'].softmax(1))
    ref = (
        model(x)['out'].softmax(1)
        + model(x.flip(-1))['out'].softmax(1).flip(-1)
        + F.interpolate(
            model(
                F.interpolate(
                    x,
                    scale_factor=1.5,
                    mode='bilinear',
                    align_corners=False,
                    recompute_scale_factor=False,
                )
            )['out'].softmax(1),
            size=(30, 34),
            mode='bilinear',
            align_corners=False,
        )
        + F.interpolate(
            model(
                F.interpolate(
                    x,
                    scale_factor=1.5,
                    mode='bilinear',
                    align_corners=False,
                    recompute_scale_factor=False,
                ).flip(-1)
            )['out']
            .softmax(1)
            .flip(-1),
            size=(30, 34),
            mode='bilinear',
            align_corners=False,
        )
    ) / 4
    torch.testing.assert_close(predict_probs(model, x, scales=(1.0, 1.5), flip=True), ref)
    padded = model(F.pad(x, (0, 6, 0, 2)))['out'][..., :30, :34].argmax(1)
    assert torch.equal(predict(model, x, size_divisor=8), padded)
    # QGN needs sizes divisible by 32 and predicts through its quadtree
    qgn = create_model('qgn_resnet34', encoder='resnet18', num_classes=3, widths=(32, 16, 16, 8, 8),
                       blocks=(1, 1, 1, 1), final_blocks=1).eval()
    assert predict(qgn, torch.rand(1, 3, 40, 50), size_divisor=32).shape == (1, 40, 50)


@pytest.mark.parametrize('task,keys', [('saliency', {'max_f', 'mean_f', 'mae', 's_measure'}),
                                       ('road', {'road_iou', 'apls', 'miou', 'pixel_acc'})])
def test_evaluate_binary_tasks_and_state_reduction(task, keys):
    from graphseg.evaluation.metrics.road import RoadMetrics
    from graphseg.evaluation.metrics.saliency import SaliencyMetrics
    g = torch.Generator().manual_seed(0)
    data = []
    for _ in range(4):
        t = torch.zeros(24, 24, dtype=torch.long)
        t[6:18, 10:14] = 1
        data.append(
            (t[None].float().repeat(3, 1, 1) * 0.7 + 0.3 * torch.rand(3, 24, 24, generator=g), t)
        )
    torch.manual_seed(0)
    model = torch.nn.Conv2d(3, 1, 3, padding=1).eval()  # a one-channel (sigmoid) binary output
    whole = evaluate(model, data, 2, task=task)
    assert set(whole) == keys
    # two shards' states summed (what all_reduce does) give the whole dataset's metrics
    make = SaliencyMetrics if task == 'saliency' else RoadMetrics
    parts = []
    for shard in (data[:1], data[1:]):
        m = make()
        for image, target in shard:
            x = image[None]
            if task == 'saliency':
                m.update(predict_probs(model, x)[:, 1], target[None])
            else:
                m.update(predict(model, x), target[None])
        parts.append(m.state())
    merged = make()
    merged.load_state(parts[0] + parts[1])
    for k, v in merged.compute().items():
        assert v == pytest.approx(whole[k], abs=1e-12), k
