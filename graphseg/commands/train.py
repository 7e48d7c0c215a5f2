"""``graphseg train --config configs/NAME.yaml [section.key=value ...]``: train, checkpoint,
evaluate.

Also ``torchrun --nproc_per_node=N -m graphseg train ...`` (DDP: NCCL on GPU, gloo on CPU).
The run folder (``--out``, default ``runs/<config name>``) receives ``config.yaml`` (the
resolved config), ``checkpoint.pt`` (atomic, every ``train.checkpoint_every`` steps and at the
end), ``model.pt`` (the final weights) and ``run.json`` (command line, resolved config, model,
data options, versions, git commit, training log, metrics). ``--resume`` continues from the
folder's checkpoint (or ``--resume PATH``) exactly where it stopped.
"""
from __future__ import annotations

import argparse
import os

from ._common import HelpFormatter, add_run_options, default_out, describe, print_metrics

_AUTO = '<run folder>'


def add_parser(sub, name: str) -> None:
    p = sub.add_parser(name, help='train a model from a config (checkpoints, resume, DDP)',
                       formatter_class=HelpFormatter,
                       description=describe(__doc__))
    p.add_argument('--config', required=True, help='a run config (YAML), e.g. configs/digits.yaml')
    p.add_argument('overrides', nargs='*', metavar='KEY=VALUE',
                   help='config overrides with dotted keys, e.g. train.steps=100 '
                        'data.crop_size=[64,64]')
    p.add_argument('--resume', nargs='?', const=_AUTO, default=None, metavar='CHECKPOINT',
                   help='continue from CHECKPOINT, or without a value from the run folder\'s '
                        'checkpoint.pt')
    p.add_argument('--no-progress', action='store_true', help='no progress bars')
    add_run_options(p, 'runs/<config name>')
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # lazy: keeps `graphseg --help` fast
    import yaml

    from .. import distributed as comm
    from ..engine.config import load_run_config
    from ..engine.checkpoint import load_checkpoint, state_dict_from
    from ..engine.runner import check_state_fits, fit, model_summary, prepare
    from ..engine.run_folder import (check_run_dir, create_run_dir, finish_record, run_record,
                                     write_json)

    config = load_run_config(args.config, args.overrides)
    out = check_run_dir(default_out(args), args.overwrite, resume=args.resume is not None)
    resume = args.resume
    if resume == _AUTO:
        resume = os.path.join(out, 'checkpoint.pt')
        if not os.path.isfile(resume):
            raise FileNotFoundError(f"--resume: no checkpoint {resume!r} in the run folder")
    elif resume is not None and not os.path.isfile(resume):
        raise FileNotFoundError(f"--resume: checkpoint {resume!r} does not exist")
    p = prepare(config, train=True)
    state = None
    # checked before anything is written: a wrong --config must not replace config.yaml
    if resume is not None:
        state = load_checkpoint(resume, map_location=p.device)
        check_state_fits(p.model, state_dict_from(state), f"--resume checkpoint {resume!r}")
    main = comm.is_main_process()
    record = run_record('train', config=config.to_dict(), config_file=os.path.abspath(args.config),
                        overrides=args.overrides, models=model_summary(p), data=p.data_options(),
                        world_size=comm.get_world_size(), device=str(p.device), resumed_from=resume)
    if main:
        create_run_dir(out)
        with open(os.path.join(out, 'config.yaml'), 'w') as f:
            yaml.safe_dump(config.to_dict(), f, sort_keys=False)
        write_json(os.path.join(out, 'run.json'), record)
    try:
        result = fit(p, out, resume=state, progress=not args.no_progress)
    except BaseException as e:
        if main:
            record['error'] = f'{type(e).__name__}: {e}'
            write_json(os.path.join(out, 'run.json'), finish_record(record, 'failed'))
        raise
    finally:
        if comm.is_distributed():
            import torch.distributed as dist
            dist.destroy_process_group()
    if main:
        record.update(train_log=result['train_log'], metrics=result['metrics'],
                      train_images_per_s=result['train_images_per_s'],
                      train_seconds=result['train_seconds'],
                      outputs=['config.yaml', 'checkpoint.pt', 'model.pt', 'run.json'])
        write_json(os.path.join(out, 'run.json'), finish_record(record))
        print_metrics(result['metrics'])
        print(f'wrote {out}/model.pt, checkpoint.pt, config.yaml and run.json')
    return 0
