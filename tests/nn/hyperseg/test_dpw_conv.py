"""The DPWConv2d module: dpw_conv2d with weights from a signal map."""
import pytest
import torch

from graphseg.nn import DPWConv2d
from graphseg.ops import dpw_conv2d


def test_module(device):
    conv = DPWConv2d(4, 6, 3, groups=2, padding_mode='zeros').to(device)
    assert repr(conv) == "DPWConv2d(4, 6, kernel_size=3, groups=2, padding_mode='zeros')"
    assert conv.num_params == 6 * 2 * 3 * 3
    x = torch.randn(2, 4, 8, 8, device=device)
    theta = torch.randn(2, conv.num_params, 2, 4, device=device)
    out = conv(x, theta)
    torch.testing.assert_close(out, dpw_conv2d(x, theta.view(2, 6, 2, 3, 3, 2, 4), groups=2))
    with pytest.raises(ValueError, match='weight must have num_params = 108 channels, got 5'):
        conv(x, theta[:, :5])
    with pytest.raises(ValueError, match='kernel_size must be odd'):
        DPWConv2d(4, 4, 2)
