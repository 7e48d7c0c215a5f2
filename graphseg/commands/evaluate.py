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
    p.add_argument('--allow-unsafe-load', action='store_true',
                   help='read --weights that need the unsafe unpickler (it can run code): only for '
                        'your own files from older graphseg versions')
    add_run_options(p, 'runs/<config name>-eval')
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # lazy: keeps `graphseg --help` fast
    from .. import distributed as comm
    from ..engine.config import load_run_config
    from ..engine.run_folder import check_run_dir, finish_record, run_record, write_json
    from ..engine.runner import model_summary, prepare, run_evaluation
    from ..fileio import RunFolderLock

    config = load_run_config(args.config, args.overrides)
    if not os.path.isfile(args.weights):
        raise FileNotFoundError(f"--weights {args.weights!r} does not exist")
    out = check_run_dir(default_out(args, '-eval'), args.overwrite)
    p = prepare(config, train=False, weights=args.weights, allow_unsafe=args.allow_unsafe_load)
    main = comm.is_main_process()
    lock = RunFolderLock(out, 'graphseg eval').acquire() if main else None  # creates the folder
    record = run_record('eval', config=config.to_dict(), config_file=os.path.abspath(args.config),
                        overrides=args.overrides, weights=os.path.abspath(args.weights),
                        models=model_summary(p), data=p.data_options(),
                        world_size=comm.get_world_size(), device=str(p.device),
                        outputs=['run.json'])
    try:
        if main:
            write_json(os.path.join(out, 'run.json'), record, root=out)
        try:
            metrics = run_evaluation(p, progress=not args.no_progress)
        except BaseException as e:
            if main:
                status = 'interrupted' if isinstance(e, KeyboardInterrupt) else 'failed'
                record['error'] = f'{type(e).__name__}: {e}'
                write_json(os.path.join(out, 'run.json'), finish_record(record, status), root=out)
            raise
        if main:
            record['metrics'] = metrics
            write_json(os.path.join(out, 'run.json'), finish_record(record), root=out)
    finally:
        if lock is not None:
            lock.release()
        if comm.is_distributed():
            import torch.distributed as dist  # lazy: only under torchrun
            dist.destroy_process_group()
    if comm.is_main_process():
        print_metrics(metrics)
        print(f'wrote {out}/run.json')
    return 0
