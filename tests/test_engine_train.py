"""Training loop, losses, checkpoints and bit-exact resume, evaluation, config schema."""
import glob
import os

import pytest
import torch
import torch.nn.functional as F

from graphseg.data import NUM_CLASSES, MNISTSegmentation, build_transforms
from graphseg.engine import (ConfigError, TrainConfig, load_checkpoint, load_config,
                             load_run_config, save_checkpoint, segmentation_criterion, train)
from graphseg.evaluation import evaluate, predict
from graphseg.evaluation.evaluate import predict_probs
from graphseg.engine.optim import poly_lambda
from graphseg.models import create_model, list_models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _digits(split='train', n=32, size=32):
    return MNISTSegmentation(split, num_samples=n, size=size, scale=(0.8, 1.1))


def test_training_reduces_loss_and_evaluates():
    ds = MNISTSegmentation('train', num_samples=64, size=48, scale=(1.0, 1.5))
    model = create_model('fcn_small', in_channels=1, num_classes=NUM_CLASSES, width=16)
    log = train(model, ds, TrainConfig(steps=40, batch_size=8, log_every=10, lr=5e-3), progress=False)
    assert len(log) == 4 and log[-1]['loss'] < 0.7 * log[0]['loss'] and log[-1]['images_per_s'] > 0
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
    train(m, _digits(n=8, size=48), TrainConfig(steps=50, batch_size=4, lr=0.1), progress=False)
    assert abs(float(m.w.detach()) - 3) < 0.5
    assert evaluate(m, _digits('val', 4, 48), NUM_CLASSES)['iou'][0] > 0


