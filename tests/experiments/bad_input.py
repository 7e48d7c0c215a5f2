"""Bad-input rows of graphseg.experiments.demo's measurement helpers: ``ERRORS``, ``ACCEPTED`` and
``NO_ROW``, in the format of tests/test_bad_input.py (run by tests/experiments/test_demo.py until
that table collects this module too)."""
from __future__ import annotations

import torch
from torch import nn

from graphseg.experiments import demo

E, T = ValueError, TypeError


def _models():
    return {'a': nn.Conv2d(3, 4, 3, padding=1), 'b': nn.Conv2d(3, 4, 1)}


def _input(size):
    return torch.rand(1, 3, size, size)


ERRORS = [
    ('experiments.inference_scaling: no models',
     lambda: demo.inference_scaling({}, _input, [8]), E,
     r'models must be a non-empty dict name -> model, got \{\}'),
    ('experiments.inference_scaling: make_input not callable',
     lambda: demo.inference_scaling(_models(), 3, [8]), T, r'make_input must be callable, got int'),
    ('experiments.inference_scaling: sizes empty',
     lambda: demo.inference_scaling(_models(), _input, []), E,
     r'sizes must be a non-empty list of image sides, got \[\]'),
    ('experiments.inference_scaling: size 0',
     lambda: demo.inference_scaling(_models(), _input, [0]), E,
     r'sizes\[i\] must be an int >= 1, got 0'),
    ('experiments.inference_scaling: repeat 0',
     lambda: demo.inference_scaling(_models(), _input, [8], repeat=0), E,
     r'repeat must be an int >= 1, got 0'),
    ('experiments.fast_models: not a dict',
     lambda: demo.fast_models([nn.Conv2d(3, 3, 1)]), E,
     r'models must be a non-empty dict name -> model, got \[Conv2d'),
    ('experiments.fast_models: a value not a module',
     lambda: demo.fast_models({'m': 'fcn_small'}), T, r'model must be an nn.Module, got str'),
    ('experiments.inference_scaling: fast not a bool',
     lambda: demo.inference_scaling(_models(), _input, [8], fast='yes'), T,
     r'fast must be a bool, got str'),
    ('experiments.inference_scaling: input of another size',
     lambda: demo.inference_scaling(_models(), lambda s: torch.rand(1, 3, 5, 5), [8]), E,
     r'make_input\(8\) must return a \(B, C, 8, 8\) tensor, got \(1, 3, 5, 5\)'),
    ('experiments.digit_canvas: not a RunConfig', lambda: demo.digit_canvas({}, 64), T,
     r'config must be a RunConfig, got dict'),
    ('experiments.digit_canvas: size too small',
     lambda: demo.digit_canvas(demo.demo_configs(demo.DemoOptions(models=['fcn_small']))[
         'fcn_small'], 16), E, r'size must be an int in \[32, 1024\], got 16'),
    ('experiments.readme_block: not a demo record',
     lambda: demo.readme_block({'command': 'train'}), E,
     r"record must be the run.json of a graphseg demo run \(command 'demo'\), got 'train'"),
    ('experiments.readme_block: a failed run',
     lambda: demo.readme_block({'command': 'demo', 'status': 'failed'}), E,
     r"record must be a completed demo run \(status 'completed'\), got status 'failed'"),
    ('experiments.readme_block: an older run.json',
     lambda: demo.readme_block({'command': 'demo', 'status': 'completed', 'options': {}}), E,
     r"record must have the keys \['results', 'wall_seconds', 'scaling', 'machine'\]"),
    ('experiments.readme_block: a single-pair scaling record',
     lambda: demo.readme_block({'command': 'demo', 'status': 'completed', 'options': {},
                                'results': {}, 'wall_seconds': 1., 'machine': {},
                                'scaling': {'sizes': [64], 'ratios': {}}}), E,
     r"record\['scaling'\] must list the timed \(dense, HG-Conv\) pairs under 'pairs'"),
]

ACCEPTED = [
    ('experiments.inference_scaling: one model (no ratios)',
     lambda: demo.inference_scaling({'a': nn.Conv2d(3, 4, 1)}, _input, [8, 16], repeat=1,
                                    warmup=0),
     lambda r: r['ratios'] == {} and r['reference'] == 'a' and len(r['seconds']['a']) == 2),
]

NO_ROW = {
    'experiments.write_scaling_figure': 'draws what inference_scaling returned '
                                        '(plot_inference_scaling checks it)',
    'experiments.scaling_table': 'formats what inference_scaling returned',
}
