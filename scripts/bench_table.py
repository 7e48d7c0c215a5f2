"""Markdown performance tables from the JSON of scripts/bench_all.py (the README's Benchmarks
section).

    python scripts/bench_table.py results.json [more.json ...] [--out section.md]

JSON files of one device are merged into one block (e.g. one file per script), other devices get
their own. The first table checks the issue-14 targets (worst case over the measured cases, per
thread count); the others list every recorded row.
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Tuple

# (what, benchmark, filter on the case, value key, 'max' or 'min' over cases, target text, test)
TARGETS: List[Tuple[str, str, Callable[[dict], bool], str, str, str, Callable[[float], bool]]] = [
    ('SubmanifoldConv2d forward / spconv forward (kernel maps built), 3-30 %, C = 64/128',
     'sparse_fwd_vs_spconv', lambda r: True, 'ratio', 'max', '<= 1.0x', lambda v: v <= 1.0),
    ('the same with cached kernel maps (warm)', 'sparse_fwd_vs_spconv', lambda r: True,
     'warm_ratio', 'max', '<= 1.0x', lambda v: v <= 1.0),
    ('SubmanifoldConv2d fwd+bwd / dense conv2d, 10 % active', 'sparse_fwd_bwd_vs_dense',
     lambda r: abs(r.get('active', 0) - 0.10) < 1e-6, 'ratio', 'max', '<= 0.2x',
     lambda v: v <= 0.2),
    ('SubmanifoldConv2d fwd+bwd / dense conv2d, 30 % active', 'sparse_fwd_bwd_vs_dense',
     lambda r: abs(r.get('active', 0) - 0.30) < 1e-6, 'ratio', 'max', '<= 0.6x',
     lambda v: v <= 0.6),
    ('dpw_conv2d 3x3 depthwise, batch 1 / faster static conv', 'dpw_vs_static',
     lambda r: r['case'].startswith('3x3 depthwise, batch 1'), 'ratio_vs_best_static', 'max',
     '<= 1.3x', lambda v: v <= 1.3),
    ('dpw_conv2d 1x1, batch 1 / faster static conv', 'dpw_vs_static',
     lambda r: r['case'].startswith('1x1, batch 1'), 'ratio_vs_best_static', 'max', '<= 1.2x',
     lambda v: v <= 1.2),
    ('dpw_conv2d 1x1 and 3x3 depthwise, batch 8 / faster static conv', 'dpw_vs_static',
     lambda r: r['case'].endswith('batch 8') and not r['case'].startswith('3x3 grouped'),
     'ratio_vs_best_static', 'max', '<= 1.0x', lambda v: v <= 1.0),
    ("superpixel_graph(method='torch') throughput / ToSLIC, astronaut, n = 1000",
     'superpixel_vs_toslic', lambda r: 'torch' in r['case'], 'throughput_ratio', 'min', '>= 1.5x',
     lambda v: v >= 1.5),
    ('torch SLIC: segments split into pieces', 'slic_agreement', lambda r: True, 'split_segments',
     'max', '0', lambda v: v == 0),
    ('RepGraph / non-local, 128x64, C = 512: forward speed-up', 'repgraph_vs_nonlocal',
     lambda r: r['case'] == '128x64 forward', 'speedup', 'min', '>= 10x', lambda v: v >= 10),
    ('the same, forward + backward speed-up', 'repgraph_vs_nonlocal',
     lambda r: r['case'] == '128x64 forward+backward', 'speedup', 'min', '>= 10x',
     lambda v: v >= 10),
    ('the same, training peak memory ratio', 'repgraph_vs_nonlocal',
     lambda r: r['case'] == '128x64 forward+backward', 'mem_ratio', 'min', '>= 10x',
     lambda v: v >= 10),
]


def fmt(key: str, v) -> str:
    if isinstance(v, bool) or v is None:
        return '' if v is None else ('yes' if v else 'no')
    if isinstance(v, (int, float)):
        if key.endswith('_s'):
            return f'{v * 1e3:.3g} ms' if v < 10 else f'{v:.0f} s'
        if key.endswith('_bytes'):
            return f'{v / 2 ** 20:.3g} MiB'
        if isinstance(v, int):
            return str(v)
        if any(w in key for w in ('ratio', 'speedup')):
            return f'{v:.3g}x'
        return f'{v:.3g}'
    return str(v).replace('|', '/')


def table(headers: List[str], rows: List[List[str]]) -> str:
    out = ['| ' + ' | '.join(headers) + ' |', '|' + ' --- |' * len(headers)]
    out += ['| ' + ' | '.join(r) + ' |' for r in rows]
    return '\n'.join(out)


def rows_by_benchmark(data: dict) -> Dict[str, List[dict]]:
    groups: Dict[str, List[dict]] = defaultdict(list)
    for run in data['runs']:
        for r in run['records']:
            groups[r['benchmark']].append({'threads': run['threads'], **r})
    return groups


def targets_table(groups: Dict[str, List[dict]]) -> str:
    threads = sorted({r['threads'] for rs in groups.values() for r in rs})
    rows = []
    for what, bench, keep, key, agg, target, ok in TARGETS:
        cells = []
        for t in threads:
            vals = [
                r[key] for r in groups.get(bench, []) if r['threads'] == t and keep(r) and key in r
            ]
            if not vals:
                cells.append('not run')
                continue
            v = max(vals) if agg == 'max' else min(vals)
            cells.append(f'{fmt(key, v)} ({"met" if ok(v) else "not met"})')
        rows.append([what, target] + cells)
    return table(
        ['target (worst case over the measured cases)', 'target']
        + [f'{t} thread(s)' for t in threads],
        rows,
    )


def block(data: dict, title: Optional[str] = None) -> str:
    m = data['machine']
    head = title or f"{m.get('gpu') or 'CPU'}"
    out = [f"### {head}", '',
           f"{m['cpu']}, {m['cpu_count']} cores; torch {m['torch']}, CUDA {m.get('cuda')}, GPU "
           f"{m.get('gpu')}; "
           f"device `{data['args']['device']}`{', --quick' if data['args'].get('quick') else ''}. "
           'Every ratio compares variants measured side by side in one run (interleaved medians).',
           '']
    groups = rows_by_benchmark(data)
    out += ['#### Targets', '', targets_table(groups), '']
    for bench, rs in groups.items():
        keys: List[str] = []
        for r in rs:
            keys += [k for k in r if k not in ('benchmark', 'case', 'threads') and k not in keys]
        rows = [
            [str(r['threads']), fmt('case', r['case'])] + [fmt(k, r.get(k)) for k in keys]
            for r in rs
        ]
        out += [f'#### {bench}', '', table(['threads', 'case'] + keys, rows), '']
    errors = [
        f"- `{r['script']} {' '.join(r['argv'])}`: {r['error'].splitlines()[-1]}"
        for r in data['runs']
        if r['error']
    ]
    if errors:
        out += ['Failed runs:', ''] + errors + ['']
    return '\n'.join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('json', nargs='+', help='outputs of scripts/bench_all.py')
    parser.add_argument('--out', default=None, help='write the markdown here (default: print it)')
    args = parser.parse_args()
    merged: Dict[str, dict] = {}  # the runs of several files on one device go into one block
    for path in args.json:
        data = json.load(open(path))
        key = f"{data['args']['device']} {data['machine'].get('gpu')}"
        if key in merged:
            merged[key]['runs'] += data['runs']
        else:
            merged[key] = data
    text = '\n'.join(block(d) for d in merged.values())
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text)
    else:
        print(text)


if __name__ == '__main__':
    main()
