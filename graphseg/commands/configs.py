"""``graphseg configs``: the run configs shipped with graphseg, one line each.

Every name works as ``--config NAME`` (``graphseg train --config digits``); ``graphseg config show
NAME`` prints one with every key, its default and its meaning.
"""
from __future__ import annotations

import argparse

from ._common import HelpFormatter, describe


def add_parser(sub, name: str) -> None:
    p = sub.add_parser(name, help='list the run configs shipped with graphseg',
                       formatter_class=HelpFormatter, description=describe(__doc__))
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.config import shipped_configs  # lazy: imports torch
    configs = shipped_configs()
    width = max(map(len, configs))
    for name, summary in configs.items():
        print(f'{name:{width}s}  {summary}')
    print('\n--config NAME uses one; graphseg config show NAME prints every key')
    return 0
