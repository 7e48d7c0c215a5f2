"""Training throughput (images/s) of dense models and their HG-Conv counterparts, measured side by
side.

One training step = forward, loss (``graphseg.engine.losses.Objective``: CE + aux), backward and an
SGD update, on random images of the given size; the pairs are timed interleaved in one run
(``compare_times``, medians), so the ratio is meaningful on a shared machine. MACs per image
come from ``graphseg.analysis.count_macs`` (HG-Conv's clustering and message passing included).

    python scripts/bench_train.py                                  # the pairs that are registered
    python scripts/bench_train.py --pairs resnet18_dilated:hg_resnet18 --size 512 --batch 2
    [--device cuda]
"""
from __future__ import annotations

import argparse

import torch

from graphseg.analysis.macs import count_macs
from graphseg.analysis.timing import compare_times, format_table, machine_summary
from graphseg.engine.config import TrainConfig
from graphseg.analysis.macs import format_macs
from graphseg.engine.losses import Objective, combine_terms
from graphseg.models import create_model, list_models

#: (dense, HG-Conv counterpart, input size, batch) measured by default when registered
PAIRS = (('fcn_small', 'hg_fcn_small', 64, 16), ('fcn_resnet18', 'hg_fcn_resnet18', 256, 2),
         ('resnet18_dilated', 'hg_resnet18', 256, 2))


def step_fn(name: str, size: int, batch: int, device: torch.device, num_classes: int = 19):
    torch.manual_seed(0)
    model = create_model(name, num_classes=num_classes).to(device).train()
    objective = Objective(model, TrainConfig(aux_weight=0.4))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    x = torch.rand(batch, 3, size, size, device=device)
    y = torch.randint(0, num_classes, (batch, size, size), device=device)

    def step():
        loss = combine_terms(objective(x, y), 0.4)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model, step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--pairs', default=None,
                    help='dense:hg[,dense:hg...] (default: the registered PAIRS)')
    ap.add_argument('--size', type=int, default=None, help='input side (default: per pair)')
    ap.add_argument('--batch', type=int, default=None, help='images per step (default: per pair)')
    ap.add_argument('--repeat', type=int, default=5, help='timed steps per model')
    ap.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    ap.add_argument('--device', default='cpu')
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    known = set(list_models(task='segmentation'))
    if args.pairs:
        pairs = [(*p.split(':'), args.size or 256, args.batch or 2) for p in args.pairs.split(',')]
    else:
        pairs = [(d, h, args.size or s, args.batch or b) for d, h, s,
                 b in PAIRS if d in known and h in known]
    print(machine_summary())
    rows = []
    for dense, hg, size, batch in pairs:
        models, steps = {}, {}
        for name in (dense, hg):
            models[name], steps[name] = step_fn(name, size, batch, device)
        t = compare_times(steps, repeat=args.repeat, warmup=1, device=device)
        for name in (dense, hg):
            macs = count_macs(models[name], torch.rand(1, 3, size, size, device=device))['total']
            params = sum(p.numel() for p in models[name].parameters())
            rows.append([name, f'{size}x{size}', batch, f'{params / 1e6:.2f} M', format_macs(macs),
                         f'{batch / t[name]:.1f}', f'{t[dense] / t[name]:.2f}x'])
    print(
        format_table(
            rows,
            ['model', 'input', 'batch', 'params', 'MACs/image', 'train img/s', 'speed vs dense'],
        )
    )


if __name__ == '__main__':
    main()
