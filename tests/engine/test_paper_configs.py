"""The paper configs follow the papers' tables, key by key.

``tests/data/paper_settings.yaml`` holds the four papers' experiment settings, transcribed once:
one entry per settings row (HG-Conv Table 12, HyperSeg Table 1, RepGraph Sec. 4, QGN Supp. A.2),
the paper's hyperparameters under the paper's own names, the values the paper does not give
(``fixed``, each with the released code or common practice it comes from), what graphseg cannot
express (``no_knob``), and the row's configs with the paper's numbers.

:data:`MAPPING` turns each paper hyperparameter into the config keys it sets. Every shipped config
but ``digits`` must have a row and every row a config; each config's checked keys (:data:`CHECKED`)
must equal what its row implies, and a checked key that differs from graphseg's default must be
implied by the row (a value without an origin fails). The header must name the paper, the table
and the row, every value not taken from the paper and every missing knob. Every shipped config
also loads through the schema (``graphseg config show NAME``), names a registered model and
dataset, and passes only arguments its model factory and reader take; ``docs/reproduce.md``
lists every paper config with its row and the paper's numbers.
"""
from __future__ import annotations

import copy
import inspect
import math
import os
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
import torch
import yaml

from graphseg.cli import main
from graphseg.data.registry import DATASETS
from graphseg.engine.config import (config_docs, load_run_config, parse_yaml, read_yaml,
                                    shipped_configs)
from graphseg.models import create_model, list_models

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, 'tests', 'data', 'paper_settings.yaml')
DOC = os.path.join(ROOT, 'docs', 'reproduce.md')
CONFIGS = os.path.join(ROOT, 'graphseg', 'configs')

#: shipped configs that reproduce no paper row
NOT_PAPER = {'digits'}
#: the keys compared with the row: every other key (workers, logging, checkpoints, amp, seed,
#: data.root, eval.batch_size, eval.apls, device) is bookkeeping and free
CHECKED = ('model.name', 'model.kwargs', 'model.weights', 'model.sync_bn', 'model.backbone_weights',
           'data.dataset', 'data.train_split', 'data.val_split', 'data.kwargs', 'data.val_kwargs',
           'data.crop_size', 'data.scale_range', 'data.flip', 'data.jitter', 'data.normalize',
           'train.steps', 'train.batch_size', 'train.optimizer', 'train.lr', 'train.momentum',
           'train.betas', 'train.weight_decay', 'train.poly_power', 'train.warmup_steps',
           'train.aux_weight', 'train.loss', 'train.ohem_thresh', 'train.ohem_min_kept',
           'train.bootstrap_ratio', 'train.grad_clip', 'eval.scales', 'eval.flip',
           'eval.size_divisor', 'eval.task')
#: keys holding a mapping, compared entry by entry (``model.kwargs.ratio`` ...)
DICT_KEYS = ('model.kwargs', 'data.kwargs', 'data.val_kwargs')
PAPERS = {'hgconv': 'HG-Conv', 'hyperseg': 'HyperSeg', 'repgraph': 'RepGraph', 'qgn': 'QGN'}


# --------------------------------------------------------------------------------------------
# the paper's hyperparameter names -> config keys
@dataclass(frozen=True)
class Check:
    """An expectation that is a condition rather than one value."""
    what: str
    ok: Callable[[Any], bool]

    def __repr__(self) -> str:
        return self.what


@dataclass
class Context:
    settings: Dict[str, Any]
    dataset: Dict[str, Any]


def _frac(text: str) -> float:
    return float(Fraction(text))


def _steps_per_epoch(ctx: Context) -> int:
    return ctx.dataset['train_images'] // ctx.settings['batch_size']


def _lr_schedule(v, ctx):
    if v['type'] == 'poly':
        return {'train.poly_power': v['p']}, False
    return {}, True


def _ratio(v, ctx):
    if v is None:
        return {}, False
    if isinstance(v, list):
        return {'model.kwargs.ratios': [_frac(r) for r in v]}, False
    return {'model.kwargs.ratio': _frac(v)}, False


