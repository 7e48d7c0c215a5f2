"""The demo tour (``graphseg demo``): graph figures of a bundled photo, a dense model and its
HG-Conv counterpart trained and evaluated on the digit scenes, and a comparison report.

1. The three graph kinds (:data:`graphseg.viz.GRAPH_KINDS`) built on a bundled photo, as figures.
2. Each model trained and evaluated on the digit scenes with the engine of ``graphseg train``
   (the run config :data:`DIGITS`, identical to ``configs/digits.yaml``).
3. The comparison: val mIoU, MACs per image (:func:`~graphseg.analysis.count_macs`: message passing
   and clustering included), parameters, training and inference images/s, in ``report.md``.
4. Inference time against image size (:func:`inference_scaling`) for two (dense, HG-Conv) pairs:
   the trained demo models, and an untrained pair of the papers' networks
   (``resnet18_dilated`` vs ``hg_resnet18``, eval mode, timed only: time does not depend on
   training); for each, where the HG-Conv model becomes faster than the dense one, or that it
   does not within the sizes measured (``figures/inference_scaling.png``, and the numbers in
   ``run.json``). Inference is timed through the fast path (:func:`fast_models`,
   ``optimize_for_inference``) unless ``DemoOptions.fast`` is off (``graphseg demo --no-fast``).

A model that fails is reported and the others still run and are saved.
"""
from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from ..analysis.macs import count_macs, format_macs
from ..analysis.timing import compare_times, format_table
from ..check import check_callable, check_int
from ..data import build_dataset, load_image
from ..engine.config import RunConfig, load_run_config
from ..engine.run_folder import create_run_dir
from ..engine.runner import fit, model_summary, prepare
from ..evaluation.evaluate import predict
from ..fileio import atomic_write_text, save_figure
from ..models import create_model, optimize_for_inference
from ..viz import GRAPH_KINDS, plot_predictions, plot_scaling_pairs, scaling_summary

#: the digit-scene run config (identical to configs/digits.yaml; a test keeps them equal)
DIGITS: Dict[str, Any] = {
    'model': {'name': 'fcn_small', 'kwargs': {}},
    'data': {'dataset': 'digits', 'kwargs': {'num_samples': 4000, 'size': 64, 'rgb': True},
             'val_kwargs': {'num_samples': 500}, 'normalize': 'none'},
    'train': {'steps': 600, 'batch_size': 16, 'optimizer': 'adamw', 'lr': 0.002,
              'weight_decay': 0.0001, 'poly_power': 0.9, 'log_every': 100, 'checkpoint_every': 200,
              'seed': 0},
    'eval': {'batch_size': 32},
    'device': 'auto',
}


@dataclass
class DemoOptions:
    """What the tour trains and draws (the options of ``graphseg demo``)."""
    models: Sequence[str] = ('fcn_small', 'hg_fcn_small')
    steps: int = DIGITS['train']['steps']
    batch_size: int = DIGITS['train']['batch_size']
    lr: float = DIGITS['train']['lr']
    size: int = DIGITS['data']['kwargs']['size']
    train_samples: int = DIGITS['data']['kwargs']['num_samples']
    val_samples: int = DIGITS['data']['val_kwargs']['num_samples']
    gray: bool = False
    photo: str = 'astronaut'
    seed: int = 0
    device: str = 'auto'
    figure_size: int = 256  # the photo's longer side in the graph figures
    n_segments: int = 250  # nodes of the figure graphs
    progress: bool = True
    # image sides at which the trained models' inference time is measured against the first
    # model (the dense one); empty: no scaling measurement at all (neither pair)
    scaling_sizes: Sequence[int] = (64, 128, 256, 512)
    scaling_repeat: int = 3  # timed runs per model and size (interleaved; the median is kept)
    # the papers' (dense, HG-Conv) pair timed untrained (eval mode, seeded initialisation, the
    # demo's classes and channels) on the same digit canvases; empty: not measured
    paper_pair: Sequence[str] = ('resnet18_dilated', 'hg_resnet18')
    # its image sides (kept small enough for ~20 s on 2 cores) and timed runs per model and size
    paper_sizes: Sequence[int] = (64, 128, 256, 384, 512)
    paper_repeat: int = 2
    # time the models through the inference fast path (optimize_for_inference: BatchNorm folded,
    # HG-ResNet's fusion on the nodes; contiguous layout) instead of eager eval()
    fast: bool = True


