"""The training loop: loss goes down, models with their own loss, bit-exact resume, AMP and
device."""
import pytest
import torch

from graphseg.data import NUM_CLASSES, MNISTSegmentation, build_transforms
from graphseg.engine import TrainConfig, load_checkpoint, train
from graphseg.evaluation import evaluate, predict
from graphseg.models import create_model


def _digits(split='train', n=32, size=32):
    return MNISTSegmentation(split, num_samples=n, size=size, scale=(0.8, 1.1))


def test_training_reduces_loss_and_evaluates():
    ds = MNISTSegmentation('train', num_samples=64, size=48, scale=(1.0, 1.5))
    model = create_model('fcn_small', in_channels=1, num_classes=NUM_CLASSES, width=16)
    log = train(model, ds, TrainConfig(steps=40, batch_size=8, log_every=10, lr=5e-3),
                progress=False)
    assert len(log) == 4 and log[-1]['loss'] < 0.7 * log[0]['loss'] and log[-1]['images_per_s'] > 0
    metrics = evaluate(model, MNISTSegmentation('val', num_samples=16, size=48, scale=(1.0, 1.5)),
                       NUM_CLASSES)
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
    train(m, _digits(n=8, size=48), TrainConfig(steps=50, batch_size=4, lr=0.1), progress=False)
    assert abs(float(m.w.detach()) - 3) < 0.5
    assert evaluate(m, _digits('val', 4, 48), NUM_CLASSES)['iou'][0] > 0


@pytest.mark.parametrize('name,kwargs',
                         [('fcn_small', dict(width=8)), ('hg_fcn_small', dict(width=8))])
def test_resume_is_bit_exact(tmp_path, name, kwargs):
    """Interrupted after a checkpoint, resumed in a fresh model: the same parameters as one
    uninterrupted run (data order across an epoch boundary, augmentations, HG-Conv's random centre
    sampling, AdamW state)."""
    ds = _digits(n=12, size=32)  # 3 batches per epoch: steps 4-7 cross into epochs 1 and 2
    tf = build_transforms(True, crop_size=(28, 28), scale_range=(0.75, 1.25), flip=True, jitter=0.2)
    cfg = TrainConfig(steps=7, batch_size=4, checkpoint_every=2, log_every=1, lr=5e-3)

    def fresh():
        torch.manual_seed(0)
        return create_model(name, in_channels=1, num_classes=NUM_CLASSES, **kwargs)

    ref = fresh()
    train(ref, ds, cfg, transform=tf, progress=False)

    class Crash(Exception):
        pass

    def crash_at_5(step):
        if step == 5:
            raise Crash
    model = fresh()
    ckpt = tmp_path / 'checkpoint.pt'
    with pytest.raises(Crash):
        train(model, ds, cfg, transform=tf, progress=False, checkpoint_path=ckpt,
              on_step=crash_at_5)
    assert load_checkpoint(ckpt)['step'] == 4
    torch.manual_seed(123)  # whatever the process did in between
    resumed = fresh()
    log = train(resumed, ds, cfg, transform=tf, progress=False, checkpoint_path=ckpt,
                resume=str(ckpt))
    assert [e['step'] for e in log] == list(range(1, 8))
    for (k, a), b in zip(ref.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k


def test_amp_and_device(device):
    """AMP (float16 autocast + GradScaler) is active on CUDA only; the same code trains on every
    device."""
    torch.manual_seed(0)
    m = create_model('fcn_small', in_channels=1, num_classes=NUM_CLASSES, width=8)
    log = train(m, _digits(n=8),
                TrainConfig(steps=3, batch_size=4, amp=True, device=str(device), log_every=1),
                progress=False)
    assert all(torch.isfinite(torch.tensor(e['loss'])) for e in log)
    assert next(m.parameters()).device.type == device.type
    assert 0 <= evaluate(m, _digits('val', 4), NUM_CLASSES, device=str(device))['miou'] <= 1
