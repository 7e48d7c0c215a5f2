"""Closed-form MAC counts (graphseg.ops.macs) against the FLOP counter and by hand."""
import pytest
import torch
from torch import nn

from graphseg.analysis.macs import dense_flop_macs, format_macs
from graphseg.ops.macs import conv2d_macs, typed_graph_conv_macs


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
