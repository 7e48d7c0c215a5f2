"""In-house ResNet: torchvision's parameter counts and state_dict names, dilation, weight
loading."""
import pytest
import torch

from graphseg.models import create_model, load_pretrained, resnet18, resnet50


def test_parameter_counts_match_torchvision():
    # torchvision.models.resnet18() / resnet50() have 11,689,512 / 25,557,032 parameters
    assert sum(p.numel() for p in resnet18().parameters()) == 11_689_512
    assert sum(p.numel() for p in resnet50().parameters()) == 25_557_032


def test_state_dict_names_match_torchvision():
    keys = list(resnet18().state_dict())
    assert keys[:6] == ['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean',
                        'bn1.running_var', 'bn1.num_batches_tracked']
    for k in ['layer1.0.conv1.weight', 'layer1.1.bn2.running_var', 'layer2.0.downsample.0.weight',
              'layer2.0.downsample.1.weight', 'layer4.1.conv2.weight', 'fc.weight', 'fc.bias']:
        assert k in keys
    assert len(keys) == 122  # torchvision resnet18: 62 parameters + 60 buffers
    assert 'layer3.5.conv3.weight' in resnet50().state_dict()


def test_features_and_dilation():
    m = create_model('resnet18', replace_stride_with_dilation=(False, True, True)).eval()
    feats = m.forward_features(torch.randn(1, 3, 64, 96))
    assert [f.shape[1] for f in feats] == m.feature_channels == [64, 128, 256, 512]
    assert [64 // f.shape[2] for f in feats] == m.feature_strides == [4, 8, 8, 8]
    assert resnet50().feature_channels == [256, 512, 1024, 2048]


def test_load_pretrained_round_trip(tmp_path):
    a, b = resnet18(num_classes=10).eval(), resnet18(num_classes=10).eval()
    torch.save(a.state_dict(), tmp_path / 'w.pt')
    load_pretrained(b, tmp_path / 'w.pt')
    x = torch.randn(1, 3, 32, 32)
    torch.testing.assert_close(a(x), b(x))
    c = resnet18(num_classes=5)
    load_pretrained(c, tmp_path / 'w.pt', strict=False)  # fc skipped: other num_classes
    torch.testing.assert_close(c.conv1.weight, a.conv1.weight)


def test_errors():
    with pytest.raises(ValueError, match=r'x must have 3 channels, got shape \(1, 1, 32, 32\)'):
        resnet18().forward_features(torch.randn(1, 1, 32, 32))
    with pytest.raises(ValueError, match='layers must have 4 entries'):
        from graphseg.models import BasicBlock, ResNet
        ResNet(BasicBlock, (2, 2, 2))
