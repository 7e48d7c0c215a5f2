"""The direction convention (graphseg.directions): opposite, direction_index, the 3x3 kernel
round trip."""
import pytest
import torch

from graphseg.graphs import (CENTER, DIRECTIONS, direction_index, direction_weights_to_kernel,
                             kernel_to_direction_weights, opposite)


def test_directions_convention():
    assert DIRECTIONS == ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 0), (0, 1), (1, -1), (1, 0),
                          (1, 1))
    assert DIRECTIONS[CENTER] == (0, 0) and CENTER == 4
    for k, (dy, dx) in enumerate(DIRECTIONS):
        assert DIRECTIONS[opposite(k)] == (-dy, -dx)
        assert opposite(k) == 8 - k
        assert direction_index(dy, dx) == k
    with pytest.raises(ValueError, match=r'direction index k must be an int in \[0, 8\], got 9'):
        opposite(9)
    with pytest.raises(ValueError, match=r'\(dy, dx\) must each be in'):
        direction_index(2, 0)


def test_kernel_round_trip():
    w = torch.randn(5, 3, 3, 3)
    d = kernel_to_direction_weights(w)
    assert d.shape == (9, 3, 5)
    for k, (dy, dx) in enumerate(DIRECTIONS):
        torch.testing.assert_close(d[k], w[:, :, dy + 1, dx + 1].t())
    torch.testing.assert_close(direction_weights_to_kernel(d), w)
    with pytest.raises(ValueError, match='3x3 kernel'):
        kernel_to_direction_weights(torch.randn(5, 3, 5, 5))
