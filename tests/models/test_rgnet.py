"""RGNet with RepGraph layers inside the backbone (RepGraph Table 1 (c, d)): placement, the dense
keys kept, identity at initialisation, the forward pass against a hand-composed one, errors."""
import pytest
import torch
import torch.nn.functional as F

from graphseg.models import (Bottleneck, create_model, insert_repgraph, resnet18,
                             resnet50_dilated)
from graphseg.models.rgnet import PLACEMENTS, RepGraphBasicBlock, RepGraphBottleneck
from graphseg.nn import RepGraph

#: registered row -> the blocks (stage module, index) that hold a RepGraph layer (ResNet-50: 3, 4,
#: 6, 3 blocks)
ROWS = {'rgnet_resnet50_res2': [('layer1', 2)], 'rgnet_resnet50_res3': [('layer2', 3)],
        'rgnet_resnet50_res4': [('layer3', 5)], 'rgnet_resnet50_res5': [('layer4', 2)],
        'rgnet_resnet50_1layer': [('layer2', 3)],
        'rgnet_resnet50_3layer': [('layer2', 3), ('layer3', 5), ('layer4', 2)],
        'rgnet_resnet50_5layer': [('layer2', 3), ('layer3', 4), ('layer3', 5), ('layer4', 1),
                                  ('layer4', 2)]}


def _holders(model):
    return [(name, i) for name in ('layer1', 'layer2', 'layer3', 'layer4')
            for i, b in enumerate(getattr(model.backbone, name)) if hasattr(b, 'repgraph')]


@pytest.mark.parametrize('name', sorted(ROWS))
def test_rows_place_the_layers_as_the_paper(name):
    model = create_model(name)
    assert _holders(model) == ROWS[name]
    assert isinstance(model.context, torch.nn.Identity)  # no block after the head in these rows
    for stage, i in ROWS[name]:
        block = getattr(model.backbone, stage)[i]
        C = block.conv1.in_channels
        assert isinstance(block, RepGraphBottleneck) and isinstance(block.repgraph, RepGraph)
        assert (block.repgraph.in_channels, block.repgraph.inter_channels) == (C, C // 4)
        assert block.repgraph.num_samples == 9 and block.repgraph.variant == 'bottleneck'


def test_dense_keys_kept_and_identity_at_initialisation():
    base = resnet50_dilated(num_classes=150).eval()
    model = create_model('rgnet_resnet50_5layer').eval()
    missing, unexpected = model.load_state_dict(base.state_dict(), strict=False)
    assert not unexpected and missing and all('.repgraph.' in k for k in missing)
    x = torch.rand(1, 3, 48, 48)
    with torch.no_grad():
        torch.testing.assert_close(model(x)['out'], base(x)['out'])


def test_forward_is_the_dense_network_with_the_layer_before_the_last_block():
    torch.manual_seed(0)
    model = create_model('rgnet_resnet50_res3', num_classes=4).double().eval()
    rg = model.backbone.layer2[3].repgraph
    torch.nn.init.uniform_(rg.norm.weight, 0.5, 1.5)  # not the identity any more
    torch.nn.init.normal_(rg.layer.offset.weight, std=0.1)
    b = model.backbone
    x = torch.rand(2, 3, 40, 48, dtype=torch.float64)
    with torch.no_grad():
        h = b.layer1(b.maxpool(b.relu(b.bn1(b.conv1(x)))))
        for block in list(b.layer2)[:3]:
            h = block(h)
        h = rg(h)
        h = Bottleneck.forward(b.layer2[3], h)  # the dense forward of the last block
        h = b.layer4(b.layer3(h))
        want = F.interpolate(model.classifier(model.head(h)), size=x.shape[-2:], mode='bilinear',
                             align_corners=False)
        torch.testing.assert_close(model(x)['out'], want)


def test_stage_layers_on_the_other_factories():
    model = create_model('rgnet_resnet18', num_classes=3, stages={'res4': 2, 'res5': 1})
    assert _holders(model) == [('layer3', 0), ('layer3', 1), ('layer4', 1)]
    assert isinstance(model.backbone.layer3[0], RepGraphBasicBlock)
    assert isinstance(model.context, RepGraph)  # head_block stays on by default
    assert PLACEMENTS['5layer'] == {'res3': 1, 'res4': 2, 'res5': 2}


def test_bad_input():
    with pytest.raises(ValueError, match=r"stages keys must be in \('res2', 'res3', 'res4', "
                                         r"'res5'\), got 'res6'"):
        insert_repgraph(resnet18(), {'res6': 1})
    with pytest.raises(ValueError, match=r"stages\['res5'\] must be an int in \[1, 2\], got 3"):
        insert_repgraph(resnet18(), {'res5': 3})
    with pytest.raises(ValueError, match='stage res5 already holds RepGraph layers'):
        insert_repgraph(insert_repgraph(resnet18(), {'res5': 1}), {'res5': 1})
    with pytest.raises(ValueError, match='head_block=False needs stages'):
        create_model('rgnet_resnet18', head_block=False)
    with pytest.raises(TypeError, match='backbone must be a graphseg ResNet'):
        insert_repgraph(torch.nn.Conv2d(1, 1, 1), {'res2': 1})
