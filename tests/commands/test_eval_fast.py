"""``graphseg eval --fast``: the inference fast path gives the metrics of plain eval, in its own
folder, and records what it applied."""
import json

import pytest

from graphseg.cli import main

SMALL = ['train.steps=2', 'train.batch_size=2', 'data.kwargs.num_samples=4',
         'data.val_kwargs.num_samples=3', 'data.kwargs.size=48']


def test_eval_fast_equals_eval(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # eval --fast keeps freed CPU memory (process-wide): recorded here, not applied to the test
    # session (tests/models/test_inference.py checks the setting in a subprocess)
    import graphseg.models.inference as inference
    kept = []
    monkeypatch.setattr(inference, '_keep_cpu_memory', lambda enable: kept.append(enable) or True)
    run = tmp_path / 'runs' / 'd'
    assert main(['train', '--config', 'digits', *SMALL, '--out', str(run), '--no-progress']) == 0
    argv = ['eval', '--config', str(run / 'config.yaml'), '--weights', str(run / 'model.pt'),
            '--no-progress']
    assert main(argv) == 0
    assert main(argv + ['--fast']) == 0
    assert main(argv + ['--fast', '--fast-dtype', 'bfloat16']) == 0
    folders = sorted((run / 'eval').iterdir())
    names = [f.name for f in folders]
    assert len(names) == 3, names
    plain = next(f for f in folders if not f.name.endswith(('-fast', '-fast-bfloat16')))
    fast = next(f for f in folders if f.name.endswith('-fast'))
    bf16 = next(f for f in folders if f.name.endswith('-fast-bfloat16'))
    assert fast.name == plain.name + '-fast'
    ref, out, low = (json.loads((f / 'run.json').read_text()) for f in (plain, fast, bf16))
    assert 'fast' not in ref
    assert out['fast']['folded_bn'] > 0 and out['fast']['remaining_bn'] == 0
    assert out['fast']['dtype'] == 'None' and low['fast']['dtype'] == 'torch.bfloat16'
    assert set(out['fast']['layout_seconds']) == {'contiguous', 'channels_last'}
    assert kept == [True, True] and out['fast']['keep_cpu_memory'] is True
    # float32 fast path: the same predictions up to float rounding, so the same confusion matrix
    for key in ('miou', 'pixel_acc'):
        assert out['metrics'][key] == pytest.approx(ref['metrics'][key], abs=1e-6), key
        assert low['metrics'][key] == pytest.approx(ref['metrics'][key], abs=0.02), key


def test_fast_dtype_needs_fast(tmp_path):
    with pytest.raises(SystemExit, match='graphseg eval: error: --fast-dtype bfloat16 needs '
                                         '--fast'):
        main(['eval', '--config', 'digits', '--weights', str(tmp_path / 'model.pt'),
              '--fast-dtype', 'bfloat16', '--out', str(tmp_path / 'e')])
