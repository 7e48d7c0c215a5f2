"""``graphseg weights list`` / ``graphseg weights download NAME ... [--cache DIR]``: the catalogue
of pretrained (ImageNet) and released weights, and pre-fetching them for machines without internet.

``download`` puts each file in torch.hub's cache (``$TORCH_HOME/hub/checkpoints``) or in ``--cache
DIR``, checked against its published hash where there is one; copy the files into the offline
machine's ``$TORCH_HOME/hub/checkpoints`` (``graphseg weights list`` shows the paths), where
``model.backbone_weights``, ``model.weights: official:NAME`` and ``graphseg eval --weights
official:NAME`` find them.
"""
from __future__ import annotations

import argparse
import os

from ._common import HelpFormatter, describe


def add_parser(sub, name: str) -> None:
    p = sub.add_parser(name, help='list and pre-fetch pretrained and released weights by name',
                       formatter_class=HelpFormatter, description=describe(__doc__))
    actions = p.add_subparsers(dest='action', required=True, metavar='ACTION',
                               help='list: the catalogue; download: fetch files into the cache')
    show = actions.add_parser('list', help='the catalogue: name, models, source, hash, cached',
                              formatter_class=HelpFormatter, description=describe(__doc__))
    show.add_argument('--kind', choices=('backbone', 'model'), default=None,
                      help='only backbone (ImageNet) or only released model weights')
    show.add_argument('--cache', metavar='DIR', default=None,
                      help='the folder of the files (default: $TORCH_HOME/hub/checkpoints)')
    show.set_defaults(run=run_list)
    get = actions.add_parser('download', help='fetch weights into the cache, hash checked',
                             formatter_class=HelpFormatter, description=describe(__doc__))
    get.add_argument('names', nargs='+', metavar='NAME',
                     help='catalogue names (graphseg weights list)')
    get.add_argument('--cache', metavar='DIR', default=None,
                     help='the folder to put the files in (default: $TORCH_HOME/hub/checkpoints)')
    get.add_argument('--no-progress', action='store_true', help='no progress bar')
    get.set_defaults(run=run_download)


def run_list(args: argparse.Namespace) -> int:
    from ..analysis.timing import format_table  # lazy: imports torch
    from ..models.pretrained import WEIGHTS, list_weights
    rows = []
    for name in list_weights(kind=args.kind):
        w = WEIGHTS[name]
        used = (', '.join(w.used_by[:3]) + (', ...' if len(w.used_by) > 3 else '')
                if w.kind == 'backbone' else f'{w.arch} (its released variant)')
        path = w.path(args.cache)
        rows.append([name, used or f'{w.arch} as a backbone', w.url or f'by hand: {w.page}',
                     w.sha256 or 'none published', path if os.path.isfile(path) else '-'])
    print(format_table(rows, ['name', 'for', 'source', 'sha256', 'cached']))
    return 0


def run_download(args: argparse.Namespace) -> int:
    from ..models.pretrained import download_weights, get_weights  # lazy: imports torch
    for name in args.names:
        get_weights(name)  # every name checked before anything is downloaded
    for name in args.names:
        print(download_weights(name, args.cache, progress=not args.no_progress))
    return 0
