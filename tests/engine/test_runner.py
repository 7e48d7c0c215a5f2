"""graphseg.engine.runner: configs adapted to the machine, loudly."""
import os

from graphseg.engine.config import load_run_config
from graphseg.engine.runner import fit_to_machine, prepare

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
