"""Training loop, evaluation, config loading and the demo command."""
import json

import pytest
import torch

from graphseg.cli import main
from graphseg.data import NUM_CLASSES, MNISTSegmentation
from graphseg.engine import TrainConfig, evaluate, load_config, predict, train
from graphseg.models import create_model


def test_training_reduces_loss_and_evaluates():
    ds = MNISTSegmentation('train', num_samples=64, size=48, scale=(1.0, 1.5))
    model = create_model('fcn_small', in_channels=1, num_classes=NUM_CLASSES, width=16)
    log = train(model, ds, TrainConfig(steps=40, batch_size=8, log_every=10, lr=5e-3), progress=False)
    assert len(log) == 4 and log[-1]['loss'] < 0.7 * log[0]['loss']
    metrics = evaluate(model, MNISTSegmentation('val', num_samples=16, size=48, scale=(1.0, 1.5)), NUM_CLASSES)
    assert 0 <= metrics['miou'] <= 1 and metrics['pixel_acc'] > 0.7  # background dominates
    pred = predict(model.eval(), torch.rand(2, 1, 48, 48))
    assert pred.shape == (2, 48, 48) and pred.dtype == torch.long


def test_models_with_own_loss_and_predict_are_respected():
    class Custom(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(()))

        def compute_loss(self, images, labels):
            return (self.w - 3) ** 2

        def predict(self, images):
            return torch.zeros(images.shape[0], *images.shape[-2:], dtype=torch.long)

    m = Custom()
    train(m, MNISTSegmentation('train', num_samples=8, size=48, scale=(1.0, 1.5)),
          TrainConfig(steps=50, batch_size=4, lr=0.1), progress=False)
    assert abs(float(m.w.detach()) - 3) < 0.5
    assert evaluate(m, MNISTSegmentation('val', num_samples=4, size=48, scale=(1.0, 1.5)), NUM_CLASSES)['iou'][0] > 0


def test_load_config(tmp_path):
    p = tmp_path / 'c.yaml'
    p.write_text('steps: 12\nlr: 0.01\n')
    c = load_config(p, batch_size=4)
    assert (c.steps, c.lr, c.batch_size) == (12, 0.01, 4)
    with pytest.raises(ValueError, match=r"unknown config keys \['stepz'\]"):
        load_config({'stepz': 3})
    with pytest.raises(ValueError, match='steps must be an int >= 1'):
        TrainConfig(steps=0)


def test_demo_command(tmp_path):
    assert main(['demo', '--steps', '3', '--train-samples', '32', '--val-samples', '8', '--batch-size', '8',
                 '--out', str(tmp_path)]) == 0
    out = json.loads((tmp_path / 'metrics.json').read_text())
    assert 'fcn_small' in out['results'] and 0 <= out['results']['fcn_small']['miou'] <= 1
    assert (tmp_path / 'predictions.png').stat().st_size > 1000
    with pytest.raises(SystemExit, match='--model must name registered segmentation models'):
        main(['demo', '--model', 'nope', '--out', str(tmp_path)])
    with pytest.raises(SystemExit, match="registered segmentation models .*got 'resnet18'"):
        main(['demo', '--model', 'resnet18', '--out', str(tmp_path)])  # a backbone, not a segmentation model
