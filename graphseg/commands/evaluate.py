"""``graphseg eval --config NAME|PATH --weights PATH|official:NAME [section.key=value ...]``:
evaluate weights (``official:NAME``: an authors' released checkpoint, from the cache).

Metrics follow the dataset's task (``eval.task``): mIoU / pixel accuracy, saliency max-F /
MAE / S-measure, or road IoU / APLS; ``eval.scales=[0.5,0.75,1,1.25,1.5,1.75] eval.flip=true``
is multi-scale + flip testing. Also under ``torchrun`` (the dataset is sharded, metrics
reduced). Writes ``run.json`` into ``--out``; by default a folder named after the evaluation,
inside the run folder of ``--weights`` (``runs/hg/eval/val-ms3-flip-1a2b3c4d`` for
``runs/hg/model.pt``) or under ``runs/eval/<weights name>/``: evaluations with other weights or
settings never collide, and repeating one prints its stored metrics (``--overwrite`` redoes it).
"""
from __future__ import annotations

import argparse
import os

from ._common import HelpFormatter, add_run_options, describe, print_metrics

_AUTO = '<beside the weights>'
#: the values of --fast-dtype (float32: no autocast)
FAST_DTYPES = ('float32', 'bfloat16', 'float16')


def add_parser(sub, name: str) -> None:
    p = sub.add_parser(name, help='evaluate weights on a config\'s validation split',
                       formatter_class=HelpFormatter, description=describe(__doc__))
    p.add_argument('--config', required=True, metavar='NAME|PATH',
                   help='a run config: a shipped config\'s name (graphseg configs) or a YAML file, '
                        'e.g. the run folder\'s config.yaml')
    p.add_argument('--weights', required=True,
                   help='a state_dict file (model.pt), a checkpoint (checkpoint.pt) or '
                        'official:NAME, an authors\' released checkpoint (graphseg weights list)')
    p.add_argument('overrides', nargs='*', metavar='KEY=VALUE',
                   help='config overrides with dotted keys, e.g. eval.flip=true '
                        'data.val_split=test')
    p.add_argument('--no-progress', action='store_true', help='no progress bars')
    p.add_argument('--fast', action='store_true',
                   help='evaluate through graphseg.optimize_for_inference (BatchNorm folded, the '
                        'memory format timed on the first validation image): off by default so '
                        'that eval reproduces training\'s own validation bit for bit; the fast '
                        'path differs by float rounding (< 1e-4 of the logits), and is stored '
                        'under its own -fast folder')
    p.add_argument('--fast-dtype', default='float32', choices=FAST_DTYPES,
                   help='with --fast: run under torch.autocast in this dtype (bfloat16 on CPU; '
                        'float16 or bfloat16 on CUDA); arg-max agrees with float32 on >= 99 %% '
                        'of the pixels of trained models')
    p.add_argument('--allow-unsafe-load', action='store_true',
                   help='read --weights that need the unsafe unpickler (it can run code): only for '
                        'your own files from older graphseg versions')
    add_run_options(p, _AUTO)
    p.set_defaults(run=run)


def eval_folder(weights: str, config) -> str:
    """The default ``--out`` of an evaluation: ``<run folder>/eval/<tag>`` when ``weights`` lies in
    a run folder (one with ``run.json`` or ``config.yaml``), else ``runs/eval/<weights
    name>/<tag>``. ``<tag>`` is the split, ``-ms<N>`` for N scales, ``-flip``, and 8 hex digits of a
    SHA-256 over the weights (their checksum file, else size and modification time) and every
    config key that changes the result."""
    import hashlib
    import json
    weights = os.path.abspath(weights)
    folder = os.path.dirname(weights)
    sidecar = weights + '.sha256'
    if os.path.isfile(sidecar):
        with open(sidecar, encoding='utf-8') as f:
            identity = f.read().strip()
    else:
        st = os.stat(weights)
        identity = f'{weights} {st.st_size} {st.st_mtime_ns}'
    settings = config.to_dict()
    settings.pop('train')
    key = json.dumps([identity, settings], sort_keys=True, default=str)
    ec = config.eval
    tag = (f'{config.data.val_split}{f"-ms{len(ec.scales)}" if len(ec.scales) > 1 else ""}'
           f'{"-flip" if ec.flip else ""}-{hashlib.sha256(key.encode()).hexdigest()[:8]}')
    if any(os.path.isfile(os.path.join(folder, f)) for f in ('run.json', 'config.yaml')):
        return os.path.join(folder, 'eval', tag)
    name = os.path.splitext(os.path.basename(weights))[0]
    return os.path.join('runs', 'eval', name, tag)


