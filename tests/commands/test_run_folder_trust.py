"""The research loop loses nothing, runs no foreign code and never continues a different run.

Fault injection on the real command line: crafted pickle payloads at every loader (a marker file
must not appear), SIGKILL at random points of a training run (every checkpoint and weights file on
disk loads or is absent; resuming ends bit-exact with an uninterrupted run), a full disk (``ulimit
-f``), two commands on one run folder, symbolic links in a run folder, corrupted bytes, non-finite
weights, a changed config on resume, SIGTERM.
"""
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time

import pytest
import torch

from graphseg.cli import main
from graphseg.engine import load_checkpoint
from tests.helpers import ROOT

CFG = os.path.join(ROOT, 'graphseg', 'configs', 'digits.yaml')
TINY = ['model.kwargs={width: 8}',
        'data.kwargs={num_samples: 16, size: 32, scale: [0.8, 1.1], rgb: true}',
        'data.val_kwargs={num_samples: 4}', 'train.steps=4', 'train.batch_size=4',
        'train.log_every=2', 'train.checkpoint_every=2', 'device=cpu']


def _env():
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''),
                OMP_NUM_THREADS='1')


def _cli(*args, **kwargs):
    return subprocess.run([sys.executable, '-m', 'graphseg', *args], capture_output=True, text=True,
                          env=_env(), timeout=600, **kwargs)


def _train(out, *extra, steps=4):
    args = ['train', '--config', CFG, *TINY, f'train.steps={steps}', *extra, '--out', str(out),
            '--no-progress']
    assert main(args) == 0


