"""BatchNorm fusion (HyperSeg Appendix E): fuse_bn on meta blocks and sequentials."""
import pytest
import torch
from torch import nn

from graphseg.nn import MetaBlock, fuse_bn
from tests.helpers import _randomize_bn


@pytest.mark.parametrize('dynamic,halo,padding_mode',
                         [(True, 'image', 'reflect'), (True, 'patch', 'reflect'),
                                                        (True, 'patch', 'zeros'),
                                                        (False, 'image', 'reflect')])
@pytest.mark.parametrize('pointwise_only', [False, True])
def test_fuse_meta_block(dynamic, halo, padding_mode, pointwise_only):
    block = MetaBlock(6, 6, 8 if dynamic else None, pointwise_only=pointwise_only, weight_groups=2,
                      dynamic=dynamic, halo=halo, padding_mode=padding_mode).double().eval()
    _randomize_bn(block)
    x = torch.randn(2, 6, 8, 8, dtype=torch.float64)
    phi = torch.randn(2, 8, 2, 2, dtype=torch.float64) if dynamic else None
    fused = fuse_bn(block)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in block.modules())  # the original is untouched
    torch.testing.assert_close(fused(x, phi), block(x, phi), atol=1e-10, rtol=1e-10)


def test_fuse_sequential_and_existing_bias():
    seq = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=True), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.Conv2d(4, 2, 1), nn.BatchNorm2d(2, affine=False)).double().eval()
    _randomize_bn(seq[1])
    seq[4].running_var.uniform_(0.5, 2.)
    x = torch.randn(1, 3, 5, 5, dtype=torch.float64)
    fused = fuse_bn(seq)
    assert isinstance(fused[1], nn.Identity) and isinstance(fused[4], nn.Identity)
    torch.testing.assert_close(fused(x), seq(x))