def digits_config(options: DemoOptions, model: str) -> Dict[str, Any]:
    """The :data:`DIGITS` config with the demo's options applied."""
    c = copy.deepcopy(DIGITS)
    c['model']['name'] = model
    c['data']['kwargs'].update(num_samples=options.train_samples, size=options.size,
                               rgb=not options.gray, seed=options.seed)
    c['data']['val_kwargs'].update(num_samples=options.val_samples)
    c['train'].update(steps=options.steps, batch_size=options.batch_size, lr=options.lr,
                      seed=options.seed, log_every=max(1, options.steps // 5), checkpoint_every=0)
    c['device'] = options.device
    return c


def demo_configs(options: DemoOptions) -> Dict[str, RunConfig]:
    """One validated run config per model."""
    return {n: load_run_config(digits_config(options, n)) for n in options.models}


def fast_models(models: Dict[str, nn.Module]) -> Dict[str, nn.Module]:
    """Each model through :func:`~graphseg.models.optimize_for_inference` (the models are not
    changed) in the contiguous layout: the demo times many sizes, and channels-last measured no
    gain for its ResNets (``scripts/bench_inference.py``)."""
    if not isinstance(models, dict) or not models:
        raise ValueError(f"models must be a non-empty dict name -> model, got {models!r}")
    return {k: optimize_for_inference(m, channels_last=False) for k, m in models.items()}


def images_per_second(models: Dict[str, nn.Module], x: torch.Tensor,
                      fast: bool = False) -> Dict[str, float]:
    """Inference throughput of each model on batch ``x``, measured side by side (interleaved
    medians); through the fast path (:func:`fast_models`) if ``fast``."""
    for m in models.values():
        m.eval()
    models = fast_models(models) if fast else models
    with torch.no_grad():
        t = compare_times({k: (lambda m=m: m(x)) for k, m in models.items()}, repeat=5, warmup=1,
                          device=x.device)
    return {k: x.size(0) / v for k, v in t.items()}


def make_figures(options: DemoOptions, out: str) -> List[str]:
    """The three graph kinds on the photo (downsized for speed), ``figures/graph_<kind>.png``."""
    folder = create_run_dir(os.path.join(out, 'figures'))
    image = load_image(options.photo)
    scale = options.figure_size / max(image.shape[-2:])
    if scale < 1:
        image = F.interpolate(image[None], scale_factor=scale, mode='area')[0]
    files = []
    for kind, spec in GRAPH_KINDS.items():
        data = spec.build(image, options.n_segments, 10., 'skimage')
        path = os.path.join(folder, f'graph_{kind}.png')
        spec.plot(data, image, path)
        files.append(os.path.relpath(path, out))
        if options.progress:
            print(f'{kind} graph of {options.photo}: {data}')
    return files


def train_model(name: str, config: RunConfig, out: str, progress: bool) -> Dict[str, Any]:
    """Train and evaluate one model into ``out/<name>``; its results, the trained model and a batch
    of validation images (for the throughput comparison)."""
    p = prepare(config)
    res = fit(p, create_run_dir(os.path.join(out, name)), progress=progress)
    x = torch.stack([p.val_set[i][0] for i in range(min(16, len(p.val_set)))]).to(p.device)
    res['macs'] = count_macs(p.model, x[:1])['total']
    res['models'] = model_summary(p)
    return {'result': res, 'model': p.model, 'images': x}


def inference_scaling(models: Dict[str, nn.Module], make_input: Callable[[int], torch.Tensor],
                      sizes: Sequence[int], *, repeat: int = 3, warmup: int = 1,
                      fast: bool = False) -> Dict[str, Any]:
    """Inference time and MACs of each model at each image size: per size one input
    ``make_input(size)``, the models timed side by side (:func:`~graphseg.analysis.compare_times`,
    interleaved medians) and their MACs counted (:func:`~graphseg.analysis.count_macs`).

    Args:
        models: name -> model (eval mode is set here); the first is the reference.
        make_input: ``size -> (B, C, size, size)`` tensor on the models' device.
        sizes: image sides in pixels, increasing.
        repeat, warmup: timed and untimed runs per model and size.
        fast: time each model through the inference fast path (:func:`fast_models`); the MACs
            are the model's own (folded BatchNorms would count fewer).

    Shapes:
        - **input:** ``make_input(s)`` :math:`(B, C, s, s)`
        - **output:** ``{'sizes': (S,), 'batch': B, 'seconds': {m: (S,)}, 'macs': {m: (S,)},
          'reference', 'ratios': {m: {'time_ratio', 'mac_ratio', 'crossover', 'text'}}}``
    """
    if not isinstance(models, dict) or not models:
        raise ValueError(f"models must be a non-empty dict name -> model, got {models!r}")
    check_callable(make_input, 'make_input')
    if not isinstance(sizes, (list, tuple)) or not sizes:
        raise ValueError(f"sizes must be a non-empty list of image sides, got {sizes!r}")
    for v in sizes:
        check_int(v, 'sizes[i]', 1)
    check_int(repeat, 'repeat', 1)
    check_int(warmup, 'warmup', 0)
    if not isinstance(fast, bool):
        raise TypeError(f"fast must be a bool, got {type(fast).__name__}")
    for m in models.values():
        m.eval()
    timed = fast_models(models) if fast else models
    seconds: Dict[str, List[float]] = {k: [] for k in models}
    macs: Dict[str, List[float]] = {k: [] for k in models}
    batch = None
    for size in sizes:
        x = make_input(size)
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or tuple(x.shape[-2:]) != (size, size):
            raise ValueError(f"make_input({size}) must return a (B, C, {size}, {size}) tensor, got "
                             f"{tuple(getattr(x, 'shape', ())) or type(x).__name__}")
        batch = x.size(0)
        with torch.no_grad():
            t = compare_times({k: (lambda m=m: m(x)) for k, m in timed.items()}, repeat=repeat,
                              warmup=warmup, device=x.device)
            for k, m in models.items():
                seconds[k].append(t[k])
                macs[k].append(float(count_macs(m, x[:1])['total']))
    reference = next(iter(models))
    ratios = scaling_summary(list(sizes), seconds, macs, reference) if len(models) > 1 else {}
    return {'sizes': list(sizes), 'batch': batch, 'seconds': seconds, 'macs': macs,
            'reference': reference, 'ratios': ratios, 'fast': fast}


def digit_canvas(config: RunConfig, size: int) -> torch.Tensor:
    """One validation canvas of the digit scenes at ``size`` x ``size`` (digits scaled with the
    canvas), as a batch of one: the input :func:`inference_scaling` times.

    Shapes:
        - **output:** :math:`(1, C, S, S)` with :math:`S` = ``size``
    """
    if not isinstance(config, RunConfig):
        raise TypeError(f"config must be a RunConfig, got {type(config).__name__}")
    check_int(size, 'size', 32, 1024)
    dc = config.data
    kwargs = {**dc.kwargs, **dc.val_kwargs, 'size': size, 'num_samples': 1}
    return build_dataset(dc.dataset, dc.root, dc.val_split, **kwargs)[0][0][None]


def write_scaling_figure(scaling: Dict[str, Any], out: str) -> str:
    """``figures/inference_scaling.png`` from the demo's scaling record ``{'pairs': [...]}`` (each
    pair :func:`inference_scaling`'s result with its ``'label'``), one row per pair; its path
    relative to ``out``."""
    fig = plot_scaling_pairs(scaling['pairs'])
    path = os.path.join(out, 'figures', 'inference_scaling.png')
    save_figure(fig, path, root=out, dpi=100, bbox_inches='tight')
    plt.close(fig)
    return os.path.relpath(path, out)


def write_prediction_figure(models: Dict[str, nn.Module], config: RunConfig, out: str) -> None:
    """``figures/predictions.png``: six validation canvases, their labels and every model's
    prediction."""
    dc = config.data
    val = build_dataset(dc.dataset, dc.root, dc.val_split, **{**dc.kwargs, **dc.val_kwargs})
    images, labels = map(torch.stack, zip(*[val[i] for i in range(min(6, len(val)))]))
    preds = []
    for m in models.values():
        dev = next(m.parameters()).device
        preds.append(predict(m.eval(), images.to(dev)).cpu())
    fig = plot_predictions(images, labels, preds, list(models), num_classes=val.num_classes)
    save_figure(fig, os.path.join(out, 'figures', 'predictions.png'), root=out, dpi=90)
    plt.close(fig)


def comparison_table(results: Dict[str, Dict[str, Any]]) -> str:
    """The plain-text comparison table of the trained models (the numbers formatted as
    :func:`readme_block` quotes them)."""
    rows = [[n, f"{r['metrics']['miou']:.3f}", f"{r['metrics']['pixel_acc']:.3f}",
             format_macs(r['macs']), f"{r['params']:,}", f"{r['train_images_per_s']:.0f}",
             f"{r.get('infer_images_per_s', float('nan')):.0f}"] for n, r in results.items()]
    return format_table(rows, ['model', 'val mIoU', 'pixel acc', 'MACs/image', 'params',
                               'train img/s', 'infer img/s'])


def scaling_table(scaling: Dict[str, Any]) -> str:
    """The plain-text table of :func:`inference_scaling`: ms and MACs per image of each model and
    each other model's time and MAC ratio to the reference (the first model), size by size."""
    names, ref = list(scaling['seconds']), scaling['reference']
    others = [m for m in names if m != ref]
    rows = []
    for i, size in enumerate(scaling['sizes']):
        row = [f'{size}x{size}']
        row += [f"{1e3 * scaling['seconds'][m][i] / scaling['batch']:.1f}" for m in names]
        row += [format_macs(scaling['macs'][m][i]) for m in names]
        for m in others:
            r = scaling['ratios'][m]
            row += [f"{r['time_ratio'][i]:.2f}x", f"{r['mac_ratio'][i]:.2f}x"]
        rows.append(row)
    headers = ['image'] + [f'{m} ms' for m in names] + [f'{m} MACs' for m in names]
    for m in others:
        headers += [f'{m} time ratio', f'{m} MAC ratio']  # to the reference
    return format_table(rows, headers)


def _scaling_lines(scaling: Optional[Dict[str, Any]]) -> List[str]:
    if not scaling or not scaling.get('pairs'):
        return []
    lines = ['## Where HG-Conv pays off: inference time vs image size', '',
             'One digit canvas per size, each pair\'s models timed side by side (interleaved '
             'medians) on this machine, MACs counted as above. HG-Conv convolves fewer nodes than '
             'the dense map has pixels but first clusters the pixels and builds the group graph: '
             'with the demo\'s narrow 32-channel head that overhead dominates; with the wide '
             'layers of the papers\' networks the saved MACs can pay for it. The second pair is '
             '**untrained** (eval mode, seeded initialisation) and only timed: inference time '
             'does not depend on the weights.', '']
    if scaling.get('figure'):
        lines += ['![inference_scaling](figures/inference_scaling.png)', '']
    for pair in scaling['pairs']:
        lines += [f"### {pair['label']}, batch {pair['batch']}", '', '```', scaling_table(pair),
                  '```', '']
        lines += [f"- {r['text']}." for r in pair['ratios'].values()] + ['']
    return lines


def write_report(out: str, options: DemoOptions, table: str, figures: List[str], failures,
                 scaling: Optional[Dict[str, Any]] = None) -> None:
    """``report.md``: the figures, the comparison table, inference time vs image size and the
    failures."""
    o = options
    lines = ['# graphseg demo', '',
             f'Bundled data only. Graphs on `{o.photo}`; models trained on the digit scenes '
             f'({o.train_samples} training / {o.val_samples} validation canvases of '
             f'{o.size}x{o.size}, {o.steps} steps of {o.batch_size}, seed {o.seed}).', '',
             '## Three graphs of one photo', '',
             '- **grid**: the pixel lattice on square cells, the graph a 3x3 convolution runs on;',
             '- **superpixel**: SLIC groups with direction-typed, noise-canceled edges '
             '(HG-Conv\'s graph);',
             '- **quadtree**: QGN\'s cells, split in four until each lies inside one superpixel; '
             'parent->child and same-level edges.', '']
    lines += [f'![{os.path.basename(f)}]({f})' for f in figures if 'graph_' in f]
    lines += ['', '## Dense vs HG-Conv on the digit scenes', '', '```', table, '```', '',
              'MACs per image include clustering, adjacency and message passing (HG-Conv\'s '
              '`count_macs`); '
              'images/s measured side by side on this machine (inference: interleaved, batch of '
              'validation canvases).', '']
    if os.path.exists(os.path.join(out, 'figures', 'predictions.png')):
        lines += ['![predictions](figures/predictions.png)', '']
    lines += _scaling_lines(scaling)
    if failures:
        lines += ['## Failures', ''] + [f"- `{f['model']}`: {f['error']}" for f in failures] + ['']
    lines += ['Everything else (configs, training logs, the timings above, versions, git commit) '
              'is in `run.json`; each model\'s weights in `<model>/model.pt`.', '']
    atomic_write_text(os.path.join(out, 'report.md'), '\n'.join(lines), root=out)


#: the markers around the README's demo block (:func:`readme_block`)
README_BEGIN, README_END = '<!-- demo:begin -->', '<!-- demo:end -->'


def _demo_command(options: Dict[str, Any]) -> str:
    """The ``graphseg demo`` command line a record's options stand for (the options that change
    the numbers; ``--out`` and progress left out)."""
    words = ['graphseg demo']
    if options.get('quick'):
        words.append('--quick')
    if options.get('model', 'fcn_small,hg_fcn_small') != 'fcn_small,hg_fcn_small':
        words.append(f"--model {options['model']}")
    return ' '.join(words)


def _check_record(record: Any) -> None:
    """A completed ``graphseg demo`` record, with every key :func:`readme_block` reads."""
    if not isinstance(record, dict) or record.get('command') != 'demo':
        got = record.get('command') if isinstance(record, dict) else type(record).__name__
        raise ValueError(f"record must be the run.json of a graphseg demo run (command 'demo'), "
                         f"got {got!r}")
    if record.get('status') != 'completed':
        raise ValueError(f"record must be a completed demo run (status 'completed'), got status "
                         f"{record.get('status')!r}; failures: {record.get('failures')}")
    missing = [k for k in ('options', 'results', 'wall_seconds', 'scaling', 'machine')
               if k not in record]
    if missing:
        raise ValueError(f"record must have the keys {missing} (a run.json of graphseg demo "
                         "from this version); run the demo again")
    scaling = record['scaling']
    if scaling is not None and not (isinstance(scaling, dict)
                                    and isinstance(scaling.get('pairs'), list)):
        raise ValueError("record['scaling'] must list the timed (dense, HG-Conv) pairs under "
                         "'pairs' (a run.json of graphseg demo from this version), got an older "
                         "format; run the demo again")


def readme_block(record: Dict[str, Any]) -> str:
    """The README's demo block, markers included, from a ``graphseg demo`` run's ``run.json``
    (loaded as a dict): the command and its sizes, each model's val mIoU, pixel accuracy, MACs
    per image and parameters (formatted as the demo prints them), the wall time with the machine
    it ran on, and for each timed (dense, HG-Conv) pair (the trained demo models, the untrained
    papers' networks) where the HG-Conv model becomes faster than the dense one or that it does not.

    ``graphseg demo --readme RUN_DIR`` prints it; ``tests/test_readme_demo.py`` checks that the
    README holds exactly this block for ``tests/data/demo_run.json``.

    Args:
        record (dict): the run's ``run.json``; a completed demo run.

    Returns:
        The block, from :data:`README_BEGIN` to :data:`README_END`, ending with a newline.
    """
    _check_record(record)
    o, m = record['options'], record['machine']
    rows = [f"| `{n}` | {r['metrics']['miou']:.3f} | {r['metrics']['pixel_acc']:.3f} | "
            f"{format_macs(r['macs'])} | {r['params']:,} |" for n, r in record['results'].items()]
    lines = [README_BEGIN,
             f"`{_demo_command(o)}` ({o['steps']} steps of {o['batch_size']} per model; "
             f"{o['train_samples']:,} training / {o['val_samples']:,} validation digit canvases of "
             f"{o['size']}x{o['size']}; seed {o['seed']}), as its `run.json` records it:", '',
             '| model | val mIoU | pixel acc | MACs / image | params |',
             '| --- | --- | --- | --- | --- |', *rows, '',
             f"Wall time: {record['wall_seconds']:.0f} s (`wall_seconds`) on {m['cpu']} "
             f"({m['cpu_count']} cores, {m['torch_threads']} torch threads)."]
    pairs = [p for p in (record['scaling'] or {}).get('pairs', []) if p.get('ratios')]
    if pairs:
        how = (', through the inference fast path' if all(p.get('fast') for p in pairs)
               else '')
        lines.append(f'Inference time against image size (`inference_scaling.png`{how}):')
        for p in pairs:
            sizes = p['sizes']
            lines += [f"- {p['label']}, {sizes[0]}² to {sizes[-1]}²: {r['text']}."
                      for r in p['ratios'].values()]
    else:
        lines.append('Inference time against image size: not measured (one model only).')
    return '\n'.join(lines + [README_END]) + '\n'


#: the titles of the two timed pairs (figure rows, report sections, README lines)
TRAINED_LABEL = 'demo models (trained)'
PAPER_LABEL = "papers' networks (untrained, timed only)"


def _paper_models(options: DemoOptions, config: RunConfig,
                  device: torch.device) -> Dict[str, nn.Module]:
    """The untrained :attr:`DemoOptions.paper_pair`, seeded, with the demo's classes and input
    channels (only their time is measured)."""
    dc = config.data
    val = build_dataset(dc.dataset, dc.root, dc.val_split,
                        **{**dc.kwargs, **dc.val_kwargs, 'num_samples': 1})
    torch.manual_seed(options.seed)
    return {n: create_model(n, num_classes=val.num_classes,
                            in_channels=val[0][0].size(0)).to(device)
            for n in options.paper_pair}


def _measure_scaling(options: DemoOptions, trained: Dict[str, nn.Module], config: RunConfig,
                     device: torch.device, out: str,
                     failures: List[Dict[str, str]]) -> Dict[str, Any]:
    """:func:`inference_scaling` on digit canvases of the trained models and of the untrained
    papers' pair (each isolated: a failure is appended to ``failures``), and the figure:
    ``{'pairs': [result + 'label', 'trained'], 'figure'}``."""
    def make_input(s):
        return digit_canvas(config, s).to(device)
    jobs = []
    if trained:
        jobs.append((TRAINED_LABEL, True, lambda: trained, options.scaling_sizes,
                     options.scaling_repeat))
    if options.paper_pair and options.paper_sizes:
        jobs.append((PAPER_LABEL, False, lambda: _paper_models(options, config, device),
                     options.paper_sizes, options.paper_repeat))
    pairs = []
    for label, is_trained, models, sizes, repeat in jobs:
        try:
            r = inference_scaling(models(), make_input, list(sizes), repeat=repeat,
                                  fast=bool(options.fast))
            pairs.append({'label': label, 'trained': is_trained, **r})
        except Exception as e:  # noqa: BLE001 - the other pair and the trained models stay
            failures.append({'model': f'inference_scaling: {label}',
                             'error': f'{type(e).__name__}: {e}'})
            print(f'FAILED inference_scaling ({label}): {type(e).__name__}: {e}')
    scaling: Dict[str, Any] = {'pairs': pairs}
    if any(p['ratios'] for p in pairs):
        scaling['figure'] = write_scaling_figure(
            {'pairs': [p for p in pairs if p['ratios']]}, out)
    return scaling


def run_demo(options: DemoOptions, out: str,
             configs: Optional[Dict[str, RunConfig]] = None) -> Dict[str, Any]:
    """The whole tour into the run folder ``out`` (which must exist); returns
    ``{'figures', 'results', 'failures', 'table', 'scaling', 'seconds'}`` for ``run.json``."""
    configs = demo_configs(options) if configs is None else configs
    t_start = time.perf_counter()
    figures = make_figures(options, out)
    results: Dict[str, Dict[str, Any]] = {}
    trained: Dict[str, nn.Module] = {}
    failures: List[Dict[str, str]] = []
    scaling = None
    x = None
    for name in options.models:
        try:
            done = train_model(name, configs[name], out, options.progress)
            results[name], trained[name], x = done['result'], done['model'], done['images']
            print(f"{name}: val mIoU {results[name]['metrics']['miou']:.3f}")
        except Exception as e:  # noqa: BLE001 - isolate one model's failure, report it, go on
            failures.append({'model': name, 'error': f'{type(e).__name__}: {e}'})
            print(f'FAILED {name}: {type(e).__name__}: {e}')
    if trained:
        for n, v in images_per_second(trained, x, fast=bool(options.fast)).items():
            results[n]['infer_images_per_s'] = v
        write_prediction_figure(trained, next(iter(configs.values())), out)
        figures.append('figures/predictions.png')
        if options.scaling_sizes:
            try:
                scaling = _measure_scaling(options, trained, configs[next(iter(trained))],
                                           x.device, out, failures)
                figures += [scaling['figure']] if 'figure' in scaling else []
                if options.progress:
                    for pair in scaling['pairs']:
                        print(f"{pair['label']}:\n{scaling_table(pair)}")
            except Exception as e:  # noqa: BLE001 - the trained models and table stay
                failures.append({'model': 'inference_scaling',
                                 'error': f'{type(e).__name__}: {e}'})
                print(f'FAILED inference_scaling: {type(e).__name__}: {e}')
    table = comparison_table(results)
    write_report(out, options, table, figures, failures, scaling)
    return {'figures': figures, 'results': results, 'failures': failures, 'table': table,
            'scaling': scaling, 'seconds': time.perf_counter() - t_start}


__all__ = ['DIGITS', 'DemoOptions', 'digits_config', 'demo_configs', 'images_per_second',
           'make_figures', 'train_model', 'write_prediction_figure', 'comparison_table',
           'inference_scaling', 'fast_models', 'digit_canvas', 'write_scaling_figure',
           'scaling_table',
           'write_report', 'run_demo', 'README_BEGIN', 'README_END', 'readme_block',
           'TRAINED_LABEL', 'PAPER_LABEL']
