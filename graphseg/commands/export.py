"""``graphseg export --model NAME --weights W --format onnx --size H W --out DIR``: export a model
for deployment.

Writes ``DIR/model.onnx`` (``--format onnx``), ``model.pt`` (``torchscript``) or ``model.pt2``
(``exported-program``, ``torch.export``) and ``run.json``, after checking the file against eager
on a random batch of the given size and on one of another batch size and size (``--static``: the
given ones only; HyperSeg: the given size): the largest difference and the arg-max agreement are
printed and recorded. BatchNorm is folded, RGNet's sampling is written with ``grid_sample``, QGN
exports its dense decoder (``--model-kwargs sparse=false``). HG-Conv models and QGN's sparse
decoder do not export (their graphs depend on the data) and are refused with the reason.
"""
from __future__ import annotations

import argparse
import os

from ._common import HelpFormatter, add_run_options, describe

#: the export formats (graphseg.models.export.FORMATS; repeated so that --help imports no torch)
FORMATS = ('onnx', 'torchscript', 'exported-program')


def add_parser(sub, name: str) -> None:
    p = sub.add_parser(name, help='export a model to ONNX, TorchScript or torch.export',
                       formatter_class=HelpFormatter, description=describe(__doc__))
    p.add_argument('--model', required=True, help='a registered segmentation model')
    p.add_argument('--weights', required=True,
                   help='a state_dict file (model.pt) or a checkpoint (checkpoint.pt)')
    p.add_argument('--format', default='onnx', choices=FORMATS, help='what to write')
    p.add_argument('--size', type=int, nargs=2, required=True, metavar=('H', 'W'),
                   help='input height and width of the example the export is traced and checked '
                        'with')
    p.add_argument('--batch-size', type=int, default=1, help='images in the example batch')
    p.add_argument('--model-kwargs', nargs='*', default=[], metavar='KEY=VALUE',
                   help='arguments of the model factory, e.g. num_classes=19 sparse=false '
                        '(values read as YAML scalars)')
    p.add_argument('--static', action='store_true',
                   help='fixed batch size and image size (default: dynamic batch, height, width)')
    p.add_argument('--no-check', action='store_true',
                   help='skip the comparison of the written file with eager')
    add_run_options(p, 'graphseg_out/export')
    p.set_defaults(run=run)


def parse_kwargs(items) -> dict:
    """``KEY=VALUE`` strings as a dict, values read as YAML scalars (no code runs)."""
    import yaml  # lazy: keeps `graphseg --help` fast

    out = {}
    for item in items:
        key, sep, value = item.partition('=')
        if not sep or not key.isidentifier():
            raise ValueError(f"--model-kwargs must be KEY=VALUE with KEY a name, got {item!r}")
        parsed = yaml.safe_load(value) if value else None
        if isinstance(parsed, (dict, list)):
            raise ValueError(f"--model-kwargs {key} must be a scalar (number, bool, string), got "
                             f"{value!r}")
        out[key] = parsed
    return out


def check_args(args: argparse.Namespace) -> dict:
    """Every option checked before anything is built or written; returns the model kwargs."""
    from ..models import list_models, model_info  # lazy: keeps `graphseg --help` fast

    known = list_models(task='segmentation')
    if args.model not in known:
        close = [n for n in known if args.model in n or n in args.model][:5]
        raise ValueError(f"--model must be a registered segmentation model (graphseg.models."
                         f"list_models(task='segmentation'), e.g. {close or known[:5]}), got "
                         f"{args.model!r}")
    if not os.path.isfile(args.weights):
        raise FileNotFoundError(f"--weights {args.weights!r} does not exist")
    info = model_info(args.model)
    H, W = args.size
    if min(H, W) < info.min_input_size or H % info.input_divisor or W % info.input_divisor:
        raise ValueError(f"--size must be at least {info.min_input_size} and a multiple of "
                         f"{info.input_divisor} for {args.model}, got {H} {W}")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    return parse_kwargs(args.model_kwargs)


def run(args: argparse.Namespace) -> int:
    # lazy: keeps `graphseg --help` fast
    import torch

    from ..engine.run_folder import (check_run_dir, create_run_dir, finish_record, run_record,
                                     write_json)
    from ..engine.runner import load_weights
    from ..models import create_model, model_info
    from ..models.export import SUFFIXES, export_model, export_support

    kwargs = check_args(args)
    out = check_run_dir(args.out, args.overwrite)
    model = create_model(args.model, **kwargs).eval()
    reason = export_support(model)
    if reason is not None:
        raise ValueError(f"--model {args.model} does not export: {reason}")
    load_weights(model, args.weights)
    example = torch.rand(args.batch_size, 3, *args.size,
                         generator=torch.Generator().manual_seed(0))
    create_run_dir(out)
    path = os.path.join(out, 'model' + SUFFIXES[args.format])
    result = export_model(model, example, path, args.format, dynamic=not args.static,
                          check=not args.no_check,
                          input_divisor=model_info(args.model).input_divisor)
    record = run_record('export', model=args.model, model_kwargs=kwargs,
                        weights=os.path.abspath(args.weights), format=args.format,
                        size=list(args.size), batch_size=args.batch_size,
                        dynamic=result.dynamic, dynamic_size=result.dynamic_size,
                        checked=not args.no_check,
                        max_abs_diff=result.max_abs_diff, max_rel_diff=result.max_rel_diff,
                        argmax_agreement=result.argmax_agreement,
                        float64_export_error=result.float64_export_error,
                        float64_eager_error=result.float64_eager_error,
                        export_seconds=result.seconds, outputs=[os.path.basename(path),
                                                                'run.json'])
    write_json(os.path.join(out, 'run.json'), finish_record(record))
    if args.no_check:
        print(f'wrote {path} (not checked)')
    else:
        print(f'wrote {path}: max |exported - eager| = {result.max_abs_diff:.3g} '
              f'({result.max_rel_diff:.3g} of the largest logit), arg-max agreement '
              f'{result.argmax_agreement:.4f}'
              + ('' if result.float64_export_error is None else
                 f'; beyond 1e-4, float64 eager arbitrated: export '
                 f'{result.float64_export_error:.3g}, float32 eager '
                 f'{result.float64_eager_error:.3g} from float64'))
    return 0
