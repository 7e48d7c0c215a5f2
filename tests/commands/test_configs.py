"""``graphseg configs`` and ``graphseg config show``: the shipped configs, found by name."""
import os

import pytest

from graphseg.cli import main
from graphseg.engine.config import load_run_config, parse_yaml, shipped_configs


def test_configs_lists_every_shipped_config_with_a_summary(capsys):
    assert main(['configs']) == 0
    out = capsys.readouterr().out
    shipped = shipped_configs()
    assert len(shipped) >= 9 and 'digits' in shipped and 'hg_resnet18_cityscapes' in shipped
    for name, summary in shipped.items():
        assert 10 <= len(summary) <= 120 and not summary.endswith(':'), (name, summary)
        assert any(line.split() and line.split()[0] == name and summary in line
                   for line in out.splitlines()), name


def test_config_show_prints_every_key_and_loads_back(capsys):
    assert main(['config', 'show', 'hg_resnet18_cityscapes', 'train.steps=7']) == 0
    out = capsys.readouterr().out
    assert out.startswith('# ') and 'hg_resnet18_cityscapes.yaml with train.steps=7' in out
    shown = load_run_config(parse_yaml(out, 'shown'))
    assert shown == load_run_config('hg_resnet18_cityscapes', ['train.steps=7'])
    assert '# optimisation steps. [default: 300]\n  steps: 7\n' in out
    assert 'device: auto' in out and '  device:' not in out  # one device key


def test_config_show_of_a_file_and_of_an_unknown_name(tmp_path, capsys):
    path = tmp_path / 'mine.yaml'
    path.write_text('model: {name: hg_fcn_small}\n')
    assert main(['config', 'show', str(path)]) == 0
    assert 'name: hg_fcn_small' in capsys.readouterr().out
    with pytest.raises(SystemExit, match=r"graphseg config: error: config 'digts' is neither a "
                                         r"file nor a shipped config \(did you mean 'digits'\?\)"):
        main(['config', 'show', 'digts'])


def test_train_by_name_from_an_empty_folder(tmp_path, monkeypatch, capsys):
    """What a wheel user types: ``graphseg train --config digits`` in a folder with no configs/."""
    monkeypatch.chdir(tmp_path)
    assert main(['train', '--config', 'digits', 'train.steps=1', 'train.batch_size=2',
                 'data.kwargs.num_samples=4', 'data.val_kwargs.num_samples=2',
                 '--no-progress']) == 0
    assert os.path.isfile(tmp_path / 'runs' / 'digits' / 'model.pt')
    saved = (tmp_path / 'runs' / 'digits' / 'config.yaml').read_text()
    assert 'device: auto' in saved and '  device:' not in saved
