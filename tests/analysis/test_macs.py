"""count_macs(model, x): hand counts, FlopCounterMode on dense-only models, the graph layers' own
counts."""
import pytest
import torch
from torch import nn

from graphseg.analysis.macs import count_macs, dense_flop_macs
from graphseg.graphs import grid_graph
from graphseg.models import create_model
from graphseg.nn import DeformConv2dPack, DirectionalConv, NonLocal2d
from graphseg.ops.macs import nonlocal_macs, repgraph_mac_breakdown, typed_graph_conv_macs


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4),
                                  nn.ReLU())
        self.proj = nn.Conv2d(4, 8, 1, groups=2, bias=False)
        self.up = nn.ConvTranspose2d(8, 2, 2, stride=2)
        self.fc = nn.Linear(2, 5)

    def forward(self, x):
        return self.fc(self.up(self.proj(self.stem(x))).mean((2, 3)))


def test_hand_counts():
    model = Tiny().train()
    out = count_macs(model, torch.randn(2, 3, 10, 12))
    stem = 5 * 6 * 4 * 3 * 9  # H_o W_o C_out C_in k^2
    proj = 5 * 6 * 8 * (4 // 2)  # groups = 2
    up = 5 * 6 * 8 * 2 * 4  # each input pixel scatters C_in x C_out x k^2
    fc = 2 * 5
    assert out['modules'] == {'stem': stem, 'proj': proj, 'up': up, 'fc': fc}
    assert out['total'] == stem + proj + up + fc
    assert out['params'] == sum(p.numel() for p in model.parameters())
    assert model.training  # the mode is restored
    assert count_macs(model, torch.randn(1, 3, 10, 12), depth=2)['modules']['stem.0'] == stem


def test_graph_and_sampling_layers_by_hand():
    g = grid_graph(4, 5)
    conv = DirectionalConv(6, 7)
    wrapper = nn.Module()
    wrapper.conv = conv
    # one image as 20 nodes
    wrapper.forward = lambda x: conv(x[0].flatten(1).t(), g.edge_index, g.edge_type)
    got = count_macs(wrapper, torch.randn(1, 6, 4, 5))
    # self-loops, horizontal, vertical, diagonal pairs
    edges = 20 + 2 * 4 * 4 + 2 * 3 * 5 + 2 * 2 * 3 * 4
    assert g.edge_index.size(1) == edges
    assert got['total'] == typed_graph_conv_macs(20, edges, 6, 7, 9) == 20 * 6 * 9 * 7 + edges * 7
    dcn = DeformConv2dPack(4, 6, 3, padding=1)
    got = count_macs(dcn, torch.randn(2, 4, 5, 5), depth=2)['modules']
    kernel, taps = 5 * 5 * 6 * 4 * 9, 5 * 5 * 9
    assert got[''] == kernel + 4 * taps * 4  # 4 bilinear taps per sampled value and input channel
    assert got['conv_offset'] == 5 * 5 * 18 * 4 * 9
    nl = NonLocal2d(8, reduction=2)
    got = count_macs(nl, torch.randn(1, 8, 3, 4))
    assert got['total'] == nonlocal_macs(3, 4, 8, 4, include_output=True)


@pytest.mark.parametrize('name',
                         ['resnet18_dilated', 'nonlocal_resnet18', 'resunet18', 'fcn_small',
                          'hyperseg_s'])
def test_equals_flop_counter_on_dense_models(name):
    """HyperSeg included: its patch-wise convolutions are functional ops in its modules' own
    forwards."""
    model = create_model(name, num_classes=3).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        want = dense_flop_macs(lambda: model(x)) // 2
    assert count_macs(model, x)['total'] == want


def test_qgn_dense_decoder_equals_flop_counter_and_sparse_adds_message_passing():
    # decode every site ('all'): the sparse decoder visits what the dense one does
    class All(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m(x, 'all')
    x = torch.randn(1, 3, 64, 64)
    dense = create_model('qgn_resnet34', encoder='resnet18', num_classes=3, sparse=False).eval()
    with torch.no_grad():
        want = dense_flop_macs(lambda: dense(x, 'all'))
    assert count_macs(All(dense), x)['total'] == want
    sparse = count_macs(All(create_model('qgn_resnet34', encoder='resnet18', num_classes=3)),
                        x)['total']
    # the submanifold convs skip the taps that fall outside the map (the dense convs multiply
    # padding zeros) and add E C' for the scatter of the typed kernel: within a few percent of the
    # dense count either way
    assert 0.95 * want < sparse < 1.02 * want
    # 'predicted' prunes
    assert count_macs(create_model('qgn_resnet34', encoder='resnet18', num_classes=3),
                      x)['total'] < sparse


def test_dcn_model_adds_the_sampling_flop_counter_misses():
    model = create_model('resnet50_dcn', num_classes=3).eval()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        dense = dense_flop_macs(lambda: model(x))
    # 4x4 map, 9 taps
    sampling = sum(4 * 4 * 4 * 9 * b.conv2.in_channels for b in model.backbone.layer3)
    assert count_macs(model, x)['total'] == dense + sampling


def test_graph_models_report_clustering_and_message_passing():
    x = torch.randn(2, 3, 64, 64)
    rg = create_model('rgnet_resnet18', num_classes=3)
    out = count_macs(rg, x)
    assert out['parts']['context'] == repgraph_mac_breakdown(8, 8, 512, 256, 9, include_output=True)
    assert out['modules']['context'] == sum(out['parts']['context'].values())
    dense = count_macs(create_model('resnet18_dilated', num_classes=3), x, depth=2)
    hg = create_model('hg_resnet18', num_classes=3, ratio=1 / 4)
    got = count_macs(hg, x, depth=2)
    parts = got['parts']['backbone.layer4']
    assert set(parts) == {'clustering', 'adjacency', 'pooling', 'blocks',
                          'unpooling'} and parts['clustering'] > 0
    assert got['modules']['backbone.layer4'] == sum(parts.values())
    hg.eval()
    with torch.no_grad():
        x3 = hg.encode(x)[0]
        per_image = hg.stage4.count_macs(x3)
    assert sum(sum(d.values()) for d in per_image) // 2 == got['modules']['backbone.layer4']
    for k in ('backbone.layer1', 'backbone.layer3', 'head.0', 'classifier.1'):
        assert got['modules'][k] == dense['modules'][k]
    # 16 of 64 pixels
    assert got['modules']['backbone.layer4'] < 0.35 * dense['modules']['backbone.layer4']
    fcn = create_model('hg_fcn_small', in_channels=3).eval()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        want = sum(fcn.head.count_macs(fcn.encoder(x))[0].values())
    assert count_macs(fcn, x)['modules']['head'] == want


def test_errors():
    with pytest.raises(ValueError, match='depth must be an int >= 1, got 0'):
        count_macs(Tiny(), torch.randn(1, 3, 8, 8), depth=0)
    with pytest.raises(ValueError,
                       match=r'x must be a batch tensor \(B, ...\) with B >= 1, got list'):
        count_macs(Tiny(), [1, 2])


def test_count_macs_counts_hgconv_by_its_graph():
    from graphseg.models import create_model
    x = torch.rand(1, 1, 64, 64)
    dense = create_model('fcn_small', in_channels=1).eval()
    assert count_macs(dense, x)['total'] == dense_flop_macs(lambda: dense(x))
    hg = create_model('hg_fcn_small', in_channels=1).eval()
    torch.manual_seed(0)
    macs = count_macs(hg, x)['total']
    enc = dense_flop_macs(lambda: hg.encoder(x))
    feats = hg.encoder(x)
    # the same random centres as inside count_macs: one forward, then count_macs
    torch.manual_seed(0)
    with torch.no_grad():
        hg.head(feats)
        head = sum(hg.head.count_macs(feats)[0].values())
    cls = dense_flop_macs(lambda: hg.classifier(torch.zeros(1, 64, 16, 16)))
    assert macs == enc + head + cls
