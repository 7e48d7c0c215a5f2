"""``graphseg info``: versions, optional backends and their ``WITH_*`` flags; ``--models``: the
registered models."""
from __future__ import annotations

import argparse

from ._common import HelpFormatter


def add_parser(sub, name: str) -> None:
    p = sub.add_parser(name, help='versions and optional backends', formatter_class=HelpFormatter,
                       description='Print versions, CUDA availability and the scatter backends.')
    p.add_argument('--models', action='store_true',
                   help='list the registered models (name, family, default classes, input sides)')
    p.set_defaults(run=run)


def print_models() -> None:
    """One line per registered model: what ``create_model`` / ``model.name`` accept."""
    from ..models import list_models, model_info
    print(f"{'model':28s} {'family':12s} {'classes':>7s}  input sides")
    for task in ('segmentation', 'backbone'):
        for name in list_models(task=task):
            info = model_info(name)
            sides = f'>= {info.min_input_size}'
            if info.input_divisor > 1:
                sides += f', multiple of {info.input_divisor}'
            family = info.module.rsplit('.', 1)[-1] if task == 'segmentation' else 'backbone'
            classes = '-' if info.num_classes is None else str(info.num_classes)
            print(f'{name:28s} {family:12s} {classes:>7s}  {sides}{", aux head" * info.aux}')


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
    if args.models:
        print_models()
    else:
        from ..models import list_models
        print(f'models: {len(list_models(task="segmentation"))} segmentation, '
              f'{len(list_models(task="backbone"))} backbones (graphseg info --models lists them)')
    return 0
