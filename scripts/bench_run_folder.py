"""What the run folder's safety costs: atomic writes with fsync and a SHA-256 beside every
checkpoint, against a plain ``torch.save``, relative to a training step of ``fcn_resnet18`` at 256 x
256.

Both ways of writing the same checkpoint (model, optimiser, scheduler, RNG states of a trained step)
are timed interleaved (:func:`graphseg.analysis.compare_times`), then the extra cost is put beside
the time of one training step (forward, loss, backward, AdamW) and amortised over
``train.checkpoint_every`` steps; the checksum check on load is timed the same way.

    python scripts/bench_run_folder.py [--quick] [--threads 1] [--batch 8]
"""
from __future__ import annotations

import argparse
import os
import tempfile

import torch

from graphseg.analysis import (add_benchmark_arguments, compare_times, format_table, record,
                               setup_benchmark)
from graphseg.engine import TrainConfig
from graphseg.engine.checkpoint import load_checkpoint, rng_state, save_checkpoint
from graphseg.engine.losses import Objective, combine_terms
from graphseg.engine.optim import build_optimizer, build_scheduler
from graphseg.models import create_model


def main() -> None:
    parser = add_benchmark_arguments(argparse.ArgumentParser(description=__doc__), device='cpu')
    parser.add_argument('--batch', type=int, default=8, help='images per training step')
    parser.add_argument('--size', type=int, default=256, help='image side')
    args = parser.parse_args()
    device = setup_benchmark(args, 'bench_run_folder')
    repeat = 3 if args.quick else 7
    torch.manual_seed(0)
    model = create_model('fcn_resnet18', num_classes=19).to(device).train()
    config = TrainConfig(steps=1000, batch_size=args.batch, optimizer='adamw', lr=1e-4)
    objective = Objective(model, config)
    opt = build_optimizer(model.parameters(), config)
    sched = build_scheduler(opt, config)
    x = torch.rand(args.batch, 3, args.size, args.size, device=device)
    y = torch.randint(0, 19, (args.batch, args.size, args.size), device=device)

    def step():
        loss = combine_terms(objective(x, y), config.aux_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()

    step()  # the optimiser state exists from here on
    state = {'model': model.state_dict(), 'optimizer': opt.state_dict(),
             'scheduler': sched.state_dict(), 'step': 1, 'rng': [rng_state()],
             'config': vars(config).copy()}
    folder = tempfile.mkdtemp(prefix='graphseg-bench-')
    plain, safe = os.path.join(folder, 'plain.pt'), os.path.join(folder, 'safe.pt')
    t = compare_times({'training step': step,
                       'torch.save': lambda: torch.save(state, plain),
                       'save_checkpoint (atomic + fsync + sha256)': lambda: save_checkpoint(state,
                                                                                            safe)},
                      repeat=repeat, warmup=1, device=device)
    t_load = compare_times({'torch.load(weights_only=True)':
                            lambda: torch.load(plain, weights_only=True),
                            'load_checkpoint (+ sha256 check)': lambda: load_checkpoint(safe)},
                           repeat=repeat, warmup=1)
    extra = t['save_checkpoint (atomic + fsync + sha256)'] - t['torch.save']
    size_mb = os.path.getsize(safe) / 2 ** 20
    rows = [[k, f'{v * 1e3:.1f}'] for k, v in {**t, **t_load}.items()]
    print(f'checkpoint {size_mb:.0f} MiB; fcn_resnet18, batch {args.batch}, '
          f'{args.size}x{args.size}')
    print(format_table(rows, ['what', 'ms (median)']))
    rows = []
    for every in (1, 10, 100, 1000):
        share = extra / every / t['training step']
        rows.append([every, f'{100 * share:.3f} %'])
        record('run_folder', f'checkpoint_every={every}', overhead_share=share,
               extra_save_s=extra, step_s=t['training step'])
    print(format_table(rows, ['train.checkpoint_every', 'extra time per step (of a step)']))
    load_extra = (
        t_load['load_checkpoint (+ sha256 check)'] - t_load['torch.load(weights_only=True)']
    )
    print(f'checksum check on load: +{load_extra * 1e3:.1f} ms per load')


if __name__ == '__main__':
    main()
