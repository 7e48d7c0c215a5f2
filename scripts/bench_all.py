"""Every benchmark in one command, into one JSON of ratios, absolute figures and the machine
description.

Runs scripts/bench_{graphs,hgconv,repgraph,hyperseg,sparse,compile,inference}.py in this process
(each prints its tables as when run alone) once per thread count, collects what they record
(graphseg.analysis.timing.record) and writes

    {"machine": {...}, "args": {...}, "runs": [{"script", "threads", "seconds", "error", "records":
    [...]}]}

`python scripts/bench_table.py PATH` turns that JSON into the README's performance tables.

    python scripts/bench_all.py [--device cuda] [--quick] [--threads 1 2] [--only sparse ...] --json
    PATH

spconv rows appear when the interpreter can import spconv (a throwaway venv; never a graphseg
dependency).
"""
from __future__ import annotations

import argparse
import json
import runpy
import sys
import time
import traceback
from pathlib import Path

import torch

from graphseg.analysis.timing import machine_info, take_records

SCRIPTS = ('graphs', 'hgconv', 'repgraph', 'hyperseg', 'sparse', 'compile', 'inference')
HERE = Path(__file__).resolve().parent


def run_script(name: str, argv: list) -> dict:
    path = HERE / f'bench_{name}.py'
    saved = sys.argv
    sys.argv = [str(path)] + argv
    t0 = time.perf_counter()
    error = None
    try:
        runpy.run_path(str(path), run_name='__main__')
    except SystemExit as e:  # argparse / a script's return code
        if e.code not in (None, 0):
            error = f'exit {e.code}'
    except Exception:  # keep going: one failing benchmark must not lose the others
        error = traceback.format_exc(limit=3)
        print(error, file=sys.stderr)
    finally:
        sys.argv = saved
    return {'script': f'bench_{name}.py', 'argv': argv, 'seconds': time.perf_counter() - t0,
            'error': error, 'records': take_records()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--json', required=True, help='where to write the results')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--quick', action='store_true',
                        help='fewer repeats and sizes in every script')
    parser.add_argument('--threads', type=int, nargs='*', default=None,
                        help='run everything once per CPU thread count (default: torch\'s '
                             'setting, once)')
    parser.add_argument('--only', nargs='*', choices=SCRIPTS, default=None,
                        help='a subset of the scripts')
    parser.add_argument('--released-hyperseg', default=None, metavar='DIR',
                        help='bench_inference: a checkout of YuvalNirkin/hyperseg (outside the '
                             'repository) for the HyperSeg rows side by side with the released '
                             'code')
    args = parser.parse_args()
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        raise SystemExit('--device cuda: no CUDA device available')
    default_threads = torch.get_num_threads()
    runs = []
    for threads in args.threads or [None]:
        for name in args.only or SCRIPTS:
            argv = ['--device', args.device] + (['--quick'] if args.quick else [])
            if threads is not None:
                argv += ['--threads', str(threads)]
            if name == 'repgraph':
                argv.append('--no-paper')  # the paper size needs ~12 GiB for the non-local baseline
            if name == 'inference' and args.quick:
                argv += ['--models', 'hyperseg_m,resnet18_dilated,hg_resnet18', '--no-onnx']
            if name == 'inference' and args.released_hyperseg:
                argv += ['--released-hyperseg', args.released_hyperseg]
            print(f'\n===== bench_{name}.py {" ".join(argv)}', flush=True)
            result = run_script(name, argv)
            result['threads'] = threads or default_threads
            runs.append(result)
            torch.set_num_threads(default_threads)
            Path(args.json).write_text(
                json.dumps(
                    {'machine': machine_info(), 'args': vars(args), 'runs': runs},
                    indent=1,
                    default=str,
                )
            )
    failed = [r['script'] for r in runs if r['error']]
    print(f'\nwrote {args.json}: {sum(len(r["records"]) for r in runs)} records from {len(runs)} '
          'runs'
          + (f'; FAILED: {failed}' if failed else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    raise SystemExit(main())
