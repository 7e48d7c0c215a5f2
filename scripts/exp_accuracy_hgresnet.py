"""Does HG-Conv keep accuracy? HG-ResNet-18 vs its dense counterpart, RGNet vs the non-local model.

Trains resnet18_dilated, hg_resnet18 at ratios 1/4, 1/16, 1/64, nonlocal_resnet18 and rgnet_resnet18
from scratch on the bundled digit scenes (graphseg.data.MNISTSegmentation: real MNIST digits on
crops of real skimage photos, 11 classes), with the same data, schedule and seeds, and reports val
mIoU (mean +- half the range over the seeds). One run per call, so each can go under the shared CPU
lock; results accumulate in a JSON file (one record per model and seed; a rerun replaces its record)
and the trained weights next to it:

    flock /tmp/graphseg_cpu.lock python scripts/exp_accuracy_hgresnet.py --run hg_resnet18@1/16
    --seed 0
    python scripts/exp_accuracy_hgresnet.py --table            # the table from the JSON file
    python scripts/exp_accuracy_hgresnet.py --all   # every run in sequence (one long job)

Targets: HG-ResNet within 2 mIoU of the dense counterpart at some ratio <= 1/16; RGNet >= the
non-local model.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Dict, List

import torch
from torch.utils.data import TensorDataset

from graphseg.data import MNISTSegmentation
from graphseg.engine import TrainConfig, train
from graphseg.evaluation import evaluate
from graphseg.analysis.timing import format_table, machine_summary
from graphseg.analysis.macs import count_macs
from graphseg.models import create_model

#: name -> (registered model, extra arguments)
CONFIGS: Dict[str, tuple] = {
    'resnet18_dilated': ('resnet18_dilated', {}),
    'hg_resnet18@1/4': ('hg_resnet18', {'ratio': 1 / 4}),
    'hg_resnet18@1/16': ('hg_resnet18', {'ratio': 1 / 16}),
    'hg_resnet18@1/64': ('hg_resnet18', {'ratio': 1 / 64}),
    # diagnostic: as many groups as pixels (no coarsening; the HG machinery alone, without the
    # dilation)
    'hg_resnet18@1/1': ('hg_resnet18', {'ratio': 1.}),
    'nonlocal_resnet18': ('nonlocal_resnet18', {}),
    'rgnet_resnet18': ('rgnet_resnet18', {}),
}
SEEDS = (0, 1)
MAIN = ('resnet18_dilated', 'hg_resnet18@1/4', 'hg_resnet18@1/16', 'hg_resnet18@1/64',
        'nonlocal_resnet18', 'rgnet_resnet18')


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--run', choices=sorted(CONFIGS), help='train and evaluate one configuration')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--all', action='store_true', help='every configuration and seed in sequence')
    p.add_argument('--table', action='store_true', help='print the table of the results file')
    p.add_argument('--size', type=int, default=96,
                   help='canvas side (default 96: ~6 min per run on 2 idle cores)')
    p.add_argument('--steps', type=int, default=1000)
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--train-samples', type=int, default=2000)
    p.add_argument('--val-samples', type=int, default=200)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--results',
                   default=os.environ.get('GRAPHSEG_EXP_RESULTS', 'exp_accuracy_hgresnet.json'))
    p.add_argument('--hg-option', default='', help="extra HG clustering option as key=value (e.g. "
                                                      "direction_length=True); recorded with the "
                                                      "run")
    return p.parse_args()


def materialise(split: str, n: int, size: int, cache_dir: str) -> TensorDataset:
    """The digit scenes as tensors, cached next to the results (every model sees the same pixels;
    composing a photo scene costs ~50 ms, more than a training step on a few of them)."""
    path = os.path.join(cache_dir, f'digit_scenes_{split}_{n}x{size}.pt')
    if os.path.exists(path):
        images, labels = torch.load(path)
    else:
        ds = MNISTSegmentation(split, num_samples=n, size=size, rgb=True, seed=0)
        images, labels = (torch.stack(t) for t in zip(*(ds[i] for i in range(n))))
        labels = labels.to(torch.uint8)  # {0..10, 255}
        os.makedirs(cache_dir, exist_ok=True)
        torch.save((images, labels), path)
    return TensorDataset(images, labels.long())


def run_one(name: str, seed: int, args: argparse.Namespace) -> dict:
    factory, kwargs = CONFIGS[name]
    kwargs = dict(kwargs)
    if args.hg_option and factory.startswith('hg_'):
        key, value = args.hg_option.split('=')
        kwargs[key] = json.loads(value.lower()) if value.lower() in ('true',
                                                                     'false') else float(value)
    torch.set_num_threads(args.threads)
    cache = os.path.dirname(os.path.abspath(args.results))
    train_set = materialise('train', args.train_samples, args.size, cache)
    val_set = materialise('val', args.val_samples, args.size, cache)
    torch.manual_seed(seed)
    model = create_model(factory, num_classes=MNISTSegmentation.num_classes, **kwargs)
    cfg = TrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=seed,
                      log_every=50)
    t0 = time.perf_counter()
    log = train(model, train_set, cfg, ignore_index=MNISTSegmentation.ignore_index, progress=False)
    train_s = time.perf_counter() - t0
    metrics = evaluate(model, val_set, MNISTSegmentation.num_classes,
                       ignore_index=MNISTSegmentation.ignore_index, batch_size=16)
    macs = count_macs(model, val_set.tensors[0][:2], depth=2)
    tag = name.replace('/', '-') + (f'_{args.hg_option}' if args.hg_option else '')
    torch.save(model.state_dict(),
               os.path.join(cache, f'{tag}_seed{seed}_{args.size}px_{args.steps}.pt'))
    return {'config': name, 'model': factory, 'kwargs': {k: v for k, v in kwargs.items()},
            'seed': seed, 'hg_option': args.hg_option, 'miou': float(metrics['miou']),
            'pixel_acc': float(metrics['pixel_acc']), 'train_s': round(train_s, 1),
            'steps': args.steps, 'batch_size': args.batch_size, 'size': args.size, 'lr': args.lr,
            'final_loss': log[-1]['loss'], 'macs': macs['total'],
            'stage4_macs': macs['modules'].get('backbone.layer4', 0), 'params': macs['params'],
            'machine': machine_summary()}


def load(path: str) -> List[dict]:
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)


def save(path: str, record: dict) -> None:
    rows = [
        r
        for r in load(path)
        if not (
            r['config'] == record['config']
            and r['seed'] == record['seed']
            and r.get('hg_option', '') == record['hg_option']
            and r['size'] == record['size']
            and r['steps'] == record['steps']
        )
    ]
    rows.append(record)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(rows, f, indent=1)


def table(path: str) -> str:
    rows = load(path)
    groups: Dict[tuple, List[dict]] = {}
    for r in rows:
        groups.setdefault((r['config'], r.get('hg_option', ''), r['size'], r['steps']),
                          []).append(r)
    dense = {(k[2], k[3]): statistics.mean(x['miou'] for x in v) for k, v in groups.items()
             if k[0] == 'resnet18_dilated'}
    out = []
    order = list(CONFIGS)
    for key in sorted(groups,
                      key=lambda k: (k[2], k[3], order.index(k[0]) if k[0] in order else 99, k[1])):
        v = groups[key]
        m = [x['miou'] for x in v]
        mean, spread = statistics.mean(m), (max(m) - min(m)) / 2
        ref = dense.get((key[2], key[3]))
        delta = (
            f'{100 * (mean - ref):+.1f}' if ref is not None and key[0] != 'resnet18_dilated' else ''
        )
        out.append([key[0] + (f' [{key[1]}]' if key[1] else ''), f'{key[2]}px/{key[3]} steps',
                    ', '.join(str(x['seed']) for x in v), f'{100 * mean:.1f} +- {100 * spread:.1f}',
                    delta, f'{statistics.mean(x["macs"] for x in v) / 1e9:.2f}',
                    f'{statistics.mean(x["stage4_macs"] for x in v) / 1e9:.3f}',
                    f'{statistics.mean(x["train_s"] for x in v):.0f}'])
    return format_table(out, ['model', 'setting', 'seeds', 'val mIoU %', 'vs dense', 'GMACs/img',
                              'stage-4 GMACs', 'train s'])


def main() -> None:
    args = parse()
    if args.run:
        rec = run_one(args.run, args.seed, args)
        save(args.results, rec)
        print(json.dumps(rec))
    elif args.all:
        for name in MAIN:
            for seed in SEEDS:
                rec = run_one(name, seed, args)
                save(args.results, rec)
                print(json.dumps(rec), flush=True)
    if args.table or args.all or not args.run:
        print(machine_summary())
        print(table(args.results))


if __name__ == '__main__':
    main()
