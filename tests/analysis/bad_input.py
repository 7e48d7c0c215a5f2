"""Bad-input rows of graphseg.analysis: ``ERRORS``, ``ACCEPTED`` and ``NO_ROW``.

Collected by tests/test_bad_input.py, which explains the row format."""
from __future__ import annotations

import torch

from graphseg import analysis
from tests.bad_input_fixtures import E, S, fcn

ERRORS = [
    # ---------------------------------------------------------------- graphseg.analysis
    ('analysis.dense_flop_macs: not callable', lambda: analysis.dense_flop_macs(3), S,
     r'fn must be callable'),
    ('analysis.format_macs: str', lambda: analysis.format_macs('1G'), S, r'macs must be a number'),
    ('analysis.summarize: not a dict', lambda: analysis.summarize([1, 2]), S,
     r'breakdown must be a dict'),
    ('analysis.count_macs: model not a module',
     lambda: analysis.count_macs('fcn_small', torch.randn(1, 3, 16, 16)),
     S, r'model must be an nn.Module, got str'),
    ('analysis.count_macs: x not a batch', lambda: analysis.count_macs(fcn(), [1]), E,
     r'x must be a batch tensor \(B, \.\.\.\) with B >= 1, got list'),
    ('analysis.count_macs: depth 0',
     lambda: analysis.count_macs(fcn(), torch.randn(1, 3, 16, 16), depth=0), E,
     r'depth must be an int >= 1, got 0'),
    ('analysis.count_macs: x channels',
     lambda: analysis.count_macs(fcn(), torch.randn(1, 1, 16, 16)), E,
     r'x must have 3 channels'),
    ('analysis.record: empty benchmark', lambda: analysis.record('', 'case', speedup=1.), E,
     r"benchmark must be a non-empty string, got ''"),
    ('analysis.record: no values', lambda: analysis.record('b', 'case'), E,
     r"record\('b', 'case'\) needs at least one value"),
    ('analysis.record: value not JSON', lambda: analysis.record('b', 'case', x=object()), S,
     r'values must be numbers or strings \(they go to JSON\), got x=object'),
    ('analysis.compare_times: empty', lambda: analysis.compare_times({}), E,
     r'fns must be a non-empty dict'),
    ('analysis.compare_times: repeat 0',
     lambda: analysis.compare_times({'a': lambda: 1}, repeat=0), E,
     r'repeat must be an int >= 1, got 0'),
    ('analysis.compare_times: not callable', lambda: analysis.compare_times({'a': 1}), S,
     r"fns\['a'\] must be callable, got int"),
    ('analysis.peak_memory: not callable', lambda: analysis.peak_memory(1), S,
     r'fn must be callable'),
    ('analysis.format_table: row length', lambda: analysis.format_table([[1, 2, 3]], ['a', 'b']), E,
     r'rows must have 2 entries \(one per header\), row 0 has 3'),
    ('analysis.add_benchmark_arguments: not a parser',
     lambda: analysis.add_benchmark_arguments(None), S,
     r'parser must be an argparse.ArgumentParser, got NoneType'),
    ('analysis.setup_benchmark: threads 0', lambda: analysis.setup_benchmark(
        __import__('argparse').Namespace(threads=0, device='cpu'), 'x'), E,
     r'--threads must be an int >= 1, got 0'),
]


ACCEPTED = []


#: Public callables of this package without a bad-input row, and why.
NO_ROW = {
    'analysis.machine_summary': 'takes no argument',
    'analysis.quiet_stderr': 'a context manager without arguments',
    'analysis.take_records': 'takes no argument',
    'analysis.machine_info': 'takes no argument',
    'analysis.compile_cases': 'takes no argument',
    'analysis.CompileCase': 'a dataclass of the catalogue, built by compile_cases',
}
