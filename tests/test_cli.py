"""The graphseg command as a user meets it: run folders, run.json, no lost or overwritten results, one-line errors."""
import argparse
import json
import os
import subprocess
import sys

import pytest
import torch
from PIL import Image

from graphseg.cli import build_parser, main
from graphseg.models import register_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ['model.kwargs={width: 8}', 'data.kwargs={num_samples: 16, size: 32, scale: [0.8, 1.1], rgb: true}',
        'data.val_kwargs={num_samples: 4}', 'train.steps=4', 'train.batch_size=4', 'train.log_every=2',
        'train.checkpoint_every=2', 'device=cpu']


def _cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run([sys.executable, '-m', 'graphseg', *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def test_version_and_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as e:
        main(['--version'])
    assert e.value.code == 0 and capsys.readouterr().out.startswith('graphseg 0.')
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) >= {'graph', 'train', 'eval', 'demo', 'info'}
    for verb, p in sub.choices.items():
        text = p.format_help()
        for action in p._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f'{verb} {action.dest} has no help text'
            if action.option_strings and not any(action.default is v for v in (None, False, argparse.SUPPRESS)):
                assert f'(default: {action.default})' in ' '.join(text.split()), f'{verb} {action.dest}'


def test_user_errors_are_one_line_without_traceback(tmp_path):
    cfg = tmp_path / 'c.yaml'
    cfg.write_text('train: {optimizer: sgdd}\n')
    cases = [
        (['graph', str(tmp_path / 'missing.png'), '--out', str(tmp_path / 'g')], "image '"),
        (['train', '--config', str(tmp_path / 'nope.yaml'), '--out', str(tmp_path / 't')], 'does not exist'),
        (['train', '--config', str(cfg), '--out', str(tmp_path / 't')], "train.optimizer must be one of"),
        (['eval', '--config', str(cfg), '--weights', str(tmp_path / 'w.pt'), '--out', str(tmp_path / 'e')],
         'train.optimizer'),
        (['demo', '--model', 'nope', '--out', str(tmp_path / 'd')], '--model must name registered segmentation'),
        (['graph', 'astronaut', '--n-segments', '0', '--out', str(tmp_path / 'g')], '--n-segments must be >= 1'),
    ]
    for k, (argv, fragment) in enumerate(cases):
        if k < 2:  # as a process: exit status 1, one line on stderr, no traceback
            res = _cli(*argv)
            code, lines = res.returncode, res.stderr.strip().splitlines()
        else:  # in-process: the same SystemExit message
            with pytest.raises(SystemExit) as e:
                main(argv)
            code, lines = 1, str(e.value.code).splitlines()
        assert code == 1 and len(lines) == 1, (argv, lines)
        assert lines[0].startswith(f'graphseg {argv[0]}: error: ') and fragment in lines[0], lines[0]
    assert not any((tmp_path / d).exists() for d in 'gted')  # no run folder for invalid arguments


def test_train_eval_resume_and_run_json(tmp_path):
    out = tmp_path / 'run'
    cfg = os.path.join(ROOT, 'configs', 'digits.yaml')
    assert main(['train', '--config', cfg, *TINY, '--out', str(out), '--no-progress']) == 0
    record = json.loads((out / 'run.json').read_text())
    assert record['status'] == 'completed' and record['command'] == 'train'
    assert record['argv'] and record['config']['train']['steps'] == 4
    assert record['config']['model']['name'] == 'fcn_small'
    assert record['models'][0]['params'] > 0 and record['data']['dataset'] == 'digits'
    assert record['data']['num_classes'] == 11 and record['versions']['torch'] == torch.__version__
    assert 'git' in record and 0 <= record['metrics']['miou'] <= 1 and record['train_log'][-1]['step'] == 4
    assert {'config.yaml', 'checkpoint.pt', 'model.pt', 'run.json'} <= set(os.listdir(out))
    # an existing result is never overwritten without --overwrite
    before = (out / 'model.pt').read_bytes()
    with pytest.raises(SystemExit, match='already holds results; pass --overwrite'):
        main(['train', '--config', cfg, *TINY, '--out', str(out)])
    assert (out / 'model.pt').read_bytes() == before
    # resume: continue to 6 steps from the checkpoint of step 4
    assert main(['train', '--config', cfg, *TINY, 'train.steps=6', '--out', str(out), '--resume', '--no-progress']) == 0
    record = json.loads((out / 'run.json').read_text())
    assert record['resumed_from'].endswith('checkpoint.pt') and record['train_log'][-1]['step'] == 6
    # resuming with another model's config fails in one line and leaves the run's config.yaml alone
    config_before = (out / 'config.yaml').read_text()
    with pytest.raises(SystemExit, match=r"graphseg train: error: --resume checkpoint .* does not fit model"):
        main(['train', '--config', cfg, *TINY, 'model.name=hg_fcn_small', '--out', str(out), '--resume'])
    assert (out / 'config.yaml').read_text() == config_before
    # eval of the saved weights gives the metrics the training run reported
    ev = tmp_path / 'eval'
    assert main(['eval', '--config', cfg, '--weights', str(out / 'model.pt'), *TINY, '--out', str(ev),
                 '--no-progress']) == 0
    evr = json.loads((ev / 'run.json').read_text())
    assert evr['metrics']['iou'] == pytest.approx(record['metrics']['iou'], nan_ok=True)
    assert evr['weights'].endswith('model.pt') and evr['status'] == 'completed'
    # multi-scale + flip testing through overrides, with the checkpoint as weights
    ms = tmp_path / 'eval_ms'
    assert main(['eval', '--config', cfg, '--weights', str(out / 'checkpoint.pt'), *TINY, 'eval.scales=[0.75, 1.0]',
                 'eval.flip=true', '--out', str(ms), '--no-progress']) == 0
    assert json.loads((ms / 'run.json').read_text())['config']['eval']['flip'] is True
    with pytest.raises(SystemExit, match='weights file .* does not fit model'):
        main(['eval', '--config', cfg, '--weights', str(out / 'model.pt'), *TINY, 'model.kwargs={width: 16}',
              '--out', str(tmp_path / 'bad')])
    assert not (tmp_path / 'bad').exists()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # imageio probing the non-image file
def test_graph_name_collisions_and_failure_isolation(tmp_path):
    for d, color in (('a', 30), ('b', 200)):
        os.makedirs(tmp_path / d)
        Image.new('RGB', (40, 32), (color, 90, 10)).save(tmp_path / d / 'x.png')
    (tmp_path / 'bad.png').write_text('not an image')
    out = tmp_path / 'out'
    res = main(['graph', str(tmp_path / 'a' / 'x.png'), str(tmp_path / 'bad.png'), str(tmp_path / 'b' / 'x.png'),
                '--kind', 'grid', '--n-segments', '20', '--out', str(out), '--no-plot'])
    assert res == 1  # one image failed; the others were processed and saved
    record = json.loads((out / 'run.json').read_text())
    assert [o['files'] for o in record['outputs']] == [['x.pt'], ['x-2.pt']]
    assert record['failures'][0]['input'].endswith('bad.png') and record['status'] == 'failed'
    a, b = (torch.load(out / f, weights_only=False) for f in ('x.pt', 'x-2.pt'))
    assert not torch.equal(a.x, b.x)  # two distinct results, nothing overwritten


@pytest.fixture
def broken_model():
    """A registered segmentation model whose forward raises; unregistered again afterwards (so tests that
    enumerate list_models(task='segmentation') never see it)."""
    from graphseg.models import registry

    class Broken(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            raise RuntimeError('this model is broken on purpose')

    def _broken_demo_model(num_classes: int = 11, in_channels: int = 3):
        return Broken()
    register_model(_broken_demo_model)
    yield '_broken_demo_model'
    registry._MODELS.pop('_broken_demo_model')
    registry._TASK.pop('_broken_demo_model')


def test_demo_isolates_a_failing_model(tmp_path, broken_model):
    out = tmp_path / 'demo'
    res = main(['demo', '--model', '_broken_demo_model,fcn_small', '--steps', '2', '--train-samples', '8',
                '--val-samples', '4', '--batch-size', '4', '--quick', '--out', str(out), '--no-progress'])
    assert res == 1
    record = json.loads((out / 'run.json').read_text())
    assert record['failures'][0]['model'] == '_broken_demo_model'
    assert 'broken on purpose' in record['failures'][0]['error']
    assert 'fcn_small' in record['results'] and (out / 'fcn_small' / 'model.pt').exists()
    assert 'broken on purpose' in (out / 'report.md').read_text()


def test_demo_quick_tour(tmp_path):
    """What CI runs: graph figures, dense vs HG-Conv trained on digit scenes, comparison table, report."""
    out = tmp_path / 'demo'
    assert main(['demo', '--quick', '--out', str(out), '--no-progress']) == 0
    record = json.loads((out / 'run.json').read_text())
    assert set(record['results']) == {'fcn_small', 'hg_fcn_small'} and record['status'] == 'completed'
    for r in record['results'].values():
        assert 0 <= r['metrics']['miou'] <= 1 and r['macs'] > 0 and r['params'] > 0
        assert r['train_images_per_s'] > 0 and r['infer_images_per_s'] > 0
    # HG-Conv's head runs on ~1/4 as many nodes as the dense head has pixels: fewer MACs, clustering included
    assert record['results']['hg_fcn_small']['macs'] < record['results']['fcn_small']['macs']
    report = (out / 'report.md').read_text()
    for f in ('figures/graph_grid.png', 'figures/graph_superpixel.png', 'figures/graph_quadtree.png',
              'figures/predictions.png'):
        assert f in report and (out / f).stat().st_size > 1000
    assert 'val mIoU' in report and 'MACs/image' in report


def test_train_and_eval_on_a_cityscapes_folder(tmp_path):
    """The whole path on the official layout: reader, augmentation, normalisation, OHEM, checkpoint, eval."""
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
data: {{dataset: cityscapes, root: {tmp_path / 'cs'}, crop_size: [24, 24], scale_range: [0.5, 2.0], flip: true,
        jitter: 0.2, normalize: imagenet}}
train: {{steps: 2, batch_size: 2, optimizer: sgd, lr: 0.01, loss: ohem, ohem_min_kept: 100, log_every: 1}}
eval: {{size_divisor: 8}}
device: cpu
""")
    out = tmp_path / 'run'
    assert main(['train', '--config', str(cfg), '--out', str(out), '--no-progress']) == 0
    record = json.loads((out / 'run.json').read_text())
    assert record['data']['sizes'] == {'train': 4, 'val': 1} and record['data']['num_classes'] == 19
    assert 'RandomCrop((24, 24)' in record['data']['train_transform'] and len(record['metrics']['iou']) == 19
    assert main(['eval', '--config', str(cfg), '--weights', str(out / 'model.pt'), 'eval.scales=[0.5,1.0]',
                 'eval.flip=true', '--out', str(tmp_path / 'ev'), '--no-progress']) == 0
