"""Benchmarks of RepGraph (Yu et al., ECCV 2020) against the non-local block it replaces.

Every number is measured side by side in this run (interleaved, median of repeats; peak memory from
torch's allocator events, see graphseg.analysis.timing):

1. the target: Bottleneck RepGraph (S = 9) vs NonLocal2d at 128x64, C = 512, C' = 128, batch 1 --
   forward (eval, no grad) and forward + backward (train), time and peak memory;
2. RepGraph's two execution paths (dense gather vs message passing) on the same input;
3. the paper's Table 2 size, 256x128, C = 2048, C' = 256, where memory allows (the non-local
   affinity alone is N^2 = 1.07e9 floats = 4 GiB, and softmax keeps a second copy).

    python scripts/bench_repgraph.py [--quick] [--device cuda] [--no-paper] [--threads N]

CPU timings of many small ops suffer when other processes share the cores (an OpenMP barrier waits
for a descheduled worker); the load average is printed before and after, and ``--threads 1``
gives numbers that are robust to it.
"""
from __future__ import annotations

import argparse
import os

import torch

from graphseg.analysis.timing import (compare_times, format_table, machine_summary, peak_memory,
                                      record)
from graphseg.analysis.macs import format_macs
from graphseg.ops.macs import nonlocal_macs, repgraph_macs
from graphseg.nn import NonLocal2d, RepGraph


def mib(nbytes: float) -> str:
    return f'{nbytes / 2**20:.0f}' if nbytes >= 2**24 else f'{nbytes / 2**20:.1f}'


def available_bytes(device: torch.device) -> int:
    if device.type == 'cuda':
        free, _ = torch.cuda.mem_get_info(device)
        return free
    with open('/proc/meminfo') as f:
        info = dict(line.split(':', 1) for line in f)
    return int(info['MemAvailable'].split()[0]) * 1024


