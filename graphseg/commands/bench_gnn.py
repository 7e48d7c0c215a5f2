"""``graphseg bench-gnn [--task graph|segmentation] [--quick] --out DIR``: graph-learning benchmarks.

Graph classification on MNIST superpixels built with graphseg's own direction-typed graphs (GCN, GAT,
GMMConv, SplineConv, EdgeConv, DirectionalConv at one parameter budget), or HG-Conv's Table 3 swap-ins on
segmentation (:mod:`graphseg.engine.bench_gnn`). Every (layer, seed) run appends a row to a CSV in
``--out``, so a benchmark can be split over several invocations; the summary tables are rewritten each time.
"""
from __future__ import annotations

import argparse


def add_parser(sub, name: str) -> None:
    from ..cli import HelpFormatter, describe
    from ..engine.bench_gnn import add_arguments
    p = sub.add_parser(name, help='graph-learning benchmarks (MNIST superpixels, HG-Conv Table 3 swap-ins)',
                       formatter_class=HelpFormatter, description=describe(__doc__))
    add_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.bench_gnn import run_cli
    return run_cli(args)
