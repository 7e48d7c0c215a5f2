"""torch.compile (inductor) vs eager for every layer of graphseg.analysis.compile_cases, at
benchmark sizes.

Each layer is compiled with fullgraph=True where graphseg.analysis.compile_cases says it can be (the
others with graph breaks), then timed side by side with its eager form (interleaved medians): the
forward pass, and forward + backward for the layers that train. Compilation time is reported
separately.

    python scripts/bench_compile.py [--quick] [--device cuda] [--threads N] [--only NAME ...]
"""
from __future__ import annotations

import argparse
import time

import torch
import torch._dynamo
from torch import nn

from graphseg.analysis.timing import compare_times, format_table, machine_summary, record
from graphseg.analysis.compile_cases import _out, compile_cases


def bench_case(case, size: str, device: torch.device, repeat: int) -> list:
    torch._dynamo.reset()
    torch.manual_seed(0)
    fn, args = case.build(size, device)
    if isinstance(fn, nn.Module):
        fn.train(case.train)
    t0 = time.perf_counter()
    compiled = torch.compile(fn, fullgraph=case.fullgraph)
    modes = [('forward', False)] + ([('forward+backward', True)] if case.train else [])
    rows = []
    for mode, train in modes:
        xs = tuple(
            a.clone().requires_grad_(train)
            if isinstance(a, torch.Tensor) and a.is_floating_point()
            else a
            for a in args
        )

        def run(f, train=train, xs=xs):
            if train:
                _out(f(*xs)).sum().backward()
            else:
                with torch.no_grad():
                    f(*xs)
        t_c = time.perf_counter()
        run(compiled)  # compile (forward, or forward and backward graphs)
        compile_s = time.perf_counter() - t_c + (t_c - t0 if mode == 'forward' else 0)
        t = compare_times({'eager': lambda: run(fn), 'compiled': lambda: run(compiled)},
                          repeat=repeat, device=device)
        record('compile_vs_eager', f'{case.name} {mode}', fullgraph=case.fullgraph,
               eager_s=t['eager'], compiled_s=t['compiled'], speedup=t['eager'] / t['compiled'],
               compile_s=compile_s)
        rows.append([case.name, mode, 'yes' if case.fullgraph else 'no', f'{t["eager"] * 1e3:.2f}',
                     f'{t["compiled"] * 1e3:.2f}', f'{t["eager"] / t["compiled"]:.2f}x',
                     f'{compile_s:.0f}'])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='small inputs, fewer repeats')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--only', nargs='*', default=None, help='case names (substrings) to run')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f'# bench_compile  ({machine_summary()}; device {device})')
    print('\n## torch.compile (inductor) vs eager, side by side')
    rows = []
    for case in compile_cases():
        if args.only and not any(o.lower() in case.name.lower() for o in args.only):
            continue
        try:
            rows += bench_case(case, 'small' if args.quick else 'bench', device,
                               3 if args.quick else 7)
        # report and go on: one layer's compiler failure must not hide the others
        except Exception as e:
            msg = f'{type(e).__name__}: {str(e).splitlines()[0][:80]}'
            record('compile_vs_eager', f'{case.name}', error=msg)
            rows.append([case.name, '-', 'yes' if case.fullgraph else 'no', '-', '-', msg, '-'])
        for r in rows[-2:] if case.train else rows[-1:]:
            print('  ' + ' | '.join(r), flush=True)
    print(
        format_table(
            rows, ['layer', 'pass', 'fullgraph', 'eager ms', 'compiled ms', 'speed-up', 'compile s']
        )
    )
    print('(fullgraph no: the layer has data-dependent shapes, see '
          'graphseg/engine/compile_cases.py; it runs\n compiled with graph breaks)')


if __name__ == '__main__':
    main()
