"""The graph-classification baselines of bench-gnn: parameter budgets, every layer, raw edges."""
import pytest
import torch
from torch_geometric.data import Batch

from graphseg.experiments.gnn_baselines import (LAYERS, GraphClassifier, budget_widths,
                                                num_parameters, prepare_graphs)


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
    assert data[0].x.shape[1] == 3 and bool(
        ((data[0].cartesian >= 0) & (data[0].cartesian <= 1)).all()
    )
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
    clean, raw = prepare_graphs(graphs), prepare_graphs(graphs, noise_cancel=False,
                                                        max_direction=False)
    for c, r in zip(clean, raw):
        assert r.edge_index.size(1) > c.edge_index.size(1)
        pairs = c.edge_index[0] * c.num_nodes + c.edge_index[1]
        # max-direction: one direction per ordered pair
        assert pairs.unique().numel() == pairs.numel()
