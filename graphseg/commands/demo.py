"""``graphseg demo``: a small tour on the bundled data, in one run folder with a markdown report.

1. The three graph kinds (``grid``, ``superpixel``, ``quadtree``) built on a bundled photo, as
   figures.
2. A dense model and its HG-Conv counterpart (default ``fcn_small,hg_fcn_small``) trained and
   evaluated on the digit scenes with ``graphseg train``'s engine (config ``configs/digits.yaml``).
3. The comparison: val mIoU, MACs per image (message passing and clustering included), parameters,
   training and inference images/s, printed and written to ``report.md`` with the figures.
4. Inference time against image size for two (dense, HG-Conv) pairs: the trained models (64 to
   512 px) and the papers' ``resnet18_dilated`` vs ``hg_resnet18``, untrained and timed only
   (64 to 512 px): where HG-Conv becomes faster than the dense model, or that it does not within
   these sizes (``inference_scaling.png``).

``run.json`` records every number printed, and ``wall_seconds``: the command's wall time from its
start to the writing of ``run.json`` (imports included, the interpreter's own start-up not).

A model that fails is reported and the others still run and are saved. ``--quick`` (CI) is the
same tour with fewer steps and images. ``--readme RUN`` prints the README's demo block from a
finished run's ``run.json`` instead (nothing is trained). The tour itself is
:mod:`graphseg.experiments.demo`.
"""
from __future__ import annotations

import argparse
import json
import os
import time

from ..check import did_you_mean
from ._common import HelpFormatter, add_run_options, check_sources, describe

#: the demo's defaults (those of :class:`graphseg.experiments.demo.DemoOptions`, kept equal by a
#: test)
DEFAULTS = {'steps': 600, 'batch_size': 16, 'lr': 0.002, 'size': 64, 'train_samples': 4000,
            'val_samples': 500}
#: what ``--quick`` changes (options given explicitly still win)
QUICK = {'steps': 30, 'batch_size': 8, 'train_samples': 96, 'val_samples': 32}
QUICK_FIGURES = {'figure_size': 128, 'n_segments': 100, 'scaling_sizes': (64, 128),
                 'scaling_repeat': 2, 'paper_sizes': (64, 128), 'paper_repeat': 1}


def add_parser(sub, name: str) -> None:
    d = sub.add_parser(name,
                       help='tour: graph figures, a dense vs an HG-Conv model trained on digit '
                            'scenes, report', formatter_class=HelpFormatter,
                       description=describe(__doc__))
    d.add_argument('--model', default='fcn_small,hg_fcn_small',
                   help='registered segmentation models to train and compare, comma-separated')
    d.add_argument('--quick', action='store_true',
                   help=f'CI size: {QUICK["steps"]} steps of {QUICK["batch_size"]}, '
                        f'{QUICK["train_samples"]} training canvases (under a minute); explicit '
                        'options still win')
    d.add_argument('--steps', type=int, default=DEFAULTS['steps'], help='training steps per model')
    d.add_argument('--batch-size', type=int, default=DEFAULTS['batch_size'], help='images per step')
    d.add_argument('--lr', type=float, default=DEFAULTS['lr'],
                   help='AdamW learning rate (poly decay)')
    d.add_argument('--size', type=int, default=DEFAULTS['size'], help='canvas side in pixels')
    d.add_argument('--train-samples', type=int, default=DEFAULTS['train_samples'],
                   help='training canvases')
    d.add_argument('--val-samples', type=int, default=DEFAULTS['val_samples'],
                   help='validation canvases')
    d.add_argument('--gray', action='store_true',
                   help='one-channel canvases instead of coloured ones')
    d.add_argument('--photo', default='astronaut',
                   help='bundled skimage.data photo (or image file) for the graphs')
    d.add_argument('--seed', type=int, default=0,
                   help='seed of data, initialisation and augmentation')
    d.add_argument('--device', default='auto', help="'auto', 'cpu', 'cuda' or 'cuda:N'")
    d.add_argument('--no-progress', action='store_true', help='no progress bars')
    d.add_argument('--no-fast', action='store_true',
                   help='time the models in eager eval() instead of through the inference fast '
                        'path (graphseg.optimize_for_inference)')
    d.add_argument('--readme', metavar='RUN', default=None,
                   help="print the README's demo block from the run.json of a finished demo run "
                        '(its folder or the file) and exit; nothing is trained')
    add_run_options(d, 'graphseg_out/demo')
    d.set_defaults(run=run)


