"""The demo tour: its defaults, inference time against image size, bad input."""
import os

import pytest
import torch
from torch import nn

from graphseg.engine import load_run_config
from graphseg.experiments import demo
from tests.experiments import bad_input
from tests.helpers import ROOT


def test_demo_defaults_equal_configs_digits():
    from graphseg.experiments.demo import DIGITS
    shipped = os.path.join(ROOT, 'graphseg', 'configs', 'digits.yaml')
    assert load_run_config(DIGITS) == load_run_config(shipped)


# ---------------------------------------------------------------- inference time vs image size


def test_inference_scaling_times_and_counts_every_model_at_every_size():
    torch.manual_seed(0)
    models = {'dense': nn.Conv2d(3, 8, 3, padding=1), 'pointwise': nn.Conv2d(3, 8, 1)}
    seen = []

    def make_input(size):
        seen.append(size)
        return torch.rand(2, 3, size, size)
    r = demo.inference_scaling(models, make_input, [8, 16, 32], repeat=2, warmup=0)
    assert seen == [8, 16, 32] and r['sizes'] == [8, 16, 32] and r['batch'] == 2
    assert r['reference'] == 'dense' and list(r['ratios']) == ['pointwise']
    assert all(len(v) == 3 and min(v) > 0 for v in r['seconds'].values())
    # MACs per image, an independent count: C_in * C_out * k * k per output pixel
    assert r['macs']['dense'] == [3 * 8 * 9 * s * s for s in (8, 16, 32)]
    assert r['macs']['pointwise'] == [3 * 8 * s * s for s in (8, 16, 32)]
    assert r['ratios']['pointwise']['mac_ratio'] == pytest.approx([1 / 9] * 3)
    ratio = [p / d for p, d in zip(r['seconds']['pointwise'], r['seconds']['dense'])]
    assert r['ratios']['pointwise']['time_ratio'] == pytest.approx(ratio)
    table = demo.scaling_table(r)
    assert 'pointwise time ratio' in table and '0.11x' in table  # the MAC ratio, 1/9


