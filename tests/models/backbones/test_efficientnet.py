"""In-house EfficientNet: torchvision's layout and parameter counts, TF "same" padding, no
classifier."""
import pytest
import torch

from graphseg.models import efficientnet_b0, efficientnet_b1, efficientnet_b3
from graphseg.models.backbones import Conv2dStaticSame


def test_efficientnet_matches_torchvision_layout():
    # torchvision.models.efficientnet_b0() / efficientnet_b1() have 5,288,548 / 7,794,184 parameters
    assert sum(p.numel() for p in efficientnet_b0().parameters()) == 5_288_548
    m = efficientnet_b1().eval()
    assert sum(p.numel() for p in m.parameters()) == 7_794_184
    keys = m.state_dict()
    for k in ['features.0.0.weight', 'features.0.1.running_var', 'features.1.0.block.0.0.weight',
              'features.2.0.block.2.fc1.bias', 'features.7.1.block.3.1.weight',
              'features.8.0.weight', 'classifier.1.weight']:
        assert k in keys
    feats = m.forward_features(torch.randn(1, 3, 64, 96))
    assert [f.shape[1] for f in feats] == m.feature_channels == [16, 24, 40, 112, 320]
    assert [64 // f.shape[2] for f in feats] == m.feature_strides == [2, 4, 8, 16, 32]
    assert m.forward_head(feats[-1]).shape == (1, 1280, 2,
                                               3) and m(torch.randn(1, 3, 32, 32)).shape == (1,
                                                                                             1000)
    with pytest.raises(ValueError, match=r'x must have 3 channels, got shape \(1, 1, 32, 32\)'):
        m.forward_features(torch.randn(1, 1, 32, 32))
    # torchvision's efficientnet_b3
    assert sum(p.numel() for p in efficientnet_b3().parameters()) == 12_233_232


def test_efficientnet_tf_padding_and_no_classifier():
    m = efficientnet_b1(tf_padding=True, num_classes=0).eval()
    assert sum(p.numel() for p in m.parameters()) == 7_794_184 - 1281 * 1000
    stem = m.features[0][0]
    # 240 -> 120: pad 1, after
    assert isinstance(stem, Conv2dStaticSame) and stem.same_pad == (0, 1, 0, 1)
    # B1's stride-2 5x5 layer sees 15 pixels at the static size 240: TF pads 2 and 2, whatever the
    # input size
    assert m.features[6][0].block[1][0].same_pad == (2, 2, 2, 2)
    x = torch.randn(1, 3, 64, 96)
    ref = m.features[0][1](
        torch.nn.functional.conv2d(torch.nn.functional.pad(x, (0, 1, 0, 1)), stem.weight, stride=2)
    )
    torch.testing.assert_close(m.features[0][:2](x), ref)
    assert m(torch.randn(1, 3, 32, 32)).shape == (1, 1280)  # pooled features
    m.reset_classifier(5)
    assert m(torch.randn(1, 3, 32, 32)).shape == (1, 5)
    with pytest.raises(ValueError, match='num_classes must be an int >= 0'):
        m.reset_classifier(-1)