def apply_quick(args: argparse.Namespace) -> None:
    """``--quick``: the CI sizes for every option left at its default."""
    if args.quick:
        for k, v in QUICK.items():
            if getattr(args, k) == DEFAULTS[k]:
                setattr(args, k, v)


def check_args(args: argparse.Namespace, known_models) -> list:
    """The model names, once every option is checked (one-line errors naming the option)."""
    names = [n.strip() for n in args.model.split(',') if n.strip()]
    unknown = [n for n in names if n not in known_models]
    if not names or unknown:
        hint = did_you_mean(unknown[0], known_models) if unknown else ''
        raise ValueError(f"--model must name registered segmentation models (comma-separated; "
                         f"graphseg info lists all {len(known_models)}), got {args.model!r}{hint}")
    for opt in ('steps', 'batch_size', 'train_samples', 'val_samples', 'size'):
        if getattr(args, opt) < 1:
            raise ValueError(f"--{opt.replace('_', '-')} must be >= 1, got {getattr(args, opt)}")
    if not 32 <= args.size <= 1024:  # MNISTSegmentation's canvases
        raise ValueError(f"--size must be in [32, 1024] (the digit canvases), got {args.size}")
    if not 0 < args.lr < float('inf'):
        raise ValueError(f"--lr must be a finite number > 0, got {args.lr}")
    if args.train_samples < args.batch_size:
        raise ValueError(f"--train-samples must be >= --batch-size = {args.batch_size}, "
                         f"got {args.train_samples}")
    check_sources([args.photo])
    return names


def read_record(run: str) -> dict:
    """The ``run.json`` of a demo run, given its folder or the file (one-line errors)."""
    path = os.path.join(run, 'run.json') if os.path.isdir(run) else run
    if not os.path.isfile(path):
        raise ValueError(f"--readme must be a demo run folder (with run.json) or its run.json, "
                         f"got {run!r}")
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"--readme: {path} is not a readable run.json ({e})") from None


def print_readme(run: str) -> int:
    """``--readme RUN``: print :func:`graphseg.experiments.demo.readme_block` of the run."""
    from ..experiments.demo import readme_block  # lazy: keeps `graphseg --help` fast
    print(readme_block(read_record(run)), end='')
    return 0


def run(args: argparse.Namespace) -> int:
    if args.readme is not None:
        return print_readme(args.readme)
    t_start = time.perf_counter()  # the wall time run.json records starts here, imports included
    # lazy: keeps `graphseg --help` fast
    import matplotlib
    matplotlib.use('Agg')

    from ..analysis.timing import machine_info
    from ..check import check_device
    from ..engine.run_folder import check_run_dir, finish_record, run_record, write_json
    from ..experiments.demo import DemoOptions, demo_configs, run_demo
    from ..fileio import locked_run_folder
    from ..models import list_models

    apply_quick(args)
    names = check_args(args, list_models(task='segmentation'))
    if args.device != 'auto':
        check_device(args.device, '--device', available=True)
    options = DemoOptions(models=names, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                          size=args.size, train_samples=args.train_samples,
                          val_samples=args.val_samples, gray=args.gray, photo=args.photo,
                          seed=args.seed, device=args.device, progress=not args.no_progress,
                          fast=not args.no_fast,
                          **(QUICK_FIGURES if args.quick else {}))
    configs = demo_configs(options)  # validates every option before the run folder exists
    out = check_run_dir(args.out, args.overwrite)
    with locked_run_folder(out, 'graphseg demo'):  # creates the folder
        record = run_record('demo', options={k: v for k, v in vars(args).items() if k != 'run'},
                            configs={n: c.to_dict() for n, c in configs.items()},
                            machine=machine_info())
        tour = run_demo(options, out, configs)
        record.update(figures=tour['figures'], results=tour['results'], failures=tour['failures'],
                      scaling=tour['scaling'], seconds=tour['seconds'],
                      wall_seconds=time.perf_counter() - t_start)
        write_json(os.path.join(out, 'run.json'),
                   finish_record(record, 'failed' if tour['failures'] else 'completed'), root=out)
    print(f'\nDigit scenes, {args.steps} steps, {args.val_samples} val canvases:')
    print(tour['table'])
    for pair in (tour['scaling'] or {}).get('pairs', []):
        for ratio in pair['ratios'].values():
            print(f"inference time vs image size, {pair['label']}: {ratio['text']}")
    print(f"wrote {out}/report.md, run.json, figures/ and one folder per model "
          f"({record['wall_seconds']:.0f} s wall time)")
    return 1 if tour['failures'] else 0