def test_inference_scaling_times_the_fast_path_and_counts_the_model(monkeypatch):
    """fast=True times optimize_for_inference's model (BatchNorm folded) and leaves the models
    as they were; MACs are the model's own."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8))
    calls = []
    folded = demo.fast_models({'m': model})['m']
    assert isinstance(folded.model[1], nn.Identity) and isinstance(model[1], nn.BatchNorm2d)
    real = demo.fast_models

    def spy(models):
        calls.append(list(models))
        return real(models)
    monkeypatch.setattr(demo, 'fast_models', spy)
    r = demo.inference_scaling({'m': model}, lambda s: torch.rand(1, 3, s, s), [8], repeat=1,
                               warmup=0, fast=True)
    assert calls == [['m']] and r['fast'] is True
    assert isinstance(model[1], nn.BatchNorm2d)  # the model itself is not folded
    assert r['macs']['m'][0] >= 3 * 8 * 9 * 64  # the convolution at least, counted on the model


def test_digit_canvas_is_a_validation_canvas_at_the_size_asked():
    config = demo.demo_configs(demo.DemoOptions(models=['fcn_small'], gray=True))['fcn_small']
    x = demo.digit_canvas(config, 96)
    assert x.shape == (1, 1, 96, 96) and 0 <= float(x.min()) and float(x.max()) <= 1
    assert torch.equal(x, demo.digit_canvas(config, 96))  # seeded: the same canvas each time


# ---------------------------------------------------------------- the README block


def _record(**changes):
    """A demo run.json as ``graphseg demo`` writes it (the keys readme_block reads)."""
    record = {
        'command': 'demo', 'status': 'completed', 'failures': [], 'wall_seconds': 71.6,
        'options': {'quick': False, 'model': 'fcn_small,hg_fcn_small', 'steps': 600,
                    'batch_size': 16, 'train_samples': 4000, 'val_samples': 500, 'size': 64,
                    'seed': 0},
        'machine': {'cpu': 'Some CPU', 'cpu_count': 2, 'torch_threads': 2},
        'results': {'fcn_small': {'metrics': {'miou': 0.20449, 'pixel_acc': 0.9441},
                                  'macs': 34078720, 'params': 131179},
                    'hg_fcn_small': {'metrics': {'miou': 0.1712, 'pixel_acc': 0.93951},
                                     'macs': 15304000, 'params': 131179}},
        'scaling': {'pairs': [
            {'label': demo.TRAINED_LABEL, 'trained': True, 'sizes': [64, 512],
             'ratios': {'hg_fcn_small': {
                 'text': 'hg_fcn_small is not faster than fcn_small at any size measured (up to '
                         '512²): it takes 2.10–4.00× the time for 0.45× the MACs'}}},
            {'label': demo.PAPER_LABEL, 'trained': False, 'sizes': [128, 512],
             'ratios': {'hg_resnet18': {
                 'text': 'hg_resnet18 is faster than resnet18_dilated from 256² on (measured up '
                         'to 512²): it takes 0.58–1.10× the time for 0.40× the MACs'}}}]},
    }
    record.update(changes)
    return record


def test_readme_block_quotes_the_record():
    block = demo.readme_block(_record())
    assert block == '\n'.join([
        '<!-- demo:begin -->',
        '`graphseg demo` (600 steps of 16 per model; 4,000 training / 500 validation digit '
        'canvases of 64x64; seed 0), as its `run.json` records it:',
        '',
        '| model | val mIoU | pixel acc | MACs / image | params |',
        '| --- | --- | --- | --- | --- |',
        '| `fcn_small` | 0.204 | 0.944 | 34.1 M | 131,179 |',
        '| `hg_fcn_small` | 0.171 | 0.940 | 15.3 M | 131,179 |',
        '',
        'Wall time: 72 s (`wall_seconds`) on Some CPU (2 cores, 2 torch threads).',
        'Inference time against image size (`inference_scaling.png`):',
        '- demo models (trained), 64² to 512²: hg_fcn_small is not faster than fcn_small at any '
        'size measured (up to 512²): it takes 2.10–4.00× the time for 0.45× the MACs.',
        "- papers' networks (untrained, timed only), 128² to 512²: hg_resnet18 is faster than "
        'resnet18_dilated from 256² on (measured up to 512²): it takes 0.58–1.10× the time for '
        '0.40× the MACs.',
        '<!-- demo:end -->', ''])
    # the command line says what was run when it is not the README's plain command
    quick = demo.readme_block(_record(options={**_record()['options'], 'quick': True,
                                               'model': 'fcn_small,hg_fcn_resnet18'}))
    assert '`graphseg demo --quick --model fcn_small,hg_fcn_resnet18`' in quick
    one = demo.readme_block(_record(scaling={'pairs': [{'label': demo.TRAINED_LABEL,
                                                         'sizes': [64], 'ratios': {}}]}))
    assert 'Inference time against image size: not measured (one model only).' in one
    # a run.json of the single-pair format (before the papers' pair was timed) is refused
    old = _record(scaling={'sizes': [64, 512], 'ratios': {}})
    with pytest.raises(ValueError, match=r"record\['scaling'\] must list the timed \(dense, "
                                         r"HG-Conv\) pairs under 'pairs'.*run the demo again"):
        demo.readme_block(old)


def test_scaling_report_and_figure_show_every_pair(tmp_path):
    """Both pairs in report.md (a section each, the untrained pair said to be timed only) and in
    the figure (one row each), from measured pairs of tiny models."""
    torch.manual_seed(0)
    pairs = []
    for label, wide in ((demo.TRAINED_LABEL, 4), (demo.PAPER_LABEL, 16)):
        models = {f'dense{wide}': nn.Conv2d(3, wide, 3, padding=1),
                  f'point{wide}': nn.Conv2d(3, wide, 1)}
        r = demo.inference_scaling(models, lambda s: torch.rand(1, 3, s, s), [8, 16], repeat=1,
                                   warmup=0)
        pairs.append({'label': label, 'trained': label == demo.TRAINED_LABEL, **r})
    scaling = {'pairs': pairs}
    (tmp_path / 'figures').mkdir()
    scaling['figure'] = demo.write_scaling_figure(scaling, str(tmp_path))
    assert scaling['figure'] == os.path.join('figures', 'inference_scaling.png')
    assert (tmp_path / scaling['figure']).stat().st_size > 1000
    demo.write_report(str(tmp_path), demo.DemoOptions(), 'table', [scaling['figure']], [],
                      scaling)
    report = (tmp_path / 'report.md').read_text()
    assert f'### {demo.TRAINED_LABEL}, batch 1' in report
    assert f'### {demo.PAPER_LABEL}, batch 1' in report and '**untrained**' in report
    for p, name in zip(pairs, ('point4', 'point16')):
        assert p['ratios'][name]['text'] in report and f'{name} time ratio' in report


@pytest.mark.parametrize('case', bad_input.ERRORS, ids=[r[0] for r in bad_input.ERRORS])
def test_bad_input_is_rejected_by_name(case):
    _, call, exc, fragment = case
    with pytest.raises(exc, match=fragment):
        call()


@pytest.mark.parametrize('case', bad_input.ACCEPTED, ids=[r[0] for r in bad_input.ACCEPTED])
def test_odd_input_gives_a_sensible_result(case):
    _, call, check = case
    assert check(call())