def _sampling(v, ctx):
    if v is None:
        return {}, False
    method = {'top-k+random': 'topk_random', 'random': 'random', 'importance': 'importance'}
    return {'model.kwargs.sampling': method[v['method']], 'model.kwargs.oversample': v['k'],
            'model.kwargs.beta': v['b']}, False


def _random_scale(v, ctx):
    if v is True:  # the paper scales but gives no range
        return {'data.scale_range': Check('a random scale range (not [1.0, 1.0])',
                                          lambda x: list(x) != [1.0, 1.0])}, False
    return {'data.scale_range': [float(s) for s in v]}, False


def _resolution(v, ctx):
    native = ctx.dataset['native_size']
    scale = v[0] / native[0]
    assert math.isclose(scale, v[1] / native[1]), f"resolution {v} keeps the aspect of {native}"
    return {'eval.scales': [scale]}, False


def _loss(v, ctx):
    if v == 'cross-entropy':
        return {'train.loss': 'ce'}, False
    assert v == 'bootstrapped cross-entropy', v
    return {'train.loss': 'ohem'}, True   # per-image bootstrapping has no knob


def _loss_weighting(v, ctx):
    if v == 'adaptive':
        return {'model.kwargs.weighting': 'adaptive'}, False
    return {'model.kwargs.weighting': 'fixed', 'model.kwargs.gamma': float(v)}, False


def _only(scheme):
    """A scheme setting that graphseg runs only as ``scheme`` (QGN's GTC training, PC eval)."""
    return lambda v, ctx: ({}, v != scheme)


def _no_knob(v, ctx):
    return {}, bool(v)


