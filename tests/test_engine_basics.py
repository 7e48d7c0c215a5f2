"""MAC-count primitives, the model registry and the benchmark helpers."""
import pytest
import torch
from torch import nn

from graphseg.analysis.timing import compare_times, format_table, peak_memory
from graphseg.ops.macs import conv2d_macs, typed_graph_conv_macs
from graphseg.analysis.macs import dense_flop_macs, format_macs
from graphseg.models import create_model, list_models, register_model


def test_conv2d_macs_matches_flop_counter():
    conv = nn.Conv2d(16, 32, 3, padding=1, bias=False)
    x = torch.randn(1, 16, 20, 24)
    assert conv2d_macs(16, 32, 3, 20, 24) == dense_flop_macs(lambda: conv(x))
    dw = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
    assert conv2d_macs(16, 16, 3, 20, 24, groups=16) == dense_flop_macs(lambda: dw(x))
    with pytest.raises(ValueError, match='divisible by groups'):
        conv2d_macs(10, 4, 3, 5, 5, groups=3)


def test_typed_graph_conv_macs_and_format():
    assert typed_graph_conv_macs(10, 50, 4, 8, 9) == 10 * 4 * 9 * 8 + 50 * 8
    assert format_macs(601.3e9) == '601.3 G' and format_macs(12) == '12'


def test_registry():
    @register_model
    def _tiny_test_model(width: int = 3) -> nn.Module:
        return nn.Linear(width, width)
    assert '_tiny_test_model' in list_models('_tiny*')
    assert create_model('_tiny_test_model', width=5).in_features == 5
    with pytest.raises(ValueError, match='model must be one of'):
        create_model('no_such_model')


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
