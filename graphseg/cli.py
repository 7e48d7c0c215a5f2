"""The ``graphseg`` command (also ``python -m graphseg``, and
``torchrun ... -m graphseg train ...``).

Each verb is a module of :mod:`graphseg.commands` with ``add_parser(subparsers, name)`` (its
options, every one with a help text; defaults are shown by ``--help``) and a ``run(args) -> int``;
adding a verb is one module and one line in :data:`COMMANDS`. Only the named verb's module is
imported (``graphseg --version`` and ``--help`` import no torch).

User errors (a bad option value, a missing file, an existing result without
``--overwrite``, an invalid config key) print one line, ``graphseg VERB: error: ...``,
and exit with status 1, without a traceback (``GRAPHSEG_DEBUG=1`` shows it).
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from typing import List, Optional

from . import __version__
from .commands._common import HelpFormatter

#: verb -> (module of graphseg.commands, its one-line help). ``graphseg --help`` shows the help
#: from here and builds only the named verb's parser, so that no verb module (nor torch) is
#: imported for it or for ``--version``; tests/commands/test_cli.py checks that each module's own
#: help is the same text
COMMANDS = {
    'graph': ('graph', 'turn images into PyG graphs (.pt) and figures (.png)'),
    'train': ('train', 'train a model from a config (checkpoints, resume, DDP)'),
    'eval': ('evaluate', 'evaluate weights on a config\'s validation split'),
    'configs': ('configs', 'list the run configs shipped with graphseg'),
    'config': ('config', 'show a run config with every key, its default and meaning'),
    'demo': ('demo', 'tour: graph figures, a dense vs an HG-Conv model trained on digit scenes, '
                     'report'),
    'bench-gnn': ('bench_gnn', 'graph-learning benchmarks (MNIST superpixels, HG-Conv Table 3 '
                               'swap-ins)'),
    'info': ('info', 'versions and optional backends'),
    'export': ('export', 'export a model to ONNX, TorchScript or torch.export'),
    'weights': ('weights', 'list and pre-fetch pretrained and released weights by name'),
}

#: exceptions that are the user's to fix (reported in one line); RuntimeError covers a busy run
#: folder and errors re-raised from DataLoader workers
USER_ERRORS = (ValueError, TypeError, OSError, ImportError, KeyError, RuntimeError)
#: the longest error line printed (a pathological value must not flood the terminal)
MAX_MESSAGE = 500


def one_line(error: BaseException) -> str:
    """The one-line message of a user error: the first line, or for an error re-raised from a
    DataLoader worker ("Caught ValueError in DataLoader worker process 0 ... Original Traceback
    ...") the original error's own line; at most :data:`MAX_MESSAGE` characters."""
    text = str(error).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    message = lines[0]
    if 'DataLoader worker process' in message and len(lines) > 1:
        name = type(error).__name__
        message = lines[-1][len(name) + 2:] if lines[-1].startswith(name + ': ') else lines[-1]
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + f' ... ({len(message)} characters)'
    return message


def _terminate(signum, frame) -> None:
    """SIGTERM (a scheduler stopping the job) ends a command like Ctrl-C: the training loop
    checkpoints and ``run.json`` records the interruption."""
    raise KeyboardInterrupt


def _run(args: argparse.Namespace) -> int:
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.run(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _named_verb(argv: List[str]) -> Optional[str]:
    """The verb ``argv`` names: its first argument that is not an option (``None`` if none)."""
    first = next((a for a in argv if not a.startswith('-')), None)
    return first if first in COMMANDS else None


def build_parser(verb: Optional[str] = '*') -> argparse.ArgumentParser:
    """The ``graphseg`` parser with every verb's options (``verb='*'``), or with only ``verb``'s
    (the others show their help line and are built when named)."""
    parser = argparse.ArgumentParser(prog='graphseg', formatter_class=HelpFormatter,
                                     description='Adaptive semantic segmentation as graph '
                                                 'learning.')
    parser.add_argument('--version', action='version', version=f'graphseg {__version__}',
                        help='print the version and exit')
    sub = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    for name, (module, text) in COMMANDS.items():
        if verb in ('*', name):
            importlib.import_module(f'.commands.{module}', __package__).add_parser(sub, name)
        else:
            sub.add_parser(name, help=text, add_help=False)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run a ``graphseg`` command; bad values (options, images, files) exit with
    ``graphseg VERB: message``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(_named_verb(argv)).parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print(f'graphseg {args.command}: interrupted', file=sys.stderr)
        return 130
    except USER_ERRORS as e:
        if os.environ.get('GRAPHSEG_DEBUG'):
            raise
        raise SystemExit(f'graphseg {args.command}: error: {one_line(e)}') from None


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