#: paper hyperparameter -> fn(value, context) -> ({config key: expected}, needs a no_knob entry)
MAPPING: Dict[str, Callable[[Any, Context], Tuple[Dict[str, Any], bool]]] = {
    'input_size': lambda v, c: ({'data.crop_size': list(v)}, False),
    'train_iter': lambda v, c: ({'train.steps': v}, False),
    'epochs': lambda v, c: ({'train.steps': v * _steps_per_epoch(c)}, False),
    't_images': lambda v, c: ({'train.steps': v // c.settings['batch_size']}, False),
    'batch_size': lambda v, c: ({'train.batch_size': v}, False),
    'optimizer': lambda v, c: ({'train.optimizer': {'SGD': 'sgd', 'Adam': 'adam'}[v]}, False),
    'momentum': lambda v, c: ({'train.momentum': v}, False),
    'betas': lambda v, c: ({'train.betas': list(v)}, False),
    'initial_lr': lambda v, c: ({'train.lr': v}, False),
    'weight_decay': lambda v, c: ({'train.weight_decay': v}, False),
    'lr_schedule': _lr_schedule,
    'aux_coef': lambda v, c: ({'train.aux_weight': 0.0 if v is None else v}, False),
    'clustering_iters': lambda v, c: ({} if v is None else {'model.kwargs.iters': v}, False),
    'down_ratio': _ratio,
    'sampling': _sampling,
    'num_samples': lambda v, c: ({'model.kwargs.num_samples': v}, False),
    'pretrained': lambda v, c: ({'model.backbone_weights': {'imagenet': 'imagenet',
                                                            None: None}[v]}, False),
    'sync_bn': lambda v, c: ({'model.sync_bn': v}, False),
    'flip': lambda v, c: ({'data.flip': v}, False),
    'train_scales': lambda v, c: ({'data.scale_range': [min(v), max(v)]}, True),
    'random_scale': _random_scale,
    'rotation': _no_knob,
    'color_jitter': lambda v, c: ({'data.jitter': Check('> 0', lambda x: x > 0)}, True),
    'eval': lambda v, c: ({'eval.scales': Check('several scales', lambda x: len(x) > 1)}, False),
    'eval_scales': lambda v, c: ({'eval.scales': [float(s) for s in v]}, False),
    'eval_flip': lambda v, c: ({'eval.flip': v}, False),
    'sliding_window': _no_knob,
    'resolution': _resolution,
    'loss': _loss,
    'loss_weighting': _loss_weighting,
    'encoder': lambda v, c: ({'model.kwargs.encoder': {'ResNet-50': 'resnet50_deepstem',
                                                       'ResNet-101': 'resnet101_deepstem'}[v]},
                             False),
    'classes': lambda v, c: ({'data.kwargs.num_classes': v}, False),
    'train_mode': _only('GTC'),
    'eval_mode': _only('PC'),
    'full_resolution': _no_knob,
    'pad_to_multiple': _no_knob,
    'class_weighting': _no_knob,
}

ROW_FIELDS = {'id', 'paper', 'table', 'row', 'printed', 'dataset', 'base_network', 'hg',
              'settings', 'fixed', 'no_knob', 'configs', 'note'}
CONFIG_FIELDS = {'name', 'model', 'title', 'dataset', 'settings', 'fixed', 'no_knob', 'results',
                 'released_weights', 'legacy_name', 'note_crop', 'note_aux'}


# --------------------------------------------------------------------------------------------
# reading
def load_settings() -> Dict[str, Any]:
    with open(DATA, encoding='utf-8') as f:
        return yaml.safe_load(f)


def paper_configs(data: Dict[str, Any]) -> List[Tuple[Dict[str, Any], Dict[str, Any]]]:
    """``(row, config entry)`` for every config of the data file."""
    return [(row, entry) for row in data['rows'] for entry in row['configs']]


def merged(row: Dict[str, Any], entry: Dict[str, Any], field: str) -> Dict[str, Any]:
    return {**(row.get(field) or {}), **(entry.get(field) or {})}


def header(text: str) -> List[str]:
    """The leading comment lines of a config file, without ``#``."""
    out = []
    for line in text.splitlines():
        if not line.startswith('#'):
            break
        out.append(line[1:].strip())
    return out


def flat(values: Dict[str, Any]) -> Dict[str, Any]:
    """A config's values by dotted key, the mappings of :data:`DICT_KEYS` kept whole."""
    out = {}
    for section, body in values.items():
        if not isinstance(body, dict):
            out[section] = body
            continue
        for key, value in body.items():
            out[f'{section}.{key}'] = value
    return out


def defaults() -> Dict[str, Any]:
    return {k: d for k, (d, _) in config_docs().items()}


# --------------------------------------------------------------------------------------------
# the comparison
def expectations(row: Dict[str, Any], entry: Dict[str, Any], datasets: Dict[str, Any]
                 ) -> Tuple[Dict[str, Any], List[str], List[str]]:
    """What a row implies for its config: ``({key: value or Check}, settings needing a no_knob
    entry, problems of the data file itself)``."""
    settings = merged(row, entry, 'settings')
    dataset_key = entry.get('dataset', row['dataset'])
    ctx = Context(settings, datasets[dataset_key])
    expected: Dict[str, Any] = {'model.name': entry['model'],
                                'data.dataset': datasets[dataset_key]['reader']}
    needs_entry, problems = [], []
    for name, value in settings.items():
        if name not in MAPPING:
            problems.append(f"paper setting {name!r} has no row in MAPPING")
            continue
        keys, no_knob = MAPPING[name](value, ctx)
        for key, v in keys.items():
            if key in expected and expected[key] != v:
                problems.append(f"{key} is implied twice ({expected[key]!r} and {v!r})")
            expected[key] = v
        if no_knob:
            needs_entry.append(name)
    for key, spec in merged(row, entry, 'fixed').items():
        if not isinstance(spec, dict) or 'value' not in spec or not spec.get('source'):
            problems.append(f"fixed {key} needs a value and a source")
            continue
        paper = expected.get(key)
        if key in expected and not isinstance(paper, Check) and not same(paper, spec['value']) \
                and not spec.get('overrides_paper'):
            problems.append(f"fixed {key} = {spec['value']!r} contradicts the paper's {paper!r} "
                            f"without overrides_paper")
        if isinstance(paper, Check) and not paper.ok(spec['value']):
            problems.append(f"fixed {key} = {spec['value']!r} is not {paper!r}")
        expected[key] = spec['value']
    return expected, needs_entry, problems


def same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b or a == b and type(a) is type(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def matches(expected: Any, actual: Any) -> bool:
    return expected.ok(actual) if isinstance(expected, Check) else same(expected, actual)


def mismatches(values: Dict[str, Any], expected: Dict[str, Any]) -> List[str]:
    """Every checked key of a config (``values``: the YAML mapping) that differs from
    ``expected`` (:func:`expectations`), or that differs from graphseg's default without being
    implied by the row."""
    have, base = flat(values), defaults()
    out = [f"{key} is not a run-config key" for key in sorted(have) if key not in base]
    for key in CHECKED:
        actual = have.get(key, base.get(key))
        if key in DICT_KEYS:
            want = {k[len(key) + 1:]: v for k, v in expected.items() if k.startswith(key + '.')}
            actual = dict(actual or {})
            for name in sorted(set(want) | set(actual)):
                if name not in actual:
                    out.append(f"{key}.{name} is missing: the row gives {want[name]!r}")
                elif name not in want:
                    out.append(f"{key}.{name} = {actual[name]!r} is not implied by the row")
                elif not matches(want[name], actual[name]):
                    out.append(f"{key}.{name} = {actual[name]!r}, the row gives {want[name]!r}")
        elif key in expected:
            if not matches(expected[key], actual):
                out.append(f"{key} = {actual!r}, the row gives {expected[key]!r}")
        elif not same(actual, base.get(key)):
            out.append(f"{key} = {actual!r} is not graphseg's default {base.get(key)!r} and "
                       f"not implied by the row (add it to the row's `fixed` with its source)")
    return out


def header_problems(name: str, text: str, row: Dict[str, Any], entry: Dict[str, Any],
                    needs_entry: List[str]) -> List[str]:
    lines = header(text)
    out = []
    if not lines or not text.startswith('# '):
        return ["has no header comment"]
    first = text.splitlines()[0]
    if len(first) > 100:
        out.append(f"first line is {len(first)} characters (at most 100)")
    summary = first.lstrip('#').strip().split(': ', 1)[0]
    if PAPERS[row['paper']] not in summary:
        out.append(f"summary {summary!r} does not name the paper {PAPERS[row['paper']]!r}")
    body = ' '.join(' '.join(lines).split()).lower()
    wanted = [row['table'], row['row']]
    no_knob = merged(row, entry, 'no_knob')
    for setting in needs_entry:
        if setting not in no_knob:
            out.append(f"paper setting {setting!r} has no graphseg knob and no no_knob entry")
    wanted += [spec['name'] for spec in no_knob.values()]
    wanted += list(merged(row, entry, 'fixed'))
    if no_knob:
        wanted.append('no graphseg knob')
    out += [f"header does not mention {w!r}" for w in wanted
            if ' '.join(w.split()).lower() not in body]
    return out


# --------------------------------------------------------------------------------------------
# the tests
DATA_FILE = load_settings()
PAIRS = paper_configs(DATA_FILE)


def test_every_row_has_a_config_and_every_paper_config_a_row():
    names = [entry['name'] for _, entry in PAIRS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert all(row['configs'] for row in DATA_FILE['rows'])
    shipped = {f[:-len('.yaml')] for f in os.listdir(CONFIGS) if f.endswith('.yaml')}
    assert not shipped - set(names) - NOT_PAPER, (
        f"shipped configs without a row in {DATA}: {sorted(shipped - set(names) - NOT_PAPER)}")
    assert not set(names) - shipped, f"rows whose config is not shipped: " \
                                     f"{sorted(set(names) - shipped)}"


def test_the_data_file_is_complete():
    ids = [row['id'] for row in DATA_FILE['rows']]
    assert len(ids) == len(set(ids))
    for row, entry in PAIRS:
        where = f"{row['id']} / {entry['name']}"
        assert set(row) <= ROW_FIELDS, (where, set(row) - ROW_FIELDS)
        assert set(entry) <= CONFIG_FIELDS, (where, set(entry) - CONFIG_FIELDS)
        assert row['paper'] in PAPERS and row['table'] and row['row'] and row['printed'], where
        assert entry['results'] and all(r.get('where') and r.get('metric') for r in
                                        entry['results']), where
        assert entry.get('dataset', row['dataset']) in DATA_FILE['datasets'], where
        for spec in merged(row, entry, 'no_knob').values():
            assert spec.get('name') and spec.get('instead'), (where, spec)
        _, _, problems = expectations(row, entry, DATA_FILE['datasets'])
        assert not problems, (where, problems)


def config_problems(path: str, row: Dict[str, Any], entry: Dict[str, Any]) -> List[str]:
    """Everything in the config file at ``path`` that disagrees with its row (values, header,
    name)."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    values = read_yaml(path)
    expected, needs_entry, _ = expectations(row, entry, DATA_FILE['datasets'])
    problems = mismatches(values, expected)
    problems += header_problems(entry['name'], text, row, entry, needs_entry)
    if not entry.get('legacy_name'):
        slug = re.escape(row['paper']) + r'_t\d+[a-z]?_[a-z0-9]+_'
        if not re.match(slug + re.escape(entry['model']), entry['name']):
            problems.append(f"name does not follow <paper>_<table>_<dataset>_<model>[_variant] "
                            f"with model {entry['model']!r}")
    return problems


@pytest.mark.parametrize('row, entry', PAIRS, ids=[e['name'] for _, e in PAIRS])
def test_paper_config_matches_its_row(row, entry):
    problems = config_problems(os.path.join(CONFIGS, entry['name'] + '.yaml'), row, entry)
    assert not problems, f"{entry['name']}.yaml drifted from {row['id']}:\n  " + \
        '\n  '.join(problems)


def test_a_drifted_config_file_fails(tmp_path):
    """The whole check, on a copy of a shipped file with one value and its header changed."""
    row, entry = next((r, e) for r, e in PAIRS
                      if e['name'] == 'hgconv_t12_cityscapes_hg_resnet101_dcn')
    with open(os.path.join(CONFIGS, entry['name'] + '.yaml'), encoding='utf-8') as f:
        text = f.read()
    path = tmp_path / (entry['name'] + '.yaml')
    path.write_text(text)
    assert config_problems(str(path), row, entry) == []
    assert '  steps: 30000\n' in text and 'Table 12' in text
    path.write_text(text.replace('  steps: 30000\n', '  steps: 40000\n')
                    .replace('Table 12', 'Table 2'))
    assert config_problems(str(path), row, entry) == [
        "train.steps = 40000, the row gives 30000",
        "header does not mention 'Table 12'",
    ]


def test_a_drifted_value_fails():
    """The comparison sees a changed value, an unexplained extra value and a missing kwarg."""
    row, entry = next((r, e) for r, e in PAIRS
                      if e['name'] == 'hgconv_t12_cityscapes_hg_resnet101_dcn')
    values = read_yaml(os.path.join(CONFIGS, entry['name'] + '.yaml'))
    expected, _, _ = expectations(row, entry, DATA_FILE['datasets'])
    assert mismatches(values, expected) == []
    drifted = copy.deepcopy(values)
    drifted['train']['lr'] = 0.01                    # the PSPNet recipe's lr
    drifted['train']['grad_clip'] = 1.0              # a value the row does not give
    del drifted['model']['kwargs']['oversample']     # Table 12's k = 7
    assert mismatches(drifted, expected) == [
        "model.kwargs.oversample is missing: the row gives 7",
        "train.lr = 0.01, the row gives 0.0001",
        "train.grad_clip = 1.0 is not graphseg's default None and not implied by the row (add it "
        "to the row's `fixed` with its source)",
    ]


def test_table_12_cityscapes_hg_row_as_printed():
    """The issue's reading of Table 12 (Cityscapes / ResNet / HG), spelled out once."""
    values = flat(read_yaml(os.path.join(CONFIGS, 'hgconv_t12_cityscapes_hg_resnet101_dcn.yaml')))
    assert values['data.crop_size'] == [713, 713] and values['train.steps'] == 30000
    assert values['train.batch_size'] == 16 and values['train.optimizer'] == 'adam'
    assert (values['train.lr'], values['train.weight_decay']) == (1e-4, 1e-4)
    assert values['train.poly_power'] == 0.9 and values['train.aux_weight'] == 0.4
    assert values['model.kwargs'] == {'iters': 3, 'ratio': 1 / 64, 'sampling': 'topk_random',
                                      'oversample': 7, 'beta': 0.75}


def _steps(epochs: int, images: int, batch: int) -> Optional[int]:
    return epochs * (images // batch)


def test_epochs_become_steps():
    """HRNetV2 on Cityscapes: 484 epochs of 2,975 images in batches of 16 (185 per epoch)."""
    values = flat(read_yaml(os.path.join(CONFIGS, 'hgconv_t12_cityscapes_hrnetv2_w48.yaml')))
    assert values['train.steps'] == _steps(484, 2975, 16) == 89540


# --------------------------------------------------------------------------------------------
# every shipped config runs: it loads, names registered parts, and its arguments are taken
SHIPPED = sorted(shipped_configs())


@pytest.mark.parametrize('name', SHIPPED)
def test_every_shipped_config_shows_and_builds(name, capsys):
    """``graphseg config show NAME`` prints a config that loads back to the same run config; the
    model is registered and builds from ``model.kwargs`` (on the meta device: no memory, no
    weights), and the reader takes ``data.kwargs`` / ``data.val_kwargs``."""
    assert main(['config', 'show', name]) == 0
    shown = capsys.readouterr().out
    cfg = load_run_config(name)
    assert load_run_config(parse_yaml(shown, 'shown')) == cfg
    assert cfg.model.name in list_models(), f"{name}: model {cfg.model.name!r} is not registered"
    assert cfg.data.dataset in DATASETS, f"{name}: dataset {cfg.data.dataset!r} is not registered"
    with torch.device('meta'):
        create_model(cfg.model.name, **cfg.model.kwargs)
    params = inspect.signature(DATASETS[cfg.data.dataset].__init__).parameters
    unknown = set(cfg.data.kwargs) | set(cfg.data.val_kwargs)
    assert not unknown - set(params), f"{name}: {cfg.data.dataset} takes no {unknown - set(params)}"


# --------------------------------------------------------------------------------------------
# docs/reproduce.md follows the data file
def _number(value: Any) -> str:
    if isinstance(value, list):
        return ' / '.join(_number(v) for v in value)
    return str(value)


def test_the_reproduce_page_lists_every_paper_config_with_its_numbers():
    with open(DOC, encoding='utf-8') as f:
        lines = f.read().splitlines()
    problems = []
    for row, entry in PAIRS:
        name = f"`{entry['name']}`"
        rows = [line for line in lines if line.startswith('|') and name in line]
        if len(rows) != 1:
            problems.append(f"{entry['name']}: {len(rows)} table lines (expected 1)")
            continue
        expected, _, _ = expectations(row, entry, DATA_FILE['datasets'])
        wanted = [_number(r['value']) for r in entry['results'] if r['value'] is not None]
        wanted += [f"{expected['train.steps']:,} × {expected['train.batch_size']}"]
        if 'model.backbone_weights' in expected and expected['model.backbone_weights'] is None:
            wanted.append('from scratch')
        problems += [f"{entry['name']}: the table line lacks {w!r}" for w in wanted
                     if w not in rows[0]]
    cmds = [line for line in lines if 'graphseg train --config' in line]
    problems += [f"{entry['name']}: no train command" for _, entry in PAIRS
                 if not any(f"--config {entry['name']} " in c for c in cmds)]
    assert not problems, '\n'.join(problems)


def test_the_configs_shipped_before_the_paper_configs_name_their_replacement():
    from graphseg.engine.config import _RENAMED_CONFIGS, resolve_config
    assert len(_RENAMED_CONFIGS) == 6
    for old, new in _RENAMED_CONFIGS.items():
        assert old not in SHIPPED and new in SHIPPED, (old, new)
        for value in (old, f'{old}.yaml', f'configs/{old}.yaml'):
            with pytest.raises(FileNotFoundError, match=rf"config '{re.escape(value)}' was "
                                                        rf"replaced by .*--config {new} "):
                resolve_config(value)
