"""HyperSeg's positional encoding."""
import pytest
import torch

from graphseg.nn import positional_encoding


@pytest.mark.parametrize('hw', [(4, 7), (1, 3), (5, 1), (2, 2)])
def test_positional_encoding_formula(hw, device):
    H, W = hw
    P = positional_encoding(H, W, device=device, dtype=torch.float64)
    assert P.shape == (2, H, W) and P.device.type == device.type
    for i in range(H):
        # channel 0 = x (column), channel 1 = y (row); a side of 1 is -1 (linspace)
        for j in range(W):
            px = -1 + 2 * j / (W - 1) if W > 1 else -1.
            py = -1 + 2 * i / (H - 1) if H > 1 else -1.
            assert P[0, i, j].item() == pytest.approx(px, abs=1e-15)
            assert P[1, i, j].item() == pytest.approx(py, abs=1e-15)
    with pytest.raises(ValueError, match='height must be a positive int'):
        positional_encoding(0, 3)
