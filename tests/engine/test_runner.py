"""graphseg.engine.runner: configs adapted to the machine, loudly."""
import os

import numpy as np
import pytest

from graphseg.cli import main
from graphseg.engine.config import load_run_config
from graphseg.engine.runner import fit_to_machine, prepare
from tests.helpers import _img, _label

SMALL = ['train.steps=1', 'train.batch_size=2', 'data.kwargs.num_samples=4',
         'data.val_kwargs.num_samples=2', 'data.kwargs.size=48']


def test_cluster_settings_on_one_cpu_process_are_reported_and_adapted():
    config = load_run_config('digits', SMALL + [
        'model.sync_bn=true', 'train.amp=true', 'train.num_workers=512', 'train.loss=ohem',
        'device=cpu'])
    p = prepare(config)
    notes = fit_to_machine(p)
    assert len(notes) == 4, notes
    assert notes[0].startswith('model.sync_bn: true, but this is a single process')
    assert notes[1].startswith('train.amp: true, but the device is cpu: training in float32')
    cores = len(os.sched_getaffinity(0))
    assert notes[2] == (f'train.num_workers = 512, but this process has {cores} CPU core(s): '
                        f'using {cores} (the data and its order are the same)')
    assert notes[3].startswith('train.ohem_min_kept = 100000 is at least the 4608 pixels of a '
                               "process's batch (2 x 48x48)")
    run = p.run_config
    assert (run.model.sync_bn, run.train.amp, run.train.num_workers) == (False, False, cores)
    assert p.config == config  # recorded and checkpointed as written


def test_a_config_that_fits_gets_no_notes():
    p = prepare(load_run_config('digits', SMALL + ['device=cpu']))
    assert fit_to_machine(p) == [] and p.run_config == p.config


def _void_camvid(tmp_path):
    """A CamVid tree whose every training label pixel is void (11, outside the 11 classes; the
    val labels are road) and a config that trains on it."""
    root = tmp_path / 'camvid'
    for split in ('train', 'val'):
        for i in range(3):
            _img(str(root / split / f'{i}.png'), 6, 8)
            lab = np.full((6, 8), 11 if split == 'train' else 3)
            _label(str(root / f'{split}annot' / f'{i}.png'), lab)
    config = tmp_path / 'void.yaml'
    config.write_text(f'model: {{name: fcn_small}}\ndata: {{dataset: camvid, root: "{root}", '
                      'normalize: none}\ntrain: {steps: 1, batch_size: 2}\ndevice: cpu\n')
    return str(config)


def test_a_training_split_without_valid_labels_is_refused_before_training(tmp_path):
    """Issue 19: labels all outside the label table trained at loss 0.0 and "completed"."""
    config = _void_camvid(tmp_path)
    with pytest.raises(ValueError, match=r"CamVid\(root='.*camvid', split='train'\): no pixel of "
                                         r"all 3 label files has a valid label"):
        prepare(load_run_config(config))
    out = tmp_path / 'run'
    with pytest.raises(SystemExit) as e:
        main(['train', '--config', config, '--out', str(out)])
    line = str(e.value.code)
    assert line.startswith("graphseg train: error: CamVid(root='") and '\n' not in line
    assert 'no pixel of all 3 label files has a valid label' in line
    assert not out.exists()  # refused before the run folder is created
    p = prepare(load_run_config(config), train=False)  # evaluation alone is not checked
    assert p.train_set is None and len(p.val_set) == 3
