"""Measurement: MACs of whole models, side-by-side timing and memory, and the ``torch.compile``
catalogue.

* :mod:`.macs`: :func:`count_macs` (the one whole-model counter; graph layers by the closed-form
  counts of :mod:`graphseg.ops.macs`), :func:`dense_flop_macs`, :func:`format_macs`;
* :mod:`.timing`: :func:`compare_times` (interleaved medians), :func:`peak_memory`, benchmark
  records and the command-line options every ``scripts/bench_*.py`` shares
  (:func:`add_benchmark_arguments`);
* :mod:`.compile_cases`: the layers ``torch.compile`` is tested and timed on.
"""
from .compile_cases import CompileCase, compile_cases
from .macs import count_macs, dense_flop_macs, format_macs, summarize
from .timing import (add_benchmark_arguments, compare_times, format_table, machine_info,
                     machine_summary, peak_memory, quiet_stderr, record, setup_benchmark,
                     take_records)

__all__ = ['count_macs', 'dense_flop_macs', 'format_macs', 'summarize', 'compare_times',
           'peak_memory', 'format_table', 'machine_summary', 'machine_info', 'quiet_stderr',
           'record', 'take_records', 'add_benchmark_arguments', 'setup_benchmark', 'CompileCase',
           'compile_cases']
