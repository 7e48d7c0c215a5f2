"""Benchmark helpers: peak memory, timing comparisons, tables."""
import torch

from graphseg.analysis.timing import compare_times, format_table, peak_memory


def test_peak_memory_counts_live_tensors():
    def f():
        a = torch.empty(1 << 18)  # 1 MiB
        b = torch.empty(1 << 18)
        del a
        c = torch.empty(1 << 19)  # 2 MiB while b (1 MiB) is alive
        return b, c
    assert peak_memory(f) == 3 << 20


def test_compare_times_and_table():
    t = compare_times({'a': lambda: None, 'b': lambda: sum(range(100))}, repeat=3)
    assert set(t) == {'a', 'b'} and all(v >= 0 for v in t.values())
    table = format_table([['x', 1.5]], ['name', 'value'])
    assert 'name' in table and '1.5' in table
