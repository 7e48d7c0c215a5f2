"""Optimizers, the poly schedule with warmup, aux loss and clipping; deterministic mode."""
import torch
import torch.nn.functional as F

from graphseg.data import NUM_CLASSES, MNISTSegmentation
from graphseg.engine import TrainConfig, train
from graphseg.engine.optim import poly_lambda
from graphseg.models import create_model


def _digits(split='train', n=32, size=32):
    return MNISTSegmentation(split, num_samples=n, size=size, scale=(0.8, 1.1))


def test_optimizers_schedule_aux_and_clipping():
    assert poly_lambda(10, 0.9)(0) == 1.0 and poly_lambda(10, 0.9)(10) == 0.0
    assert poly_lambda(10, 1.0, warmup=2)(0) == 0.5 and poly_lambda(10, 1.0, warmup=2)(6) == 0.5
    for opt in ('sgd', 'adam', 'adamw'):
        model = create_model('fcn_small', in_channels=1, num_classes=NUM_CLASSES, width=8)
        log = train(model, _digits(),
                    TrainConfig(steps=3, batch_size=4, optimizer=opt, grad_clip=0.1, log_every=1,
                                                  warmup_steps=1), progress=False)
        assert [e['step'] for e in log] == [1, 2, 3] and log[0]['lr'] > log[1]['lr'] > log[2]['lr']

    class WithAux(torch.nn.Module):  # the aux term enters with aux_weight
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Conv2d(1, NUM_CLASSES, 1)
            self.b = torch.nn.Conv2d(1, NUM_CLASSES, 1)

        def forward(self, x):
            return {'out': self.a(x), 'aux': self.b(x)}
    from graphseg.engine import segmentation_loss
    m, x = WithAux(), torch.rand(2, 1, 8, 8)
    y = torch.randint(0, NUM_CLASSES, (2, 8, 8))
    ref = F.cross_entropy(m.a(x), y) + 0.25 * F.cross_entropy(m.b(x), y)
    torch.testing.assert_close(segmentation_loss(m, x, y, aux_weight=0.25), ref)


def test_deterministic_mode_is_repeatable_and_scoped():
    ds = _digits(n=8)
    states = []
    for _ in range(2):
        torch.manual_seed(0)
        m = create_model('hg_fcn_small', in_channels=1, num_classes=NUM_CLASSES, width=8)
        train(m, ds, TrainConfig(steps=2, batch_size=4, deterministic=True), progress=False)
        states.append(m.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(states[0].values(), states[1].values()))
    assert not torch.are_deterministic_algorithms_enabled()  # restored after the run
