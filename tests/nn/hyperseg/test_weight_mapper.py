"""WeightMapper: a grouped 1x1 convolution; every group used; gradients through the DPWConv2d
chain."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd import gradcheck

from graphseg.nn import DPWConv2d, WeightMapper


def test_weight_mapper_is_grouped_1x1_conv(device):
    m = WeightMapper(8, 10, groups=4, bias=True).to(device)
    assert repr(m) == 'WeightMapper(8, 10, groups=4, bias=True)'
    assert m.weight.shape == (12, 2, 1, 1)  # ceil(10 / 4) * 4 rows, the first 10 used
    phi = torch.randn(2, 8, 3, 5, device=device)
    conv = nn.Conv2d(8, 12, 1, groups=4).to(device)
    conv.load_state_dict({'weight': m.weight, 'bias': m.bias})
    torch.testing.assert_close(m(phi), conv(phi)[:, :10])
    nodes = phi.permute(0, 2, 3, 1).reshape(-1, 8)  # (P, C) patch nodes give the same rows
    torch.testing.assert_close(m(nodes), m(phi).permute(0, 2, 3, 1).reshape(-1, 10))


def test_weight_mapper_every_group_used():
    with pytest.raises(ValueError, match='num_params = 5 is too small for groups = 4'):
        WeightMapper(8, 5, groups=4)
    with pytest.raises(ValueError, match='in_channels = 6 must be divisible by groups = 4'):
        WeightMapper(6, 40, groups=4)
    m = WeightMapper(8, 7, groups=4)  # rows 0..7, groups of 2 rows: the last group makes weight 6
    phi = torch.randn(1, 8, 2, 2, requires_grad=True)
    m(phi).sum().backward()
    assert (phi.grad.abs().sum((0, 2, 3)) > 0).all()
    with pytest.raises(ValueError, match='signal must have 8 channels, got 3'):
        m(torch.randn(1, 3, 2, 2))


def test_weight_mapper_dpw_chain_gradcheck():
    """phi -> WeightMapper -> DPWConv2d: gradients w.r.t. the signal, the mapper and the input."""
    mapper = WeightMapper(4, 2 * 2 * 9, groups=2, bias=True).double()
    conv = DPWConv2d(2, 2, 3, padding_mode='reflect').double()
    x = torch.randn(1, 2, 2, 4, dtype=torch.float64, requires_grad=True)
    phi = torch.randn(1, 4, 1, 2, dtype=torch.float64, requires_grad=True)

    def chain(x, phi, w, b):
        theta = F.conv2d(phi, w, b, groups=2)[:, :mapper.num_params]
        return conv(x, theta)

    torch.testing.assert_close(chain(x, phi, mapper.weight, mapper.bias), conv(x, mapper(phi)))
    assert gradcheck(chain, (x, phi, mapper.weight, mapper.bias))
