"""What the ``graphseg`` verbs share: the help formatter, ``--out`` / ``--overwrite``, default run
folders and the metrics table. Imports nothing heavy, so that ``graphseg --help`` stays fast."""
from __future__ import annotations

import argparse
import os
from typing import Any, Dict


class HelpFormatter(argparse.HelpFormatter):
    """Shows ``(default: X)`` after the help of every option that has a default (not for flags and
    required options)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ''
        if '%(default)' not in text and action.option_strings and not any(
                action.default is v for v in (None, False, argparse.SUPPRESS)):
            text += ' (default: %(default)s)'
        return text


def describe(doc: str) -> str:
    """A command's ``--help`` description: the first paragraph of its module docstring, without RST
    markup."""
    return doc.split('\n\n')[0].replace('``', '')


def add_run_options(parser: argparse.ArgumentParser, default_out: str) -> None:
    """``--out`` and ``--overwrite``, the options of every command that writes a run folder."""
    parser.add_argument('--out', default=default_out,
                        help='run folder for all outputs (created only once the arguments are '
                             'valid)')
    parser.add_argument('--overwrite', action='store_true',
                        help='allow writing into a run folder that already holds results')


def default_out(args: argparse.Namespace, suffix: str = '') -> str:
    """``--out``, or ``runs/<config name><suffix>`` when it was left at its ``runs/<...>``
    placeholder."""
    if args.out.startswith('runs/<'):
        return os.path.join('runs', os.path.splitext(os.path.basename(args.config))[0] + suffix)
    return args.out


def print_metrics(metrics: Dict[str, Any]) -> None:
    """The metrics (not the per-class lists) as a two-column table."""
    from ..analysis.timing import format_table  # lazy: imports torch
    rows = [[k, f'{v:.4f}' if isinstance(v, float) else str(v)] for k, v in metrics.items()
            if not isinstance(v, list)]
    print(format_table(rows, ['metric', 'value']))


def check_sources(sources) -> None:
    """Raise ``FileNotFoundError`` unless every source is an image file or a bundled
    ``skimage.data`` name."""
    from ..data.images import SKIMAGE_GRAY, SKIMAGE_PHOTOS  # lazy: imports torch
    for s in sources:
        if not (os.path.isfile(s) or s in SKIMAGE_PHOTOS + SKIMAGE_GRAY):
            raise FileNotFoundError(f"image {s!r} is neither an image file nor a bundled "
                                    f"skimage.data name {SKIMAGE_PHOTOS + SKIMAGE_GRAY}")


__all__ = ['HelpFormatter', 'describe', 'add_run_options', 'default_out', 'print_metrics',
           'check_sources']
