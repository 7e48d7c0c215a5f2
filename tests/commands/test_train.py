"""graphseg train / eval: run folders, run.json, resume, no overwritten results; a Cityscapes
folder."""
import json
import os

import pytest
import torch
from PIL import Image

from graphseg.cli import main
from tests.helpers import ROOT

TINY = ['model.kwargs={width: 8}',
        'data.kwargs={num_samples: 16, size: 32, scale: [0.8, 1.1], rgb: true}',
        'data.val_kwargs={num_samples: 4}', 'train.steps=4', 'train.batch_size=4',
        'train.log_every=2', 'train.checkpoint_every=2', 'device=cpu']


def test_train_eval_resume_and_run_json(tmp_path):
    out = tmp_path / 'run'
    cfg = os.path.join(ROOT, 'graphseg', 'configs', 'digits.yaml')
    assert main(['train', '--config', cfg, *TINY, '--out', str(out), '--no-progress']) == 0
    record = json.loads((out / 'run.json').read_text())
    assert record['status'] == 'completed' and record['command'] == 'train'
    assert record['argv'] and record['config']['train']['steps'] == 4
    assert record['config']['model']['name'] == 'fcn_small'
    assert record['models'][0]['params'] > 0 and record['data']['dataset'] == 'digits'
    assert record['data']['num_classes'] == 11 and record['versions']['torch'] == torch.__version__
    assert (
        'git' in record
        and 0 <= record['metrics']['miou'] <= 1
        and record['train_log'][-1]['step'] == 4
    )
    assert {'config.yaml', 'checkpoint.pt', 'model.pt', 'run.json'} <= set(os.listdir(out))
    # an existing result is never overwritten without --overwrite
    before = (out / 'model.pt').read_bytes()
    with pytest.raises(SystemExit, match='already holds results; pass --overwrite'):
        main(['train', '--config', cfg, *TINY, '--out', str(out)])
    assert (out / 'model.pt').read_bytes() == before
    # resume: continue to 6 steps from the checkpoint of step 4
    assert (
        main(
            [
                'train',
                '--config',
                cfg,
                *TINY,
                'train.steps=6',
                '--out',
                str(out),
                '--resume',
                '--no-progress',
            ]
        )
        == 0
    )
    record = json.loads((out / 'run.json').read_text())
    assert record['resumed_from'].endswith('checkpoint.pt') and record['train_log'][-1]['step'] == 6
    # resuming with another model's config fails in one line and leaves the run's config.yaml alone
    config_before = (out / 'config.yaml').read_text()
    with pytest.raises(SystemExit,
                       match=r"graphseg train: error: --resume checkpoint .* does not fit model"):
        main(
            [
                'train',
                '--config',
                cfg,
                *TINY,
                'model.name=hg_fcn_small',
                '--out',
                str(out),
                '--resume',
            ]
        )
    assert (out / 'config.yaml').read_text() == config_before
    # eval of the saved weights gives the metrics the training run reported
    ev = tmp_path / 'eval'
    assert (
        main(
            [
                'eval',
                '--config',
                cfg,
                '--weights',
                str(out / 'model.pt'),
                *TINY,
                '--out',
                str(ev),
                '--no-progress',
            ]
        )
        == 0
    )
    evr = json.loads((ev / 'run.json').read_text())
    assert evr['metrics']['iou'] == pytest.approx(record['metrics']['iou'], nan_ok=True)
    assert evr['weights'].endswith('model.pt') and evr['status'] == 'completed'
    # multi-scale + flip testing through overrides, with the checkpoint as weights
    ms = tmp_path / 'eval_ms'
    assert (
        main(
            [
                'eval',
                '--config',
                cfg,
                '--weights',
                str(out / 'checkpoint.pt'),
                *TINY,
                'eval.scales=[0.75, 1.0]',
                'eval.flip=true',
                '--out',
                str(ms),
                '--no-progress',
            ]
        )
        == 0
    )
    assert json.loads((ms / 'run.json').read_text())['config']['eval']['flip'] is True
    with pytest.raises(SystemExit, match='weights file .* does not fit model'):
        main(
            [
                'eval',
                '--config',
                cfg,
                '--weights',
                str(out / 'model.pt'),
                *TINY,
                'model.kwargs={width: 16}',
                '--out',
                str(tmp_path / 'bad'),
            ]
        )
    assert not (tmp_path / 'bad').exists()


def test_train_and_eval_on_a_cityscapes_folder(tmp_path):
    """The whole path on the official layout: reader, augmentation, normalisation, OHEM, checkpoint,
    eval."""
    import numpy as np
    rng = np.random.default_rng(0)
    for split, n in (('train', 4), ('val', 1)):
        for k in range(n):
            stem = f'ulm_{k:06d}_000019'
            os.makedirs(tmp_path / 'cs' / 'leftImg8bit' / split / 'ulm', exist_ok=True)
            os.makedirs(tmp_path / 'cs' / 'gtFine' / split / 'ulm', exist_ok=True)
            Image.fromarray((rng.random((32, 48, 3)) * 255).astype(np.uint8)).save(
                tmp_path / 'cs' / 'leftImg8bit' / split / 'ulm' / f'{stem}_leftImg8bit.png')
            Image.fromarray(rng.choice([0, 7, 8, 11, 26], size=(32, 48)).astype(np.uint8)).save(
                tmp_path / 'cs' / 'gtFine' / split / 'ulm' / f'{stem}_gtFine_labelIds.png')
    cfg = tmp_path / 'cs.yaml'
    cfg.write_text(f"""model: {{name: fcn_small, kwargs: {{width: 8}}}}
data: {{dataset: cityscapes, root: {tmp_path / 'cs'}, crop_size: [24, 24], scale_range: [0.5, 2.0],
        flip: true, jitter: 0.2, normalize: imagenet}}
train: {{steps: 2, batch_size: 2, optimizer: sgd, lr: 0.01, loss: ohem, ohem_min_kept: 100,
         log_every: 1}}
eval: {{size_divisor: 8}}
device: cpu
""")
    out = tmp_path / 'run'
    assert main(['train', '--config', str(cfg), '--out', str(out), '--no-progress']) == 0
    record = json.loads((out / 'run.json').read_text())
    assert record['data']['sizes'] == {'train': 4, 'val': 1} and record['data']['num_classes'] == 19
    assert (
        'RandomCrop((24, 24)' in record['data']['train_transform']
        and len(record['metrics']['iou']) == 19
    )
    assert (
        main(
            [
                'eval',
                '--config',
                str(cfg),
                '--weights',
                str(out / 'model.pt'),
                'eval.scales=[0.5,1.0]',
                'eval.flip=true',
                '--out',
                str(tmp_path / 'ev'),
                '--no-progress',
            ]
        )
        == 0
    )
