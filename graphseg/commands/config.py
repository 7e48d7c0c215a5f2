"""``graphseg config show NAME|PATH [section.key=value ...]``: a run config resolved (file, then
overrides, then defaults) and printed as YAML with every key, its default and its meaning.

The output is a valid config: save it, edit it, pass it to ``--config``.
"""
from __future__ import annotations

import argparse

from ._common import HelpFormatter, describe


def add_parser(sub, name: str) -> None:
    p = sub.add_parser(name, help='show a run config with every key, its default and meaning',
                       formatter_class=HelpFormatter, description=describe(__doc__))
    actions = p.add_subparsers(dest='action', required=True, metavar='ACTION',
                               help='show: print a config with every key')
    show = actions.add_parser('show', help='print a config with every key',
                              formatter_class=HelpFormatter, description=describe(__doc__))
    show.add_argument('config', metavar='NAME|PATH',
                      help='a shipped config\'s name (graphseg configs) or a YAML file')
    show.add_argument('overrides', nargs='*', metavar='KEY=VALUE',
                      help='config overrides with dotted keys, e.g. train.steps=100')
    show.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.config import format_config, load_run_config, resolve_config  # lazy: torch
    path = resolve_config(args.config)
    config = load_run_config(path, args.overrides)
    print(f'# {path}{" with " + " ".join(args.overrides) if args.overrides else ""}')
    print(format_config(config), end='')
    return 0
