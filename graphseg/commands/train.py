"""``graphseg train --config NAME|PATH [section.key=value ...]``: train, checkpoint,
evaluate.

Also ``torchrun --nproc_per_node=N -m graphseg train ...`` (DDP: NCCL on GPU, gloo on CPU).
The run folder (``--out``, default ``runs/<config name>``) receives ``config.yaml`` (the
resolved config), ``checkpoint.pt`` (atomic, every ``train.checkpoint_every`` steps and at the
end), ``model.pt`` (the final weights) and ``run.json`` (command line, resolved config, model,
data options, versions, git commit, training log, metrics). ``--resume`` continues from the
folder's checkpoint (or ``--resume PATH``) exactly where it stopped; ``--resume
train.steps=N`` extends a finished run.
"""
from __future__ import annotations

import argparse
import os
import sys

from ._common import HelpFormatter, add_run_options, default_out, describe, print_metrics

_AUTO = '<run folder>'


def add_parser(sub, name: str) -> None:
    p = sub.add_parser(name, help='train a model from a config (checkpoints, resume, DDP)',
                       formatter_class=HelpFormatter, description=describe(__doc__),
                       epilog='shipped configs: graphseg configs; every key with its default and '
                              'meaning: graphseg config show NAME; extend a finished run: '
                              'graphseg train --config RUN/config.yaml --out RUN --resume '
                              'train.steps=N')
    p.add_argument('--config', required=True, metavar='NAME|PATH',
                   help='a run config: a shipped config\'s name (graphseg configs lists them), '
                        'e.g. '
                        'digits, or a YAML file; graphseg config show NAME prints every key with '
                        'its default and meaning')
    p.add_argument('overrides', nargs='*', metavar='KEY=VALUE',
                   help='config overrides with dotted keys, e.g. train.steps=100 '
                        'data.crop_size=[64,64]')
    p.add_argument('--resume', nargs='?', const=_AUTO, default=None, metavar='CHECKPOINT',
                   help='continue from CHECKPOINT, or without a value from the run folder\'s '
                        'checkpoint.pt')
    p.add_argument('--no-progress', action='store_true', help='no progress bars')
    p.add_argument('--allow-unsafe-load', action='store_true',
                   help='read a --resume checkpoint that needs the unsafe unpickler (it can run '
                        'code): only for your own files from older graphseg versions')
    add_run_options(p, 'runs/<config name>')
    p.set_defaults(run=run)


def resolve_resume(resume, out: str, overwrite: bool):
    """The checkpoint to resume from (``None``: a new run). ``--resume`` without a value is the run
    folder's own checkpoint; a checkpoint of another folder continues into ``--out`` only if that is
    empty or ``--overwrite`` is given (a resume never replaces another run's results)."""
    if resume is None:
        return None
    if resume == _AUTO:
        resume = os.path.join(out, 'checkpoint.pt')
        if not os.path.isfile(resume):
            raise FileNotFoundError(f"--resume: no checkpoint {resume!r} in the run folder")
        return resume
    if not os.path.isfile(resume):
        raise FileNotFoundError(f"--resume: checkpoint {resume!r} does not exist")
    own = os.path.dirname(os.path.abspath(resume)) == out
    if not own and not overwrite and os.path.isdir(out) and os.listdir(out):
        raise FileExistsError(f"--resume {resume!r} belongs to another run folder and --out "
                              f"{out!r} "
                              f"already holds results; pass --overwrite to replace them, or resume "
                              f"into the checkpoint's own folder")
    return resume


def load_resume(resume, p, config, args):
    """The checkpoint to resume, checked to fit the model and to continue the same run; and the
    resumable config keys that changed."""
    # lazy: keeps `graphseg --help` fast
    from ..engine.checkpoint import load_checkpoint, state_dict_from
    from ..engine.runner import check_resume, check_state_fits

    what = f"--resume checkpoint {resume!r}"
    state = load_checkpoint(resume, map_location=p.device, allow_unsafe=args.allow_unsafe_load)
    missing = [
        k for k in ('model', 'optimizer', 'scheduler', 'scaler', 'step', 'rng') if k not in state
    ]
    if missing:
        raise ValueError(f"{what} is not a training checkpoint (it lacks {', '.join(missing)}): a "
                         f"weights file (model.pt) starts a new run through model.weights instead")
    check_state_fits(p.model, state_dict_from(state), what)
    changed = check_resume(state, config, what)
    step = int(state['step'])
    if step >= config.train.steps:
        print(f"note: the run finished at step {step} (train.steps = {config.train.steps}); "
              "nothing is "
              "trained, the weights are re-evaluated. To extend it: --resume train.steps=N with "
              f"N > {step}")
    return state, changed


