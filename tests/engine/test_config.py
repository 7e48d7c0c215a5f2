"""Config schema: flat train configs, run configs naming key and file, every shipped config
validates."""
import glob
import os

import pytest

from graphseg.engine import ConfigError, TrainConfig, load_config, load_run_config
from graphseg.models import list_models
from tests.helpers import ROOT


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
    assert (c.train.lr, c.train.optimizer, c.data.crop_size, c.model.kwargs) == (0.05, 'sgd',
                                                                                 [16, 24],
                                                                                 {'width': 8})
    cases = [
        ('train: {optimizer: sgdd}',
         r"run.yaml: train.optimizer must be one of \('sgd', 'adamw', 'adam'\), got 'sgdd'"),
        ('train: {stepz: 3}', r"run.yaml: unknown key train.stepz; known keys of train"),
        ('trian: {steps: 3}', r"run.yaml: unknown key trian; known keys"),
        ('train: {lr: fast}', r"run.yaml: train.lr must be a number, got 'fast'"),
        ('train: {steps: 2.5}', r"run.yaml: train.steps must be an integer, got 2.5"),
        ('train: {amp: 1}', r"run.yaml: train.amp must be true or false, got 1"),
        ('data: {crop_size: [0, 4]}', r"run.yaml: data.crop_size must be \[h, w\]"),
        ('model: {name: nope}',
         r"run.yaml: model.name must be a registered segmentation model .*got 'nope'"),
        # a backbone
        ('model: {name: resnet18}', r"model.name must be a registered segmentation model"),
        ('data: {dataset: cityscape}', r"run.yaml: data.dataset must be one of .*got 'cityscape'"),
        ('eval: {task: depth}',
         r"run.yaml: eval.task must be one of \('semantic', 'saliency', 'road'\) or null"),
        ('[1, 2]', r"run.yaml: must hold a mapping"),
    ]
    for text, msg in cases:
        p.write_text(text)
        with pytest.raises(ConfigError, match=msg):
            load_run_config(p)
    p.write_text('train: {steps: 3}')
    with pytest.raises(ConfigError,
                       match=r"run.yaml \(with overrides\): train.lr must be a finite number > 0"):
        load_run_config(p, ['train.lr=-1'])
    with pytest.raises(ConfigError,
                       match="override must look like section.key=value, got 'train.lr'"):
        load_run_config(p, ['train.lr'])
    with pytest.raises(FileNotFoundError, match="config file .*nope.yaml' does not exist"):
        load_run_config(tmp_path / 'nope.yaml')


def test_every_shipped_config_validates():
    """Strict: each configs/*.yaml must load, its model must be registered and its dataset known."""
    files = sorted(glob.glob(os.path.join(ROOT, 'graphseg', 'configs', '*.yaml')))
    assert len(files) >= 8
    bad = {}
    for f in files:
        try:
            load_run_config(f)
        except ConfigError as e:
            bad[os.path.basename(f)] = (
                str(e).split(': ', 1)[1].replace(str(list_models(task='segmentation')), '[...]')
            )
    assert not bad, (
        f"invalid shipped configs (registered: {list_models(task='segmentation')}): {bad}"
    )


def test_shipped_configs_resolve_by_name_and_old_paths():
    from graphseg.engine.config import resolve_config
    path = resolve_config('digits')
    assert os.path.isfile(path) and path.endswith(os.path.join('graphseg', 'configs',
                                                              'digits.yaml'))
    assert resolve_config('digits.yaml') == path
    assert resolve_config('configs/digits.yaml') == path  # the README's path before it was shipped
    with pytest.raises(FileNotFoundError, match=r"config file '/x/digits.yaml' does not exist "
                                                r"\(graphseg ships a config named 'digits'"):
        resolve_config('/x/digits.yaml')


def test_every_config_key_is_documented():
    from graphseg.engine.config import RunConfig, config_docs
    docs = config_docs()
    assert len(docs) >= 40 and 'train.device' not in docs
    assert not [k for k, (_, doc) in docs.items() if not doc]
    defaults = RunConfig().to_dict()
    for key, (default, _) in docs.items():
        head, _, name = key.rpartition('.')
        assert (defaults[head][name] if head else defaults[name]) == default, key


def test_one_device_key():
    from graphseg.engine.config import ConfigError
    assert 'device' not in load_run_config(None).to_dict()['train']
    with pytest.raises(ConfigError, match=r"train.device is not a run-config key: a run has one "
                                          r"device key, the top-level device"):
        load_run_config({'train': {'device': 'cpu'}})
