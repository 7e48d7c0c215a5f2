"""Side-by-side timing and peak-memory measurement for ``scripts/bench_*.py``.

Machines are shared and noisy, so benchmarks compare variants *in one run*:
:func:`compare_times` interleaves the variants round-robin and reports medians,
and the scripts print ratios rather than absolute targets. Timed assertions
never go into the test suite.
"""
from __future__ import annotations

import argparse
import contextlib
import numbers
import os
import platform
import statistics
import sys
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

import torch
from torch.profiler import ProfilerActivity, profile

from ..check import check_callable, check_int


def _sync(device: Optional[torch.device]) -> None:
    if device is not None and torch.device(device).type == 'cuda':
        torch.cuda.synchronize(device)


def compare_times(fns: Dict[str, Callable[[], object]], *, repeat: int = 7, warmup: int = 1,
                  device: Optional[torch.device] = None) -> Dict[str, float]:
    """Median wall time in seconds of each callable, measured round-robin (interleaved).

    The order rotates by one callable per round, so that none always runs right after the same one
    (a callable that follows one with large allocations pays for the allocator's state: on a 2-core
    CPU the first of a fixed order was measured ~0.3 ms slower than the same call in second place).

    Args:
        fns: name -> zero-argument callable.
        repeat: timed runs per callable.
        warmup: untimed runs per callable first.
        device: synchronise this CUDA device around each run.
    """
    if not isinstance(fns, dict) or not fns:
        raise ValueError(f"fns must be a non-empty dict name -> callable, got {fns!r}")
    for name, fn in fns.items():
        check_callable(fn, f'fns[{name!r}]')
    check_int(repeat, 'repeat', 1)
    check_int(warmup, 'warmup', 0)
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: Dict[str, List[float]] = {k: [] for k in fns}
    names = list(fns)
    for r in range(repeat):
        for name in names[r % len(names):] + names[:r % len(names)]:
            fn = fns[name]
            _sync(device)
            t0 = time.perf_counter()
            fn()
            _sync(device)
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


@contextlib.contextmanager
def quiet_stderr():
    """Silence file descriptor 2 (e.g. the profiler's C++ start/stop lines) inside a ``with``
    block."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. under a notebook
        yield
        return
    saved = os.dup(fd)
    with open(os.devnull, 'w') as null:
        os.dup2(null.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)


def peak_memory(fn: Callable[[], object], device: Optional[torch.device] = None) -> int:
    """Peak bytes allocated by torch *during* ``fn()`` (tensors alive before the call excluded).

    CUDA: ``torch.cuda.max_memory_allocated``. CPU: the allocation/free events
    of ``torch.profiler`` replayed in time order.
    """
    check_callable(fn, 'fn')
    device = torch.device(device) if device is not None else torch.device('cpu')
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        fn()
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device) - base
    with quiet_stderr(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events()
                    if e.name() == '[memory]' and e.device_type() == torch.autograd.DeviceType.CPU)
    current = peak = 0
    for _, nbytes in events:
        current += nbytes
        peak = max(peak, current)
    return peak


def format_table(rows: Iterable[Sequence[object]], headers: Sequence[str]) -> str:
    """A plain-text table (for benchmark output)."""
    rows = [[f'{c:.3g}' if isinstance(c, float) else str(c) for c in r] for r in rows]
    for i, r in enumerate(rows):
        if len(r) != len(headers):
            raise ValueError(f"rows must have {len(headers)} entries (one per header), row {i} "
                             f"has {len(r)}")
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    line = '  '.join(str(h).ljust(w) for h, w in zip(headers, widths))
    out = [line, '-' * len(line)]
    out += ['  '.join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return '\n'.join(out)


def add_benchmark_arguments(parser: argparse.ArgumentParser, *,
                            quick: str = 'fewer repeats and sizes',
                            device: Optional[str] = None) -> argparse.ArgumentParser:
    """The options every ``scripts/bench_*.py`` shares, so that ``scripts/bench_all.py`` can pass
    them on: ``--quick`` (help text ``quick``), ``--device`` (default ``device``, else CUDA when
    available) and ``--threads`` (torch's CPU threads; default: torch's choice). See
    :func:`setup_benchmark`."""
    if not isinstance(parser, argparse.ArgumentParser):
        raise TypeError(f"parser must be an argparse.ArgumentParser, got {type(parser).__name__}")
    parser.add_argument('--quick', action='store_true', help=quick)
    parser.add_argument('--device',
                        default=device or ('cuda' if torch.cuda.is_available() else 'cpu'),
                        help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--threads', type=int, default=None,
                        help="torch CPU threads (default: torch's)")
    return parser


def setup_benchmark(args: argparse.Namespace, name: str) -> torch.device:
    """Apply the options of :func:`add_benchmark_arguments` (CPU threads, the device, checked to
    exist) and print the benchmark's header line with :func:`machine_summary`; returns the
    device."""
    if args.threads is not None:
        check_int(args.threads, '--threads', 1)
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise SystemExit(f'{name}: --device {args.device}: no CUDA device available')
    print(f'# {name}  ({machine_summary()})')
    return device


def machine_summary() -> str:
    """One line naming torch, threads and device, printed at the top of every benchmark."""
    dev = torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU'
    return f'torch {torch.__version__}, {torch.get_num_threads()} CPU threads, {dev}'


_RECORDS: List[Dict[str, Any]] = []


def record(benchmark: str, case: str, **values: Any) -> None:
    """Keep one result row (ratios and absolute figures) for ``scripts/bench_all.py``'s JSON.

    Args:
        benchmark: the table it belongs to, e.g. ``'sparse_vs_dense'``.
        case: the row, e.g. ``'C=64, 10% active'``.
        **values: numbers (seconds, bytes, ratios) or short strings.
    """
    for name, v in (('benchmark', benchmark), ('case', case)):
        if not isinstance(v, str) or not v:
            raise ValueError(f"{name} must be a non-empty string, got {v!r}")
    if not values:
        raise ValueError(f"record({benchmark!r}, {case!r}) needs at least one value, e.g. "
                         "speedup=1.8")
    for k, v in values.items():
        # 0-d arrays
        if not (v is None or isinstance(v, (numbers.Number, str)) or getattr(v, 'ndim', None) == 0):
            raise TypeError("values must be numbers or strings (they go to JSON), got "
                            f"{k}={type(v).__name__}")
    _RECORDS.append({'benchmark': benchmark, 'case': case, **values})


def take_records() -> List[Dict[str, Any]]:
    """The rows recorded since the last call (and forget them)."""
    out = list(_RECORDS)
    _RECORDS.clear()
    return out


def machine_info() -> Dict[str, Any]:
    """The machine a benchmark ran on: CPU model and cores, torch threads, GPU, versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            names = [line.split(':', 1)[1].strip() for line in f if line.startswith('model name')]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    info = {'cpu': cpu, 'cpu_count': os.cpu_count(), 'torch_threads': torch.get_num_threads(),
            'torch': torch.__version__, 'python': platform.python_version(),
            'platform': platform.platform(), 'gpu': None, 'cuda': torch.version.cuda}
    if torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name()
    return info


__all__ = ['compare_times', 'peak_memory', 'format_table', 'machine_summary', 'quiet_stderr',
           'record', 'take_records', 'machine_info', 'add_benchmark_arguments', 'setup_benchmark']