class _Payload:
    """Pickles into a call of ``os.system`` that creates the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


def _payload_file(path, marker, wrap=lambda p: p):
    torch.save(wrap({'model': {'w': torch.ones(1)}, 'x': _Payload(marker)}), path)
    return path


# --------------------------------------------------------------------------------------------- code

def test_no_loader_runs_a_pickle_payload(tmp_path):
    """--resume, eval --weights, model.weights, load_checkpoint, load_pretrained, load_official:
    each refuses the file in one line and the payload never runs."""
    marker = tmp_path / 'PWNED'
    evil = _payload_file(tmp_path / 'evil.pt', marker)
    out = tmp_path / 'run'
    _train(out)
    cases = [
        ['train', '--config', CFG, *TINY, '--out', str(tmp_path / 'r2'), '--resume', str(evil)],
        ['eval', '--config', CFG, *TINY, '--weights', str(evil), '--out', str(tmp_path / 'e')],
        ['train', '--config', CFG, *TINY, f'model.weights={evil}', '--out', str(tmp_path / 'r3')],
    ]
    for argv in cases:
        with pytest.raises(SystemExit, match='unsafe unpickler'):
            main(argv)
    from graphseg.models import fcn_small, load_official, load_pretrained, resnet18
    for call in (lambda: load_checkpoint(evil), lambda: load_pretrained(resnet18(), evil),
                 lambda: load_official(fcn_small(), evil)):
        with pytest.raises((ValueError, TypeError)):
            call()
    assert not marker.exists()
    assert not (tmp_path / 'r2').exists() and not (tmp_path / 'r3').exists()


def test_allow_unsafe_load_is_an_explicit_opt_in(tmp_path):
    """A checkpoint of an older graphseg (NumPy state pickled) loads only with
    --allow-unsafe-load."""
    import numpy as np
    out = tmp_path / 'run'
    _train(out, steps=2)
    ckpt = load_checkpoint(out / 'checkpoint.pt')
    old = dict(ckpt, rng=[dict(s, numpy=np.random.get_state()) for s in ckpt['rng']])
    torch.save(old, out / 'old.pt')
    with pytest.raises(SystemExit, match='unsafe unpickler'):
        main(['train', '--config', CFG, *TINY, '--out', str(out), '--resume', str(out / 'old.pt')])
    assert main(['train', '--config', CFG, *TINY, 'train.steps=4', '--out', str(out), '--resume',
                 str(out / 'old.pt'), '--allow-unsafe-load', '--no-progress']) == 0


# --------------------------------------------------------------------------------------------- data

def _loads_or_absent(folder):
    for name in ('checkpoint.pt', 'model.pt'):
        path = folder / name
        if path.exists():
            load_checkpoint(path)  # complete, and its checksum matches
    for leftover in os.listdir(folder):
        assert not leftover.endswith('.tmp') or leftover.startswith('.'), leftover


def test_sigkill_at_random_points_loses_nothing_and_resume_is_bit_exact(tmp_path):
    args = ['train', '--config', CFG, *TINY, 'train.steps=6', 'train.checkpoint_every=1',
            '--no-progress']
    ref = tmp_path / 'ref'  # uninterrupted, in the same kind of process (one thread: same sums)
    assert _cli(*args, '--out', str(ref)).returncode == 0
    reference = load_checkpoint(ref / 'model.pt')
    rng = random.Random(0)
    out = tmp_path / 'killed'
    args += ['--out', str(out)]
    for attempt in range(3):
        extra = ['--resume'] if (out / 'checkpoint.pt').exists() else []
        proc = subprocess.Popen([sys.executable, '-m', 'graphseg', *args, *extra], env=_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(4.0, 9.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if out.exists():
            _loads_or_absent(out)
    extra = ['--resume'] if (out / 'checkpoint.pt').exists() else []
    res = _cli(*args, *extra, '--overwrite' if not extra and out.exists() else '--no-progress')
    assert res.returncode == 0, res.stderr
    _loads_or_absent(out)
    final = load_checkpoint(out / 'model.pt')
    assert final.keys() == reference.keys()
    assert all(torch.equal(final[k], reference[k]) for k in final)  # bit-exact


def test_a_full_disk_leaves_the_previous_files_intact(tmp_path):
    out = tmp_path / 'run'
    _train(out)
    before = {n: (out / n).read_bytes() for n in ('model.pt', 'checkpoint.pt', 'config.yaml')}

    def limit():  # the child may write files of at most 64 KiB (RLIMIT_FSIZE, `ulimit -f`)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill

    res = subprocess.run([sys.executable, '-m', 'graphseg', 'train', '--config', CFG, *TINY,
                          'train.steps=6', '--out', str(out), '--resume', '--no-progress'],
                         capture_output=True, text=True, env=_env(), timeout=600, preexec_fn=limit)
    assert res.returncode == 1, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('graphseg train: error:'), res.stderr[-2000:]
    _loads_or_absent(out)
    assert (out / 'model.pt').read_bytes() == before['model.pt']  # never truncated
    assert load_checkpoint(out / 'checkpoint.pt')['step'] in (4, 6)


# ------------------------------------------------------------------------------------------ folders

def test_two_commands_on_one_run_folder(tmp_path):
    out = tmp_path / 'run'
    args = ['train', '--config', CFG, *TINY, 'train.steps=100000', 'train.log_every=100',
            'train.checkpoint_every=0', '--out', str(out), '--no-progress']
    first = subprocess.Popen([sys.executable, '-m', 'graphseg', *args], env=_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):  # the first holds the lock once its folder exists
            if (out / '.graphseg.lock').exists() and (out / '.graphseg.lock').read_text():
                break
            time.sleep(0.1)
        res = _cli(*args[:-3], '--out', str(out), '--overwrite')
        assert res.returncode == 1
        assert f'is in use by pid {first.pid}' in res.stderr and len(res.stderr.splitlines()) == 1
    finally:
        first.kill()
        first.wait()


def test_symbolic_links_in_a_run_folder_are_replaced_not_followed(tmp_path):
    out = tmp_path / 'run'
    _train(out, steps=2)
    outside = tmp_path / 'precious.yaml'
    outside.write_text('mine')
    weights = tmp_path / 'precious.pt'
    torch.save({'mine': torch.ones(1)}, weights)
    for name, target in (('config.yaml', outside), ('model.pt', weights)):
        (out / name).unlink()
        (out / name).symlink_to(target)
    _train(out, '--overwrite', steps=2)
    assert outside.read_text() == 'mine' and torch.equal(torch.load(weights)['mine'], torch.ones(1))
    assert not (out / 'config.yaml').is_symlink() and not (out / 'model.pt').is_symlink()


def test_resume_into_another_run_needs_overwrite(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    _train(a, steps=2)
    _train(b, steps=2)
    before = (b / 'model.pt').read_bytes()
    with pytest.raises(SystemExit, match='belongs to another run folder'):
        main(['train', '--config', CFG, *TINY, '--out', str(b), '--resume',
              str(a / 'checkpoint.pt')])
    assert (b / 'model.pt').read_bytes() == before


def test_a_failed_overwrite_leaves_no_old_weights_beside_a_new_config(tmp_path):
    out = tmp_path / 'run'
    _train(out, steps=2)
    with pytest.raises(SystemExit, match='training diverged'):
        main(['train', '--config', CFG, *TINY, 'train.lr=1e30', 'train.steps=2', '--out', str(out),
              '--overwrite', '--no-progress'])
    assert not (out / 'model.pt').exists()
    record = json.loads((out / 'run.json').read_text())
    assert record['status'] == 'failed' and 'train.lr' in record['error']


# ---------------------------------------------------------------------------------------- integrity

def test_corrupted_bytes_are_refused_by_name(tmp_path):
    out = tmp_path / 'run'
    _train(out, steps=2)
    data = bytearray((out / 'model.pt').read_bytes())
    data[len(data) // 2] ^= 0x01
    (out / 'model.pt').write_bytes(bytes(data))
    with pytest.raises(SystemExit, match=r"model\.pt' is corrupted"):
        main(['eval', '--config', CFG, *TINY, '--weights', str(out / 'model.pt'), '--out',
              str(tmp_path / 'e')])
    assert not (tmp_path / 'e').exists()


def test_non_finite_training_stops_in_one_line_and_keeps_the_good_checkpoint(tmp_path):
    out = tmp_path / 'run'
    _train(out, 'train.checkpoint_every=1', steps=2)
    good = load_checkpoint(out / 'checkpoint.pt')
    res = _cli('train', '--config', CFG, *TINY, 'train.steps=6', 'train.checkpoint_every=1',
               'train.lr=1e30', '--out', str(out), '--resume', str(out / 'checkpoint.pt'),
               '--no-progress')
    # a changed lr is refused before anything runs
    assert res.returncode == 1 and 'train.lr' in res.stderr and len(res.stderr.splitlines()) == 1
    res = _cli('train', '--config', CFG, *TINY, 'train.steps=3', 'train.lr=1e30', '--out',
               str(tmp_path / 'nan'), '--no-progress')
    assert res.returncode == 1 and len(res.stderr.splitlines()) == 1, res.stderr[-2000:]
    assert 'training diverged' in res.stderr and 'lower train.lr' in res.stderr
    assert not (tmp_path / 'nan' / 'model.pt').exists()
    assert torch.equal(load_checkpoint(out / 'checkpoint.pt')['model']['classifier.weight'],
                       good['model']['classifier.weight'])


def test_eval_refuses_non_finite_weights(tmp_path):
    out = tmp_path / 'run'
    _train(out, steps=2)
    state = load_checkpoint(out / 'model.pt')
    state['classifier.weight'][0, 0] = float('nan')
    torch.save(state, tmp_path / 'nan.pt')
    with pytest.raises(SystemExit, match=r"non-finite weights .*classifier\.weight"):
        main(['eval', '--config', CFG, *TINY, '--weights', str(tmp_path / 'nan.pt'), '--out',
              str(tmp_path / 'e')])


# ------------------------------------------------------------------------------------------- resume

def test_resume_means_the_same_run(tmp_path):
    out = tmp_path / 'run'
    _train(out)
    resume = ['--out', str(out), '--resume', '--no-progress']
    for override, fragment in (('train.lr=0.05', 'train.lr'), ('train.optimizer=sgd', 'optimizer'),
                               ('train.steps=2', 'train.steps >= 4'),
                               ('model.kwargs={width: 16}', 'does not fit')):
        with pytest.raises(SystemExit, match=fragment):
            main(['train', '--config', CFG, *TINY, override, *resume])
    assert main(['train', '--config', CFG, *TINY, 'train.steps=6', *resume]) == 0
    record = json.loads((out / 'run.json').read_text())
    assert record['resume_changed'] == ['train.steps'] and record['train_log'][-1]['step'] == 6
    import yaml
    assert yaml.safe_load((out / 'config.yaml').read_text())['train']['steps'] == 6


def test_a_weights_file_is_not_a_checkpoint_to_resume(tmp_path):
    out = tmp_path / 'run'
    _train(out, steps=2)
    with pytest.raises(SystemExit, match=r'not a training checkpoint \(it lacks model, optimizer'):
        main(['train', '--config', CFG, *TINY, '--out', str(tmp_path / 'b'), '--resume',
              str(out / 'model.pt')])


def test_sigterm_checkpoints_and_records_the_interruption(tmp_path):
    out = tmp_path / 'run'
    proc = subprocess.Popen([sys.executable, '-m', 'graphseg', 'train', '--config', CFG, *TINY,
                             'train.steps=100000', 'train.checkpoint_every=0', 'train.log_every=1',
                             '--out', str(out), '--no-progress'], env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(1200):  # wait until steps run
        if (out / 'run.json').exists():
            break
        time.sleep(0.1)
    time.sleep(8)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    record = json.loads((out / 'run.json').read_text())
    assert record['status'] == 'interrupted'
    assert load_checkpoint(out / 'checkpoint.pt')['step'] >= 1  # the steps done are kept