def already_evaluated(out: str) -> bool:
    """Whether ``out`` holds a completed evaluation (then its metrics are printed)."""
    import json
    path = os.path.join(out, 'run.json')
    try:
        with open(path, encoding='utf-8') as f:
            record = json.load(f)
    except (OSError, ValueError):
        return False
    if record.get('status') != 'completed' or 'metrics' not in record:
        return False
    print_metrics(record['metrics'])
    print(f'already evaluated with these weights and settings: {path} (--overwrite evaluates '
          f'again)')
    return True


def fast_model(p, dtype: str = 'float32'):
    """:func:`graphseg.optimize_for_inference` of the prepared model ``p.model``, its memory format
    timed on the first validation image as evaluated (transformed, padded to ``eval.size_divisor``,
    on ``p.device``); on the CPU with freed memory kept for the next image
    (:func:`graphseg.models.keep_cpu_memory`: this process only evaluates)."""
    import torch  # lazy: keeps `graphseg --help` fast
    import torch.nn.functional as F

    from .. import distributed as comm
    from ..models import optimize_for_inference

    image = comm.SeededTransform(p.val_set, p.val_transform)[0][0]
    divisor = p.config.eval.size_divisor
    H, W = image.shape[-2:]
    example = F.pad(image[None].float(), (0, (-W) % divisor, 0, (-H) % divisor)).to(p.device)
    return optimize_for_inference(p.model.to(p.device).eval(), example,
                                  dtype=None if dtype == 'float32' else getattr(torch, dtype),
                                  keep_cpu_memory=example.device.type == 'cpu')


def run(args: argparse.Namespace) -> int:
    # lazy: keeps `graphseg --help` fast
    from .. import distributed as comm
    from ..engine.config import load_run_config
    from ..engine.run_folder import check_run_dir, finish_record, run_record, write_json
    from ..engine.runner import model_summary, prepare, run_evaluation
    from ..fileio import RunFolderLock
    from ..models.pretrained import download_weights, official_name

    if args.fast_dtype != 'float32' and not args.fast:
        raise ValueError(f"--fast-dtype {args.fast_dtype} needs --fast")
    config = load_run_config(args.config, args.overrides)
    weights_file = args.weights
    if official_name(args.weights):  # a released checkpoint by name: the cached file
        weights_file = download_weights(official_name(args.weights),
                                        progress=not args.no_progress)
    elif not os.path.isfile(args.weights):
        raise FileNotFoundError(f"--weights {args.weights!r} does not exist")
    if args.out == _AUTO:
        args.out = eval_folder(weights_file, config)
        if args.fast:  # the fast path's results differ by float rounding: their own folder
            args.out += '-fast' + ('' if args.fast_dtype == 'float32' else f'-{args.fast_dtype}')
        if already_evaluated(args.out) and not args.overwrite:
            return 0
    out = check_run_dir(args.out, args.overwrite)
    p = prepare(config, train=False, weights=args.weights, allow_unsafe=args.allow_unsafe_load)
    main = comm.is_main_process()
    lock = RunFolderLock(out, 'graphseg eval').acquire() if main else None  # creates the folder
    record = run_record('eval', config=config.to_dict(), config_file=os.path.abspath(args.config),
                        overrides=args.overrides,
                        weights=args.weights if weights_file != args.weights
                        else os.path.abspath(args.weights),
                        models=model_summary(p), data=p.data_options(),
                        world_size=comm.get_world_size(), device=str(p.device),
                        outputs=['run.json'])
    if args.fast:
        p.model = fast_model(p, args.fast_dtype)
        record['fast'] = {k: str(v) if k == 'dtype' else v for k, v in p.model.summary.items()}
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
