"""The demo tour (``graphseg demo``): graph figures of a bundled photo, a dense model and its
HG-Conv counterpart trained and evaluated on the digit scenes, and a comparison report.

1. The three graph kinds (:data:`graphseg.viz.GRAPH_KINDS`) built on a bundled photo, as figures.
2. Each model trained and evaluated on the digit scenes with the engine of ``graphseg train``
   (the run config :data:`DIGITS`, identical to ``configs/digits.yaml``).
3. The comparison: val mIoU, MACs per image (:func:`~graphseg.analysis.count_macs`: message passing
   and clustering included), parameters, training and inference images/s, in ``report.md``.

A model that fails is reported and the others still run and are saved.
"""
from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from ..analysis.macs import count_macs, format_macs
from ..analysis.timing import compare_times, format_table
from ..data import build_dataset, load_image
from ..engine.config import RunConfig, load_run_config
from ..engine.run_folder import create_run_dir
from ..engine.runner import fit, model_summary, prepare
from ..evaluation.evaluate import predict
from ..fileio import atomic_write_text, save_figure
from ..viz import GRAPH_KINDS, plot_predictions

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


def images_per_second(models: Dict[str, nn.Module], x: torch.Tensor) -> Dict[str, float]:
    """Inference throughput of each model on batch ``x``, measured side by side (interleaved
    medians)."""
    for m in models.values():
        m.eval()
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
    """The plain-text comparison table of the trained models."""
    rows = []
    for n, r in results.items():
        rows.append(
            [
                n,
                f"{r['metrics']['miou']:.3f}",
                f"{r['metrics']['pixel_acc']:.3f}",
                format_macs(r['macs']),
                f"{r['params'] / 1e6:.3f} M",
                f"{r['train_images_per_s']:.0f}",
                f"{r.get('infer_images_per_s', float('nan')):.0f}",
            ]
        )
    return format_table(rows,
                        ['model', 'val mIoU', 'pixel acc', 'MACs/image', 'params', 'train img/s',
                               'infer img/s'])


def write_report(out: str, options: DemoOptions, table: str, figures: List[str], failures) -> None:
    """``report.md``: the figures, the comparison table and the failures."""
    o = options
    lines = ['# graphseg demo', '',
             f'Bundled data only. Graphs on `{o.photo}`; models trained on the digit scenes '
             f'({o.train_samples} training / {o.val_samples} validation canvases of '
             f'{o.size}x{o.size}, {o.steps} steps of {o.batch_size}, seed {o.seed}).', '',
             '## Three graphs of one photo', '',
             '- **grid**: the pixel lattice (cells), the graph a 3x3 convolution runs on;',
             '- **superpixel**: SLIC groups with direction-typed, noise-canceled edges '
             '(HG-Conv\'s graph);',
             '- **quadtree**: QGN\'s cells, parent->child and same-level edges.', '']
    lines += [f'![{os.path.basename(f)}]({f})' for f in figures]
    lines += ['', '## Dense vs HG-Conv on the digit scenes', '', '```', table, '```', '',
              'MACs per image include clustering, adjacency and message passing (HG-Conv\'s '
              '`count_macs`); '
              'images/s measured side by side on this machine (inference: interleaved, batch of '
              'validation canvases).', '']
    if os.path.exists(os.path.join(out, 'figures', 'predictions.png')):
        lines += ['![predictions](figures/predictions.png)', '']
    if failures:
        lines += ['## Failures', ''] + [f"- `{f['model']}`: {f['error']}" for f in failures] + ['']
    lines += ['Everything else (configs, training logs, versions, git commit) is in `run.json`; '
              'each model\'s weights in `<model>/model.pt`.', '']
    atomic_write_text(os.path.join(out, 'report.md'), '\n'.join(lines), root=out)


def run_demo(options: DemoOptions, out: str,
             configs: Optional[Dict[str, RunConfig]] = None) -> Dict[str, Any]:
    """The whole tour into the run folder ``out`` (which must exist); returns
    ``{'figures', 'results', 'failures', 'table', 'seconds'}`` for ``run.json``."""
    configs = demo_configs(options) if configs is None else configs
    t_start = time.perf_counter()
    figures = make_figures(options, out)
    results: Dict[str, Dict[str, Any]] = {}
    trained: Dict[str, nn.Module] = {}
    failures: List[Dict[str, str]] = []
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
        for n, v in images_per_second(trained, x).items():
            results[n]['infer_images_per_s'] = v
        write_prediction_figure(trained, next(iter(configs.values())), out)
    table = comparison_table(results)
    write_report(out, options, table, figures, failures)
    return {'figures': figures, 'results': results, 'failures': failures, 'table': table,
            'seconds': time.perf_counter() - t_start}


__all__ = ['DIGITS', 'DemoOptions', 'digits_config', 'demo_configs', 'images_per_second',
           'make_figures', 'train_model', 'write_prediction_figure', 'comparison_table',
           'write_report', 'run_demo']