def make_models(C: int, C_: int, device: torch.device, seed: int = 0):
    torch.manual_seed(seed)
    rg = RepGraph(C, C_, num_samples=9, variant='bottleneck').to(device)
    # trained-looking offsets (zero offsets would sample the 3x3 neighbourhood)
    with torch.no_grad():
        rg.layer.offset.weight.normal_(0, 0.05)
        rg.layer.offset.bias.normal_(0, 2.0)
    nl = NonLocal2d(C, reduction=C // C_).to(device)
    return rg, nl


def forward_fn(m, x):
    def run():
        with torch.no_grad():
            return m(x)
    return run


def train_fn(m, x):
    def run():
        m.zero_grad(set_to_none=True)
        m(x).sum().backward()
    return run


def compare(rg, nl, x, device, repeat: int, label: str, rows: list) -> None:
    for mode, make, train in (('forward', forward_fn, False), ('forward+backward', train_fn, True)):
        rg.train(train)
        nl.train(train)
        fns = {'repgraph': make(rg, x), 'nonlocal': make(nl, x)}
        t = compare_times(fns, repeat=repeat, warmup=1, device=device)
        m_rg, m_nl = peak_memory(fns['repgraph'], device), peak_memory(fns['nonlocal'], device)
        record('repgraph_vs_nonlocal', f'{label} {mode}', repgraph_s=t['repgraph'],
               nonlocal_s=t['nonlocal'], speedup=t['nonlocal'] / t['repgraph'],
               repgraph_peak_bytes=m_rg, nonlocal_peak_bytes=m_nl, mem_ratio=m_nl / m_rg)
        rows.append([label, mode, f'{t["repgraph"] * 1e3:.1f}', f'{t["nonlocal"] * 1e3:.0f}',
                     f'{t["nonlocal"] / t["repgraph"]:.1f}x', mib(m_rg), mib(m_nl),
                     f'{m_nl / m_rg:.1f}x'])
        print(f'  measured {rows[-1][0]} {rows[-1][1]}', flush=True)


HEADERS = ['size', 'pass', 'RepGraph ms', 'non-local ms', 'speed-up', 'RepGraph MiB',
           'non-local MiB', 'mem ratio']


def bench_target(device: torch.device, repeat: int) -> None:
    H, W, C, C_ = 128, 64, 512, 128
    print(f'\n## Bottleneck RepGraph (S=9) vs NonLocal2d, {H}x{W}, C={C}, C\'={C_}, batch 1, '
          f'{device.type}')
    print(f'MACs (graphseg.ops.macs): RepGraph {format_macs(repgraph_macs(H, W, C, C_))}, '
          f'non-local {format_macs(nonlocal_macs(H, W, C, C_, include_output=True))} (both incl. '
          'output conv)')
    rg, nl = make_models(C, C_, device)
    x = torch.randn(1, C, H, W, device=device)
    rows: list = []
    compare(rg, nl, x, device, repeat, f'{H}x{W}', rows)
    print('\n' + format_table(rows, HEADERS))
    print('(targets: >= 10x faster and >= 10x less peak memory, forward and forward+backward; the '
          'paper reports\n 5.6x on GPU at 256x128, C=2048)')


def bench_paths(device: torch.device, repeat: int) -> None:
    H, W, C, C_ = 128, 64, 512, 128
    print('\n## RepGraph paths: dense gather (default) vs message passing over '
          f'representative_graph, {H}x{W}')
    rg, _ = make_models(C, C_, device)
    x = torch.randn(1, C, H, W, device=device)
    rg_graph = RepGraph(C, C_, 9).to(device)
    rg_graph.load_state_dict(rg.state_dict())
    rg_graph.path = 'graph'
    rg.eval()
    rg_graph.eval()
    with torch.no_grad():
        err = float((rg(x) - rg_graph(x)).abs().max())
    rows = []
    for mode, make, train in (('forward', forward_fn, False), ('forward+backward', train_fn, True)):
        rg.train(train)
        rg_graph.train(train)
        fns = {'dense': make(rg, x), 'graph': make(rg_graph, x)}
        t = compare_times(fns, repeat=repeat, device=device)
        m_d, m_g = peak_memory(fns['dense'], device), peak_memory(fns['graph'], device)
        record('repgraph_paths', mode, dense_s=t['dense'], graph_s=t['graph'],
               speedup=t['graph'] / t['dense'], mem_ratio=m_g / m_d)
        rows.append(
            [
                mode,
                f'{t["dense"] * 1e3:.1f}',
                f'{t["graph"] * 1e3:.1f}',
                f'{t["graph"] / t["dense"]:.1f}x',
                mib(m_d),
                mib(m_g),
                f'{m_g / m_d:.1f}x',
            ]
        )
    print(
        format_table(
            rows,
            [
                'pass',
                'dense ms',
                'graph ms',
                'dense speed-up',
                'dense MiB',
                'graph MiB',
                'mem ratio',
            ],
        )
    )
    print(f'(max |dense - graph| = {err:.1e})')


def bench_paper(device: torch.device, repeat: int) -> None:
    H, W, C, C_ = 256, 128, 2048, 256
    N = H * W
    print(f'\n## Paper size (Table 2): {H}x{W}, C={C}, C\'={C_}, batch 1, {device.type}')
    print(f'MACs, Table 2 convention: non-local {format_macs(nonlocal_macs(H, W, C, C_))} '
          '(3NCC\' + 2N^2C\', W_z excluded), Bottleneck RepGraph '
          f'{format_macs(repgraph_macs(H, W, C, C_))}')
    need_fwd, need_train = 2.2 * 4 * N * N, 3.3 * 4 * N * N  # affinity + softmax (+ its gradient)
    have = available_bytes(device)
    rg, nl = make_models(C, C_, device)
    x = torch.randn(1, C, H, W, device=device)
    rows: list = []
    if have < need_fwd:
        print(f'skipped: the non-local block needs ~{need_fwd / 2**30:.0f} GiB, '
              f'{have / 2**30:.0f} GiB available')
        return
    for mode, make, train, need in (('forward', forward_fn, False, need_fwd),
                                    ('forward+backward', train_fn, True, need_train)):
        if have < need:
            print(f'{mode} skipped: needs ~{need / 2**30:.0f} GiB, {have / 2**30:.0f} GiB '
                  'available')
            continue
        rg.train(train)
        nl.train(train)
        fns = {'repgraph': make(rg, x), 'nonlocal': make(nl, x)}
        t = compare_times(fns, repeat=repeat, warmup=0, device=device)
        m_rg, m_nl = peak_memory(fns['repgraph'], device), peak_memory(fns['nonlocal'], device)
        record('repgraph_vs_nonlocal', f'{H}x{W} {mode}', repgraph_s=t['repgraph'],
               nonlocal_s=t['nonlocal'], speedup=t['nonlocal'] / t['repgraph'],
               repgraph_peak_bytes=m_rg, nonlocal_peak_bytes=m_nl, mem_ratio=m_nl / m_rg)
        rows.append([f'{H}x{W}', mode, f'{t["repgraph"] * 1e3:.0f}', f'{t["nonlocal"] * 1e3:.0f}',
                     f'{t["nonlocal"] / t["repgraph"]:.1f}x', mib(m_rg), mib(m_nl),
                     f'{m_nl / m_rg:.1f}x'])
        print(f'  measured {rows[-1][0]} {rows[-1][1]}', flush=True)
    print('\n' + format_table(rows, HEADERS))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='fewer repeats, no paper-size run')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--no-paper', action='store_true',
                        help='skip the 256x128, C=2048 configuration')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch default)')
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(machine_summary())
    print('load average (1, 5, 15 min): %.2f %.2f %.2f' % os.getloadavg())
    bench_target(device, repeat=3 if args.quick else 7)
    bench_paths(device, repeat=2 if args.quick else 5)
    if not (args.quick or args.no_paper):
        bench_paper(device, repeat=1)
    print('\nload average (1, 5, 15 min): %.2f %.2f %.2f' % os.getloadavg())
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
