"""``graphseg eval --config configs/NAME.yaml --weights PATH [section.key=value ...]``: evaluate
weights.

Metrics follow the dataset's task (``eval.task``): mIoU / pixel accuracy, saliency max-F /
MAE / S-measure, or road IoU / APLS; ``eval.scales=[0.5,0.75,1,1.25,1.5,1.75] eval.flip=true``
is multi-scale + flip testing. Also under ``torchrun`` (the dataset is sharded, metrics
reduced). Writes ``run.json`` into ``--out`` (default ``runs/<config name>-eval``).
"""
from __future__ import annotations

import argparse
import os

from ._common import HelpFormatter, add_run_options, default_out, describe, print_metrics


def add_parser(sub, name: str) -> None:
    p = sub.add_parser(name, help='evaluate weights on a config\'s validation split',
                       formatter_class=HelpFormatter, description=describe(__doc__))
    p.add_argument('--config', required=True, help='a run config (YAML)')
    p.add_argument('--weights', required=True,
                   help='a state_dict file (model.pt) or a checkpoint (checkpoint.pt)')
    p.add_argument('overrides', nargs='*', metavar='KEY=VALUE',
                   help='config overrides with dotted keys, e.g. eval.flip=true '
                        'data.val_split=test')
    p.add_argument('--no-progress', action='store_true', help='no progress bars')
    add_run_options(p, 'runs/<config name>-eval')
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # lazy: keeps `graphseg --help` fast
    from .. import distributed as comm
    from ..engine.config import load_run_config
    from ..engine.runner import model_summary, prepare, run_evaluation
    from ..engine.run_folder import (check_run_dir, create_run_dir, finish_record, run_record,
                                     write_json)

    config = load_run_config(args.config, args.overrides)
    if not os.path.isfile(args.weights):
        raise FileNotFoundError(f"--weights {args.weights!r} does not exist")
    out = check_run_dir(default_out(args, '-eval'), args.overwrite)
    p = prepare(config, train=False, weights=args.weights)
    try:
        metrics = run_evaluation(p, progress=not args.no_progress)
    finally:
        if comm.is_distributed():
            import torch.distributed as dist
            dist.destroy_process_group()
    if comm.is_main_process():
        create_run_dir(out)
        record = run_record('eval', config=config.to_dict(),
                            config_file=os.path.abspath(args.config), overrides=args.overrides,
                            weights=os.path.abspath(args.weights), models=model_summary(p),
                            data=p.data_options(), world_size=comm.get_world_size(),
                            device=str(p.device), metrics=metrics, outputs=['run.json'])
        write_json(os.path.join(out, 'run.json'), finish_record(record))
        print_metrics(metrics)
        print(f'wrote {out}/run.json')
    return 0