def run(args: argparse.Namespace) -> int:
    # lazy: keeps `graphseg --help` fast
    import yaml

    from .. import distributed as comm
    from ..engine.config import load_run_config
    from ..engine.run_folder import (check_run_dir, remove_evaluations, remove_outputs,
                                     run_record, write_json)
    from ..engine.runner import fit_to_machine, model_summary, prepare
    from ..fileio import RunFolderLock, atomic_write_text

    config = load_run_config(args.config, args.overrides)
    out = check_run_dir(default_out(args), args.overwrite, resume=args.resume is not None)
    resume = resolve_resume(args.resume, out, args.overwrite)
    p = prepare(config, train=True)
    # checked before anything is written: a wrong --config must not replace config.yaml
    state, changed = load_resume(resume, p, config, args) if resume is not None else (None, [])
    main = comm.is_main_process()
    notes = fit_to_machine(p)
    for note in notes if main else ():
        print(f'graphseg train: note: {note}', file=sys.stderr)
    lock = RunFolderLock(out, 'graphseg train').acquire() if main else None  # creates the folder
    try:
        record = run_record('train', config=config.to_dict(),
                            config_file=os.path.abspath(args.config), overrides=args.overrides,
                            models=model_summary(p), data=p.data_options(),
                            world_size=comm.get_world_size(), device=str(p.device),
                            resumed_from=resume, resume_changed=changed, machine_notes=notes)
        if main:
            if args.overwrite and resume is None:
                remove_outputs(out)  # no old weights beside the new config, even if this run fails
                remove_evaluations(out)  # nor evaluations of the old weights
            atomic_write_text(os.path.join(out, 'config.yaml'),
                              yaml.safe_dump(config.to_dict(), sort_keys=False), root=out)
            write_json(os.path.join(out, 'run.json'), record, root=out)
        result = train_and_record(p, out, state, record, args, main)
    finally:
        if lock is not None:
            lock.release()
        if comm.is_distributed():
            import torch.distributed as dist  # lazy: only under torchrun
            dist.destroy_process_group()
    if main:
        print_metrics(result['metrics'])
        print(f'wrote {out}/model.pt, checkpoint.pt, config.yaml and run.json')
    return 0


def train_and_record(p, out: str, state, record, args, main: bool):
    """``fit`` with ``run.json`` telling how it ended: completed, failed (with the error) or
    interrupted (Ctrl-C / SIGTERM; the steps since the last checkpoint are checkpointed)."""
    # lazy: keeps `graphseg --help` fast
    from ..engine.run_folder import finish_record, write_json
    from ..engine.runner import fit

    try:
        result = fit(p, out, resume=state, progress=not args.no_progress)
    except KeyboardInterrupt:
        if main:
            record['error'] = (
                'interrupted (Ctrl-C or SIGTERM); --resume continues from checkpoint.pt'
            )
            write_json(os.path.join(out, 'run.json'), finish_record(record, 'interrupted'),
                       root=out)
        raise
    except BaseException as e:
        if main:
            record['error'] = f'{type(e).__name__}: {e}'
            write_json(os.path.join(out, 'run.json'), finish_record(record, 'failed'), root=out)
        raise
    if main:
        record.update(train_log=result['train_log'], metrics=result['metrics'],
                      train_images_per_s=result['train_images_per_s'],
                      train_seconds=result['train_seconds'],
                      outputs=['config.yaml', 'checkpoint.pt', 'model.pt', 'run.json'])
        write_json(os.path.join(out, 'run.json'), finish_record(record), root=out)
    return result
