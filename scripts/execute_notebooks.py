"""Execute the notebooks in place so that they are committed with their outputs, and check their
sizes.

    python scripts/execute_notebooks.py                 # all of notebooks/*.ipynb
    python scripts/execute_notebooks.py notebooks/06_gnn_baselines.ipynb
    python scripts/execute_notebooks.py --check         # sizes and outputs only, no execution

Each notebook runs in its own folder with this checkout first on ``PYTHONPATH`` (so the graphseg
that runs is the one in this tree, not an installed copy), with a clean kernel, and is written back
with its outputs. The script fails if a notebook errors, has a code cell that was never executed, or
is larger than ``--max-mb`` (2 MB by default: figures must stay small enough to browse on a
repository page). ``nbmake`` still re-executes every notebook in the test suite.
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def execute(path: str, timeout: int) -> float:
    import nbformat
    from nbconvert.preprocessors import ExecutePreprocessor

    nb = nbformat.read(path, as_version=4)
    env_path = os.environ.get('PYTHONPATH', '')
    os.environ['PYTHONPATH'] = ROOT + (os.pathsep + env_path if env_path else '')
    os.environ.setdefault('MPLBACKEND', 'module://matplotlib_inline.backend_inline')
    t0 = time.perf_counter()
    ExecutePreprocessor(timeout=timeout, kernel_name='python3').preprocess(
        nb, {'metadata': {'path': os.path.dirname(os.path.abspath(path))}})
    nbformat.write(nb, path)
    return time.perf_counter() - t0


def check(path: str, max_mb: float) -> list:
    import nbformat
    nb = nbformat.read(path, as_version=4)
    problems = []
    size = os.path.getsize(path) / 2 ** 20
    if size > max_mb:
        problems.append(f'{size:.2f} MB > {max_mb} MB')
    unrun = [i for i, c in enumerate(nb.cells)
             if c.cell_type == 'code' and c.source.strip() and c.get('execution_count') is None]
    if unrun:
        problems.append(f'code cells never executed: {unrun}')
    errors = [i for i, c in enumerate(nb.cells) if c.cell_type == 'code'
              and any(o.get('output_type') == 'error' for o in c.outputs)]
    if errors:
        problems.append(f'cells with errors: {errors}')
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('notebooks', nargs='*', help='default: notebooks/*.ipynb')
    parser.add_argument('--check', action='store_true', help='only check sizes and outputs')
    parser.add_argument('--timeout', type=int, default=900, help='seconds per cell')
    parser.add_argument('--max-mb', type=float, default=2.0)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(glob.glob(os.path.join(ROOT, 'notebooks', '*.ipynb')))
    failed = False
    for path in paths:
        seconds = None if args.check else execute(path, args.timeout)
        problems = check(path, args.max_mb)
        failed |= bool(problems)
        took = '' if seconds is None else f', executed in {seconds:.0f} s'
        status = 'OK' if not problems else 'FAIL: ' + '; '.join(problems)
        print(f'{os.path.relpath(path, ROOT)}: {os.path.getsize(path) / 2 ** 20:.2f} MB{took}  '
              f'{status}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
