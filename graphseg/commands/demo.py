"""``graphseg demo``: a small tour on the bundled data, in one run folder with a markdown report.

1. The three graph kinds (``grid``, ``superpixel``, ``quadtree``) built on a bundled photo, as figures.
2. A dense model and its HG-Conv counterpart (default ``fcn_small,hg_fcn_small``) trained and evaluated
   on the digit scenes with ``graphseg train``'s engine (config ``configs/digits.yaml``, :data:`DIGITS`).
3. The comparison: val mIoU, MACs per image (message passing and clustering included), parameters,
   training and inference images/s, printed and written to ``report.md`` with the figures.

A model that fails is reported and the others still run and are saved. ``--quick`` (CI) is the same
tour with fewer steps and images.
"""
from __future__ import annotations

import argparse
import copy
import os
import time
from typing import Any, Dict, List

import torch
from torch import nn

#: the digit-scene run config (identical to configs/digits.yaml; a test keeps them equal)
DIGITS: Dict[str, Any] = {
    'model': {'name': 'fcn_small', 'kwargs': {}},
    'data': {'dataset': 'digits', 'kwargs': {'num_samples': 4000, 'size': 64, 'rgb': True},
             'val_kwargs': {'num_samples': 500}, 'normalize': 'none'},
    'train': {'steps': 600, 'batch_size': 16, 'optimizer': 'adamw', 'lr': 0.002, 'weight_decay': 0.0001,
              'poly_power': 0.9, 'log_every': 100, 'checkpoint_every': 200, 'seed': 0},
    'eval': {'batch_size': 32},
    'device': 'auto',
}
QUICK = {'steps': 30, 'batch_size': 8, 'train_samples': 96, 'val_samples': 32, 'figure_size': 128}
GRAPH_KINDS = ('grid', 'superpixel', 'quadtree')


def add_parser(sub, name: str) -> None:
    from ..cli import HelpFormatter, describe, add_run_options
    d = sub.add_parser(name, help='tour: graph figures, a dense vs an HG-Conv model trained on digit scenes, report',
                       formatter_class=HelpFormatter, description=describe(__doc__))
    d.add_argument('--model', default='fcn_small,hg_fcn_small',
                   help='registered segmentation models to train and compare, comma-separated')
    d.add_argument('--quick', action='store_true',
                   help=f'CI size: {QUICK["steps"]} steps of {QUICK["batch_size"]}, {QUICK["train_samples"]} training '
                        f'canvases (under a minute); explicit options still win')
    d.add_argument('--steps', type=int, default=DIGITS['train']['steps'], help='training steps per model')
    d.add_argument('--batch-size', type=int, default=DIGITS['train']['batch_size'], help='images per step')
    d.add_argument('--lr', type=float, default=DIGITS['train']['lr'], help='AdamW learning rate (poly decay)')
    d.add_argument('--size', type=int, default=DIGITS['data']['kwargs']['size'], help='canvas side in pixels')
    d.add_argument('--train-samples', type=int, default=DIGITS['data']['kwargs']['num_samples'],
                   help='training canvases')
    d.add_argument('--val-samples', type=int, default=DIGITS['data']['val_kwargs']['num_samples'],
                   help='validation canvases')
    d.add_argument('--gray', action='store_true', help='one-channel canvases instead of coloured ones')
    d.add_argument('--photo', default='astronaut', help='bundled skimage.data photo (or image file) for the graphs')
    d.add_argument('--seed', type=int, default=0, help='seed of data, initialisation and augmentation')
    d.add_argument('--device', default='auto', help="'auto', 'cpu', 'cuda' or 'cuda:N'")
    d.add_argument('--no-progress', action='store_true', help='no progress bars')
    add_run_options(d, 'graphseg_out/demo')
    d.set_defaults(run=run)


