"""``graphseg info``: versions, optional backends and their ``WITH_*`` flags."""
from __future__ import annotations

import argparse

from ._common import HelpFormatter


def add_parser(sub, name: str) -> None:
    p = sub.add_parser(name, help='versions and optional backends', formatter_class=HelpFormatter,
                       description='Print versions, CUDA availability and the scatter backends.')
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # lazy: keeps `graphseg --help` fast
    import torch
    import torch_geometric

    from .. import __version__, typing
    from ..ops import available_backends, get_backend
    print(f'graphseg {__version__}  torch {torch.__version__}  torch_geometric '
          f'{torch_geometric.__version__}')
    print(f'cuda available: {torch.cuda.is_available()}')
    print(f'backends: {", ".join(available_backends())} (default: {get_backend()})')
    for flag in typing.FLAGS:
        print(f'  {flag} = {getattr(typing, flag)}')
    return 0
