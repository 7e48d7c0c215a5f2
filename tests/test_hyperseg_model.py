"""HyperSeg models: templates, backbones, every signal channel used, BatchNorm fusion, ablation flags."""
import pytest
import torch
from torch import nn

from graphseg.models import (HYPERSEG_M, HyperSeg, HyperSegConfig, create_model, efficientnet_b0, efficientnet_b1,
                             hyperseg_m, hyperseg_s, list_models, resnet18)
from graphseg.nn import ContextHead, MetaBlock, fuse_bn


def test_efficientnet_matches_torchvision_layout():
    # torchvision.models.efficientnet_b0() / efficientnet_b1() have 5,288,548 / 7,794,184 parameters
    assert sum(p.numel() for p in efficientnet_b0().parameters()) == 5_288_548
    m = efficientnet_b1().eval()
    assert sum(p.numel() for p in m.parameters()) == 7_794_184
    keys = m.state_dict()
    for k in ['features.0.0.weight', 'features.0.1.running_var', 'features.1.0.block.0.0.weight',
              'features.2.0.block.2.fc1.bias', 'features.7.1.block.3.1.weight', 'features.8.0.weight',
              'classifier.1.weight']:
        assert k in keys
    feats = m.forward_features(torch.randn(1, 3, 64, 96))
    assert [f.shape[1] for f in feats] == m.feature_channels == [16, 24, 40, 112, 320]
    assert [64 // f.shape[2] for f in feats] == m.feature_strides == [2, 4, 8, 16, 32]
    assert m.forward_head(feats[-1]).shape == (1, 1280, 2, 3) and m(torch.randn(1, 3, 32, 32)).shape == (1, 1000)
    with pytest.raises(ValueError, match=r'x must have 3 channels, got shape \(1, 1, 32, 32\)'):
        m.forward_features(torch.randn(1, 1, 32, 32))


@pytest.mark.parametrize('name,backbone,size', [('hyperseg_s', 'efficientnet_b1', (64, 96)),
                                                ('hyperseg_m', 'resnet18', (64, 64)),
                                                ('hyperseg_l', 'efficientnet_b0', (128, 128))])
def test_templates_output_logits_at_input_resolution(name, backbone, size):
    assert name in list_models('hyperseg_*')
    m = create_model(name, num_classes=7, backbone=backbone)
    y = m(torch.randn(2, 3, *size))['out']
    assert y.shape == (2, 7, *size)
    shares = [b - a for a, b in m.signal_slices]  # the signal slices tile phi: disjoint, contiguous, complete
    assert m.signal_slices[0][0] == 0 and m.signal_slices[-1][1] == m.context_head.out_channels
    assert all(m.signal_slices[i][1] == m.signal_slices[i + 1][0] for i in range(len(shares) - 1))
    groups = m.config.weight_groups
    assert all(s % g == 0 and s > 0 for s, g in zip(shares, groups))


def test_template_structure_m():
    m = hyperseg_m(num_classes=19)
    assert len(m.decoder) == 5 and not m.config.image_level  # the full-resolution level is omitted
    assert [b.pointwise_only for b in m.decoder] == [True, True, True, False, False]  # patches 1, 2, 4 | 8, 16
    assert [b.out_channels for b in m.decoder] == [64, 32, 16, 16, 19]
    # level inputs: reduced F_i (80, 28, 10, 6, 16) + previous output + 2 positional channels
    assert [b.in_channels for b in m.decoder] == [82, 94, 44, 24, 34]
    assert [b.weight_mapper.groups for b in m.decoder] == [32, 16, 8, 16, 4]
    assert m.context_head.levels == 2 and m.context_head.in_channels == 1280
    L = create_model('hyperseg_l', num_classes=3)
    assert len(L.decoder) == 6 and L.level_strides[-1] == 1 and L.context_head.levels == 3


def test_every_signal_channel_and_context_parameter_gets_gradient():
    """The released v1.0 code reads every block's slice from channel 0; here every channel of phi is used."""
    torch.manual_seed(0)
    m = hyperseg_s(num_classes=5, backbone='resnet18')
    store = {}

    def keep(module, inputs, output):
        output.retain_grad()
        store['phi'] = output

    m.context_head.register_forward_hook(keep)
    m(torch.randn(2, 3, 64, 64))['out'].logsumexp(1).mean().backward()
    per_channel = store['phi'].grad.abs().sum((0, 2, 3))
    assert per_channel.numel() == 512 and (per_channel > 0).all()
    for name, p in m.context_head.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    for block in m.decoder:
        assert (block.weight_mapper.weight.grad.abs().sum((1, 2, 3))[:block.num_params] > 0).all()


def _randomize_bn(model):
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.3, 0.3, generator=g)
                m.running_var.uniform_(0.5, 2., generator=g)
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.3, 0.3, generator=g)


@pytest.mark.parametrize('backbone,dynamic', [('efficientnet_b1', True), ('resnet18', True), ('resnet18', False)])
def test_fuse_bn_equals_unfused_model(backbone, dynamic):
    torch.manual_seed(0)
    m = hyperseg_s(num_classes=4, backbone=backbone, dynamic=dynamic).double().eval()
    _randomize_bn(m)
    x = torch.randn(1, 3, 64, 64, dtype=torch.float64)
    fused = fuse_bn(m)
    assert not any(isinstance(mod, nn.BatchNorm2d) for mod in fused.modules())
    with torch.no_grad():
        ref, out = m(x)['out'], fused(x)['out']
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


def test_ablation_flags():
    x = torch.randn(1, 3, 64, 128)
    seen = []
    m = hyperseg_m(num_classes=3, backbone='resnet18', grid_size=(1, 1)).eval()
    m.decoder[-1].weight_mapper.register_forward_hook(lambda mod, i, o: seen.append(o.shape))
    assert m(x)['out'].shape == (1, 3, 64, 128)
    assert seen == [(1, m.decoder[-1].num_params, 1, 1)]  # one weight set per image
    no_pe = hyperseg_m(num_classes=3, backbone='resnet18', positional_encoding=False)
    assert no_pe.decoder[0].in_channels == hyperseg_m(num_classes=3, backbone='resnet18').decoder[0].in_channels - 2
    static = hyperseg_m(num_classes=3, backbone='resnet18', dynamic=False)
    assert static.context_head is None and all(b.weight_mapper is None for b in static.decoder)
    assert all(isinstance(b.pw1, nn.Conv2d) for b in static.decoder)
    assert static(x)['out'].shape == (1, 3, 64, 128)


def test_custom_backbone_and_config_errors():
    with pytest.raises(ValueError, match=r'divisible by the backbone stride 32, got 64x80'):
        hyperseg_m(backbone='resnet18')(torch.randn(1, 3, 64, 80))
    with pytest.raises(ValueError, match=r'grid_size \(3, 1\) must divide the stride-32 map 2x2'):
        hyperseg_m(backbone='resnet18', grid_size=(3, 1))(torch.randn(1, 3, 64, 64))
    bad = HyperSegConfig(level_channels=(8,) * 4, feature_scales=(1.,) * 5, weight_groups=(1,) * 4)
    with pytest.raises(ValueError, match=r'config.level_channels must have one entry per decoder level \(5\), got 4'):
        HyperSeg(bad, backbone='resnet18')
    with pytest.raises(TypeError, match='backbone must provide forward_features'):
        HyperSeg(HYPERSEG_M, backbone=nn.Conv2d(3, 3, 1))
    m = HyperSeg(HYPERSEG_M, 2, backbone=resnet18())  # a module works as well as a name
    assert isinstance(m.context_head, ContextHead) and isinstance(m.decoder[0], MetaBlock)