def digits_config(args: argparse.Namespace, model: str) -> Dict[str, Any]:
    """The :data:`DIGITS` config with the demo's options applied."""
    c = copy.deepcopy(DIGITS)
    c['model']['name'] = model
    c['data']['kwargs'].update(num_samples=args.train_samples, size=args.size, rgb=not args.gray, seed=args.seed)
    c['data']['val_kwargs'].update(num_samples=args.val_samples)
    c['train'].update(steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                      log_every=max(1, args.steps // 5), checkpoint_every=0)
    c['device'] = args.device
    return c


def model_macs(model: nn.Module, x: torch.Tensor) -> int:
    """MACs of one forward pass per image: what ``FlopCounterMode`` sees, with every HG-Conv module's count replaced
    by its own ``count_macs`` (clustering, adjacency, pooling, message passing, unpooling included)."""
    from ..engine.flops import dense_flop_macs
    from ..nn.hgconv import HGConv
    inputs: List = []
    hooks = [m.register_forward_pre_hook(lambda mod, a: inputs.append((mod, a[0]))) for m in model.modules()
             if isinstance(m, HGConv)]
    was = model.training
    model.eval()
    with torch.no_grad():
        total = dense_flop_macs(lambda: model(x))
        for h in hooks:
            h.remove()
        for mod, z in inputs:
            total += sum(sum(d.values()) for d in mod.count_macs(z)) - dense_flop_macs(lambda: mod(z))
    model.train(was)
    return total // x.size(0)


def images_per_second(models: Dict[str, nn.Module], x: torch.Tensor) -> Dict[str, float]:
    """Inference throughput of each model on batch ``x``, measured side by side (interleaved medians)."""
    from ..engine.benchmark import compare_times
    for m in models.values():
        m.eval()
    with torch.no_grad():
        t = compare_times({k: (lambda m=m: m(x)) for k, m in models.items()}, repeat=5, warmup=1, device=x.device)
    return {k: x.size(0) / v for k, v in t.items()}


def run(args: argparse.Namespace) -> int:
    import matplotlib
    matplotlib.use('Agg')

    from ..engine.config import load_run_config
    from ..engine.experiment import fit, model_summary, prepare
    from ..engine.runs import check_run_dir, create_run_dir, finish_record, run_record, write_json
    from ..models import list_models
    from .graph import check_sources

    if args.quick:
        for k, v in QUICK.items():
            if k != 'figure_size' and getattr(args, k) == _default(k):
                setattr(args, k, v)
    names = [n.strip() for n in args.model.split(',') if n.strip()]
    known = list_models(task='segmentation')
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        raise ValueError(f"--model must name registered segmentation models {known}, got {args.model!r}")
    for opt in ('steps', 'batch_size', 'train_samples', 'val_samples', 'size'):
        if getattr(args, opt) < 1:
            raise ValueError(f"--{opt.replace('_', '-')} must be >= 1, got {getattr(args, opt)}")
    if not 32 <= args.size <= 1024:  # MNISTSegmentation's canvases
        raise ValueError(f"--size must be in [32, 1024] (the digit canvases), got {args.size}")
    if not 0 < args.lr < float('inf'):
        raise ValueError(f"--lr must be a finite number > 0, got {args.lr}")
    if args.device != 'auto':
        from ..check import check_device
        check_device(args.device, '--device', available=True)
    if args.train_samples < args.batch_size:
        raise ValueError(f"--train-samples must be >= --batch-size = {args.batch_size}, got {args.train_samples}")
    check_sources([args.photo])
    configs = {n: load_run_config(digits_config(args, n)) for n in names}  # validates every option
    out = create_run_dir(check_run_dir(args.out, args.overwrite))
    progress = not args.no_progress
    record = run_record('demo', options={k: v for k, v in vars(args).items() if k != 'run'},
                        configs={n: c.to_dict() for n, c in configs.items()})
    t_start = time.perf_counter()
    figures = make_figures(args, out, progress)
    record['figures'] = figures
    results: Dict[str, Dict[str, Any]] = {}
    trained: Dict[str, nn.Module] = {}
    failures = []
    for name in names:
        try:
            p = prepare(configs[name])
            run_dir = create_run_dir(os.path.join(out, name))
            res = fit(p, run_dir, progress=progress)
            x = torch.stack([p.val_set[i][0] for i in range(min(16, len(p.val_set)))]).to(p.device)
            res['macs'] = model_macs(p.model, x[:1])
            res['models'] = model_summary(p)
            results[name], trained[name] = res, p.model
            print(f"{name}: val mIoU {res['metrics']['miou']:.3f}")
        except Exception as e:  # noqa: BLE001 - isolate one model's failure, report it, go on
            failures.append({'model': name, 'error': f'{type(e).__name__}: {e}'})
            print(f'FAILED {name}: {type(e).__name__}: {e}')
    if trained:
        speed = images_per_second(trained, x)
        for n, v in speed.items():
            results[n]['infer_images_per_s'] = v
        write_prediction_figure(trained, configs, out)
    record.update(results={n: {k: v for k, v in r.items()} for n, r in results.items()}, failures=failures,
                  seconds=time.perf_counter() - t_start)
    table = comparison_table(results)
    write_report(out, args, table, figures, results, failures)
    write_json(os.path.join(out, 'run.json'), finish_record(record, 'failed' if failures else 'completed'))
    print(f'\nDigit scenes, {args.steps} steps, {args.val_samples} val canvases:')
    print(table)
    print(f'wrote {out}/report.md, run.json, figures/ and one folder per model ({time.perf_counter() - t_start:.0f} s)')
    return 1 if failures else 0


def _default(opt: str):
    return {'steps': DIGITS['train']['steps'], 'batch_size': DIGITS['train']['batch_size'],
            'train_samples': DIGITS['data']['kwargs']['num_samples'],
            'val_samples': DIGITS['data']['val_kwargs']['num_samples']}[opt]


def make_figures(args: argparse.Namespace, out: str, progress: bool) -> List[str]:
    """The three graph kinds on the photo (downsized for speed), ``figures/graph_<kind>.png``."""
    import torch.nn.functional as F

    from ..data import load_image
    from .graph import GRAPH_KINDS as KINDS
    folder = create_dir(os.path.join(out, 'figures'))
    image = load_image(args.photo)
    side = QUICK['figure_size'] if args.quick else 256
    scale = side / max(image.shape[-2:])
    if scale < 1:
        image = F.interpolate(image[None], scale_factor=scale, mode='area')[0]
    opts = argparse.Namespace(n_segments=100 if args.quick else 250, compactness=10., method='skimage', no_plot=False)
    files = []
    for kind in GRAPH_KINDS:
        data = KINDS[kind].build(image, opts)
        path = os.path.join(folder, f'graph_{kind}.png')
        KINDS[kind].plot(data, image, path)
        files.append(os.path.relpath(path, out))
        if progress:
            print(f'{kind} graph of {args.photo}: {data}')
    return files


def create_dir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path


def write_prediction_figure(models: Dict[str, nn.Module], configs, out: str) -> None:
    import matplotlib.pyplot as plt

    from ..data import build_dataset
    from ..engine.evaluate import predict
    from ..viz import plot_predictions
    dc = next(iter(configs.values())).data
    val = build_dataset(dc.dataset, dc.root, dc.val_split, **{**dc.kwargs, **dc.val_kwargs})
    images, labels = map(torch.stack, zip(*[val[i] for i in range(min(6, len(val)))]))
    preds = []
    for m in models.values():
        dev = next(m.parameters()).device
        preds.append(predict(m.eval(), images.to(dev)).cpu())
    fig = plot_predictions(images, labels, preds, list(models), num_classes=val.num_classes)
    fig.savefig(os.path.join(out, 'figures', 'predictions.png'), dpi=90)
    plt.close(fig)


def comparison_table(results: Dict[str, Dict[str, Any]]) -> str:
    from ..engine.benchmark import format_table
    from ..engine.flops import format_macs
    rows = []
    for n, r in results.items():
        rows.append([n, f"{r['metrics']['miou']:.3f}", f"{r['metrics']['pixel_acc']:.3f}", format_macs(r['macs']),
                     f"{r['params'] / 1e6:.3f} M", f"{r['train_images_per_s']:.0f}",
                     f"{r.get('infer_images_per_s', float('nan')):.0f}"])
    return format_table(rows, ['model', 'val mIoU', 'pixel acc', 'MACs/image', 'params', 'train img/s',
                               'infer img/s'])


def write_report(out: str, args: argparse.Namespace, table: str, figures: List[str], results, failures) -> None:
    lines = ['# graphseg demo', '',
             f'Bundled data only. Graphs on `{args.photo}`; models trained on the digit scenes '
             f'({args.train_samples} training / {args.val_samples} validation canvases of {args.size}x{args.size}, '
             f'{args.steps} steps of {args.batch_size}, seed {args.seed}).', '',
             '## Three graphs of one photo', '',
             '- **grid**: the pixel lattice (cells), the graph a 3x3 convolution runs on;',
             '- **superpixel**: SLIC groups with direction-typed, noise-canceled edges (HG-Conv\'s graph);',
             '- **quadtree**: QGN\'s cells, parent->child and same-level edges.', '']
    lines += [f'![{os.path.basename(f)}]({f})' for f in figures]
    lines += ['', '## Dense vs HG-Conv on the digit scenes', '', '```', table, '```', '',
              'MACs per image include clustering, adjacency and message passing (HG-Conv\'s `count_macs`); '
              'images/s measured side by side on this machine (inference: interleaved, batch of validation canvases).',
              '']
    if os.path.exists(os.path.join(out, 'figures', 'predictions.png')):
        lines += ['![predictions](figures/predictions.png)', '']
    if failures:
        lines += ['## Failures', ''] + [f"- `{f['model']}`: {f['error']}" for f in failures] + ['']
    lines += ['Everything else (configs, training logs, versions, git commit) is in `run.json`; '
              'each model\'s weights in `<model>/model.pt`.', '']
    with open(os.path.join(out, 'report.md'), 'w') as f:
        f.write('\n'.join(lines))