def test_optimizers_schedule_aux_and_clipping():
    assert poly_lambda(10, 0.9)(0) == 1.0 and poly_lambda(10, 0.9)(10) == 0.0
    assert poly_lambda(10, 1.0, warmup=2)(0) == 0.5 and poly_lambda(10, 1.0, warmup=2)(6) == 0.5
    for opt in ('sgd', 'adam', 'adamw'):
        model = create_model('fcn_small', in_channels=1, num_classes=NUM_CLASSES, width=8)
        log = train(model, _digits(), TrainConfig(steps=3, batch_size=4, optimizer=opt, grad_clip=0.1, log_every=1,
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


def test_ohem_and_bootstrap_against_direct_computation():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 4, 6, 7, generator=g)
    target = torch.randint(0, 4, (2, 6, 7), generator=g)
    target[0, 0] = 255
    loss = F.cross_entropy(logits, target, ignore_index=255, reduction='none')
    valid = target != 255
    s, n = segmentation_criterion(logits, target, 'ce')
    torch.testing.assert_close(s / n, F.cross_entropy(logits, target, ignore_index=255))
    # OHEM: pixels with true-class probability <= max(thresh, the min_kept-th smallest)
    p = torch.exp(-loss)[valid]
    for thresh, min_kept in ((0.7, 10), (0.05, 30), (0.3, 0)):
        cut = max(thresh, float(p.sort().values[min_kept - 1])) if min_kept else thresh
        keep = p <= cut
        s, n = segmentation_criterion(logits, target, 'ohem', ohem_thresh=thresh, ohem_min_kept=min_kept)
        assert int(n) == int(keep.sum()) >= min_kept
        torch.testing.assert_close(s, loss[valid][keep].sum())
    # bootstrapped: the 25 % largest losses of each image
    s, n = segmentation_criterion(logits, target, 'bootstrap', bootstrap_ratio=0.25)
    ref = sum(loss[b][valid[b]].sort(descending=True).values[:round(0.25 * int(valid[b].sum()))].sum()
              for b in range(2))
    torch.testing.assert_close(s, ref)


def test_checkpoint_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / 'ck.pt'
    save_checkpoint({'a': torch.ones(2)}, path)

    def boom(*a, **k):
        raise RuntimeError('disk full')
    monkeypatch.setattr(torch, 'save', boom)
    with pytest.raises(RuntimeError, match='disk full'):
        save_checkpoint({'a': torch.zeros(2)}, path)
    monkeypatch.undo()
    assert torch.equal(load_checkpoint(path)['a'], torch.ones(2))  # the old checkpoint survives intact
    assert os.listdir(tmp_path) == ['ck.pt']  # no temporary file left behind
    with pytest.raises(FileNotFoundError, match='checkpoint .*missing.pt'):
        load_checkpoint(tmp_path / 'missing.pt')


@pytest.mark.parametrize('name,kwargs', [('fcn_small', dict(width=8)), ('hg_fcn_small', dict(width=8))])
def test_resume_is_bit_exact(tmp_path, name, kwargs):
    """Interrupted after a checkpoint, resumed in a fresh model: the same parameters as one uninterrupted run
    (data order across an epoch boundary, augmentations, HG-Conv's random centre sampling, AdamW state)."""
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
        train(model, ds, cfg, transform=tf, progress=False, checkpoint_path=ckpt, on_step=crash_at_5)
    assert load_checkpoint(ckpt)['step'] == 4
    torch.manual_seed(123)  # whatever the process did in between
    resumed = fresh()
    log = train(resumed, ds, cfg, transform=tf, progress=False, checkpoint_path=ckpt, resume=str(ckpt))
    assert [e['step'] for e in log] == list(range(1, 8))
    for (k, a), b in zip(ref.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k


def test_multiscale_flip_and_size_divisor():
    model = create_model('fcn_small', in_channels=1, num_classes=NUM_CLASSES, width=8).eval()
    x = torch.rand(2, 1, 30, 34)
    single = predict_probs(model, x)
    torch.testing.assert_close(single, model(x)['out'].softmax(1))
    ref = (model(x)['out'].softmax(1) + model(x.flip(-1))['out'].softmax(1).flip(-1)
           + F.interpolate(model(F.interpolate(x, scale_factor=1.5, mode='bilinear', align_corners=False,
                                               recompute_scale_factor=False))['out'].softmax(1), size=(30, 34),
                           mode='bilinear', align_corners=False)
           + F.interpolate(model(F.interpolate(x, scale_factor=1.5, mode='bilinear', align_corners=False,
                                               recompute_scale_factor=False).flip(-1))['out'].softmax(1).flip(-1),
                           size=(30, 34), mode='bilinear', align_corners=False)) / 4
    torch.testing.assert_close(predict_probs(model, x, scales=(1.0, 1.5), flip=True), ref)
    padded = model(F.pad(x, (0, 6, 0, 2)))['out'][..., :30, :34].argmax(1)
    assert torch.equal(predict(model, x, size_divisor=8), padded)
    # QGN needs sizes divisible by 32 and predicts through its quadtree
    qgn = create_model('qgn_resnet34', encoder='resnet18', num_classes=3, widths=(32, 16, 16, 8, 8),
                       blocks=(1, 1, 1, 1), final_blocks=1).eval()
    assert predict(qgn, torch.rand(1, 3, 40, 50), size_divisor=32).shape == (1, 40, 50)


# --------------------------------------------------------------------------------------------- configs
def test_load_config_flat_and_errors(tmp_path):
    p = tmp_path / 'c.yaml'
    p.write_text('steps: 12\nlr: 0.01\n')
    c = load_config(p, batch_size=4)
    assert (c.steps, c.lr, c.batch_size) == (12, 0.01, 4)
    with pytest.raises(ConfigError, match=r"config: unknown key stepz; known keys: \["):
        load_config({'stepz': 3})
    with pytest.raises(ConfigError, match='steps must be an integer >= 1'):
        TrainConfig(steps=0)


def test_run_config_schema_names_key_and_file(tmp_path):
    p = tmp_path / 'run.yaml'
    p.write_text('model: {name: fcn_small}\ntrain: {steps: 5, optimizer: sgd}\n')
    c = load_run_config(p, ['train.lr=0.05', 'data.crop_size=[16, 24]', 'model.kwargs.width=8'])
    assert (c.train.lr, c.train.optimizer, c.data.crop_size, c.model.kwargs) == (0.05, 'sgd', [16, 24], {'width': 8})
    cases = [
        ('train: {optimizer: sgdd}',
         r"run.yaml: train.optimizer must be one of \('sgd', 'adamw', 'adam'\), got 'sgdd'"),
        ('train: {stepz: 3}', r"run.yaml: unknown key train.stepz; known keys of train"),
        ('trian: {steps: 3}', r"run.yaml: unknown key trian; known keys"),
        ('train: {lr: fast}', r"run.yaml: train.lr must be a number, got 'fast'"),
        ('train: {steps: 2.5}', r"run.yaml: train.steps must be an integer, got 2.5"),
        ('train: {amp: 1}', r"run.yaml: train.amp must be true or false, got 1"),
        ('data: {crop_size: [0, 4]}', r"run.yaml: data.crop_size must be \[h, w\]"),
        ('model: {name: nope}', r"run.yaml: model.name must be a registered segmentation model .*got 'nope'"),
        ('model: {name: resnet18}', r"model.name must be a registered segmentation model"),  # a backbone
        ('data: {dataset: cityscape}', r"run.yaml: data.dataset must be one of .*got 'cityscape'"),
        ('eval: {task: depth}', r"run.yaml: eval.task must be one of \('semantic', 'saliency', 'road'\) or null"),
        ('[1, 2]', r"run.yaml: must hold a mapping"),
    ]
    for text, msg in cases:
        p.write_text(text)
        with pytest.raises(ConfigError, match=msg):
            load_run_config(p)
    p.write_text('train: {steps: 3}')
    with pytest.raises(ConfigError, match=r"run.yaml \(with overrides\): train.lr must be a finite number > 0"):
        load_run_config(p, ['train.lr=-1'])
    with pytest.raises(ConfigError, match="override must look like section.key=value, got 'train.lr'"):
        load_run_config(p, ['train.lr'])
    with pytest.raises(FileNotFoundError, match="config file .*nope.yaml' does not exist"):
        load_run_config(tmp_path / 'nope.yaml')


def test_every_shipped_config_validates():
    """Strict: each configs/*.yaml must load, its model must be registered and its dataset known."""
    files = sorted(glob.glob(os.path.join(ROOT, 'configs', '*.yaml')))
    assert len(files) >= 8
    bad = {}
    for f in files:
        try:
            load_run_config(f)
        except ConfigError as e:
            bad[os.path.basename(f)] = str(e).split(': ', 1)[1].replace(str(list_models(task='segmentation')), '[...]')
    assert not bad, f"invalid shipped configs (registered: {list_models(task='segmentation')}): {bad}"


def test_demo_defaults_equal_configs_digits():
    from graphseg.experiments.demo import DIGITS
    assert load_run_config(DIGITS) == load_run_config(os.path.join(ROOT, 'configs', 'digits.yaml'))


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


def test_amp_and_device(device):
    """AMP (float16 autocast + GradScaler) is active on CUDA only; the same code trains on every device."""
    torch.manual_seed(0)
    m = create_model('fcn_small', in_channels=1, num_classes=NUM_CLASSES, width=8)
    log = train(m, _digits(n=8), TrainConfig(steps=3, batch_size=4, amp=True, device=str(device), log_every=1),
                progress=False)
    assert all(torch.isfinite(torch.tensor(e['loss'])) for e in log)
    assert next(m.parameters()).device.type == device.type
    assert 0 <= evaluate(m, _digits('val', 4), NUM_CLASSES, device=str(device))['miou'] <= 1


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
        data.append((t[None].float().repeat(3, 1, 1) * 0.7 + 0.3 * torch.rand(3, 24, 24, generator=g), t))
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
