"""graphseg bench-gnn: the graph-classification network, parameter budgets, MAC counts and the command."""
import csv

import pytest
import torch
from torch_geometric.data import Batch

from graphseg.cli import main
from graphseg.analysis.macs import count_macs, dense_flop_macs
from graphseg.experiments.gnn_baselines import (LAYERS, GraphClassifier, budget_widths, num_parameters,
                                                prepare_graphs)


@pytest.fixture(scope='module')
def graphs(tmp_path_factory):
    from graphseg.data import MNISTSuperpixels
    ds = MNISTSuperpixels(str(tmp_path_factory.mktemp('bench')), 'test', limit=6, progress=False)
    return ds


def test_budget_widths_within_ten_percent():
    counts = {}
    for layer in LAYERS:
        h, head = budget_widths(layer, 10_000, 3, 10)
        counts[layer] = num_parameters(GraphClassifier(layer, 3, h, 10, 4, head))
    assert max(counts.values()) <= 1.1 * min(counts.values()), counts


@pytest.mark.parametrize('layer', list(LAYERS))
def test_graph_classifier_every_layer(graphs, layer, device):
    spec = LAYERS[layer]
    data = prepare_graphs(graphs, spec.noise_cancel, spec.max_direction)
    assert data[0].x.shape[1] == 3 and bool(((data[0].cartesian >= 0) & (data[0].cartesian <= 1)).all())
    h, head = budget_widths(layer, 3_000, 3, 10)
    model = GraphClassifier(layer, 3, h, 10, 2, head).to(device).eval()
    batch = Batch.from_data_list(data).to(device)
    with torch.no_grad():
        out = model(batch)
        single = torch.cat([model(Batch.from_data_list([d]).to(device)) for d in data])
    assert out.shape == (len(data), 10)
    assert torch.allclose(out, single, atol=1e-5)  # eval outputs do not depend on the other graphs
    loss = torch.nn.functional.cross_entropy(model.train()(batch), batch.y)
    loss.backward()
    assert all(p.grad is not None for p in model.convs.parameters() if p.requires_grad)


def test_raw_edges_have_more_directions_per_pair(graphs):
    clean, raw = prepare_graphs(graphs), prepare_graphs(graphs, noise_cancel=False, max_direction=False)
    for c, r in zip(clean, raw):
        assert r.edge_index.size(1) > c.edge_index.size(1)
        pairs = c.edge_index[0] * c.num_nodes + c.edge_index[1]
        assert pairs.unique().numel() == pairs.numel()  # max-direction: one direction per ordered pair


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
    torch.manual_seed(0)  # the same random centres as inside count_macs: one forward, then count_macs
    with torch.no_grad():
        hg.head(feats)
        head = sum(hg.head.count_macs(feats)[0].values())
    cls = dense_flop_macs(lambda: hg.classifier(torch.zeros(1, 64, 16, 16)))
    assert macs == enc + head + cls


def test_cli_bench_gnn_quick_graph_and_segmentation(tmp_path):
    out = tmp_path / 'bench'
    assert main(['bench-gnn', '--quick', '--layers', 'directional,spline', '--out', str(out)]) == 0
    rows = list(csv.DictReader(open(out / 'graph_runs.csv')))
    assert [r['layer'] for r in rows] == ['directional', 'spline']
    assert all(0 <= float(r['test_acc']) <= 1 and float(r['s_per_epoch']) > 0 for r in rows)
    md = (out / 'graph_summary.md').read_text()
    assert 'DirectionalConv' in md and 'SplineCNN 95.22 %' in md and '| --- |' in md
    assert main(['bench-gnn', '--task', 'segmentation', '--quick', '--convs', 'directional,gcn',
                 '--out', str(out)]) == 0
    seg = list(csv.DictReader(open(out / 'seg_runs.csv')))
    assert [r['conv'] for r in seg] == ['directional', 'gcn'] and all(int(r['macs']) > 0 for r in seg)
    assert 'gcn' in (out / 'seg_summary.md').read_text()


def test_cli_bench_gnn_errors(tmp_path):
    out = tmp_path / 'new'
    with pytest.raises(SystemExit, match="graphseg bench-gnn: error: --layers must be comma-separated names from"):
        main(['bench-gnn', '--layers', 'gcn,nope', '--out', str(out)])
    with pytest.raises(SystemExit, match="--seeds must be comma-separated integers, got 'a'"):
        main(['bench-gnn', '--seeds', 'a', '--out', str(out)])
    with pytest.raises(SystemExit, match="--model must be a registered HG-Conv segmentation model"):
        main(['bench-gnn', '--task', 'segmentation', '--quick', '--model', 'fcn_small', '--out', str(out)])
    with pytest.raises(SystemExit, match="holds no graph runs to summarise"):
        main(['bench-gnn', '--summary-only', '--out', str(out)])
    assert not out.exists()  # nothing is created for invalid arguments
    (tmp_path / 'file').write_text('x')
    with pytest.raises(SystemExit, match="is a file, expected a folder"):
        main(['bench-gnn', '--quick', '--out', str(tmp_path / 'file')])
