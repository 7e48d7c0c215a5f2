"""FCN baselines and their HG-Conv heads."""
import pytest
import torch


def test_fcn_baselines_shapes():
    from graphseg.models import create_model
    m = create_model('fcn_resnet18', num_classes=7, width=32).eval()
    assert m(torch.randn(1, 3, 64, 80))['out'].shape == (1, 7, 64, 80)
    s = create_model('fcn_small', in_channels=1, num_classes=11)
    assert s(torch.randn(2, 1, 48, 48))['out'].shape == (2, 11, 48, 48)
    with pytest.raises(ValueError, match='num_layers must be >= 1'):
        create_model('fcn_small', num_layers=0)


def test_hg_fcn_replaces_the_head_with_hgconv():
    from graphseg.models import create_model
    from graphseg.nn import HGConv
    m = create_model('hg_fcn_small', in_channels=1, num_classes=11, ratio=1 / 4)
    assert isinstance(m.head, HGConv)
    out = m(torch.randn(2, 1, 48, 48))['out']
    assert out.shape == (2, 11, 48, 48)
    out.mean().backward()
    assert m.head.convs[0].weight.grad is not None and m.encoder[0][0].weight.grad.abs().sum() > 0
