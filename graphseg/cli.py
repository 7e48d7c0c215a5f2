"""The ``graphseg`` command (also ``python -m graphseg``, and
``torchrun ... -m graphseg train ...``).

Each verb is a module of :mod:`graphseg.commands` with ``add_parser(subparsers)`` (its options,
every one with a help text; defaults are shown by ``--help``) and a ``run(args) -> int``;
adding a verb is one module and one line in :data:`COMMANDS`.

User errors (a bad option value, a missing file, an existing result without
``--overwrite``, an invalid config key) print one line, ``graphseg VERB: error: ...``,
and exit with status 1, without a traceback (``GRAPHSEG_DEBUG=1`` shows it).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import List, Optional

from . import __version__
from .commands._common import HelpFormatter

#: verb -> module of graphseg.commands
COMMANDS = {
    'graph': 'graph',
    'train': 'train',
    'eval': 'evaluate',
    'demo': 'demo',
    'bench-gnn': 'bench_gnn',
    'info': 'info',
}

#: exceptions that are the user's to fix (reported in one line)
USER_ERRORS = (ValueError, TypeError, OSError, ImportError, KeyError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='graphseg', formatter_class=HelpFormatter,
                                     description='Adaptive semantic segmentation as graph '
                                                 'learning.')
    parser.add_argument('--version', action='version', version=f'graphseg {__version__}',
                        help='print the version and exit')
    sub = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    for verb, module in COMMANDS.items():
        importlib.import_module(f'.commands.{module}', __package__).add_parser(sub, verb)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run a ``graphseg`` command; bad values (options, images, files) exit with
    ``graphseg VERB: message``."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print(f'graphseg {args.command}: interrupted', file=sys.stderr)
        return 130
    except USER_ERRORS as e:
        if os.environ.get('GRAPHSEG_DEBUG'):
            raise
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SystemExit(f'graphseg {args.command}: error: {message}') from None


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
