"""Road metrics: APLS known values, mask_to_graph and RoadMetrics."""
import pytest
import torch


def test_apls_known_values():
    import networkx as nx

    from graphseg.evaluation import apls
    from graphseg.evaluation.metrics.road import apls_one_way

    import numpy as np

    def graph(points, edges):
        g = nx.Graph()
        for n, p in points.items():
            g.add_node(n, pos=p)
        for a, b in edges:
            g.add_edge(a, b, length=float(np.hypot(*np.subtract(points[a], points[b]))))
        return g
    gt = graph({'A': (0, 0), 'B': (10, 0), 'C': (20, 0)}, [('A', 'B'), ('B', 'C')])
    assert apls(gt, gt) == 1.0
    # proposal misses the B-C segment: gt->prop pairs AB 0, AC 1, BC 1 -> 1/3; prop->gt: AB only ->
    # 1
    prop = graph({'a': (0, 1), 'b': (10, 1), 'c': (20, 1)}, [('a', 'b')])
    assert apls_one_way(gt, prop) == pytest.approx(1 / 3) and apls_one_way(prop, gt) == 1.0
    assert apls(gt, prop) == pytest.approx(2 * (1 / 3) / (1 / 3 + 1))  # harmonic mean = 0.5
    # a detour: A-C is 20 in gt, 30 via D in the proposal (penalty 0.5); A-D, D-C unmatched in gt
    detour = graph({'a': (0, 0), 'd': (10, 11.18034), 'c': (20, 0)}, [('a', 'd'), ('d', 'c')])
    gt2 = graph({'A': (0, 0), 'C': (20, 0)}, [('A', 'C')])
    assert apls_one_way(gt2, detour) == pytest.approx(0.5, abs=1e-5)
    assert apls(gt2, graph({}, [])) == 0.0 and apls(graph({}, []), graph({}, [])) == 1.0


def test_mask_to_graph_and_road_metrics():
    import numpy as np

    from graphseg.evaluation import RoadMetrics, mask_to_graph
    mask = np.zeros((40, 60), bool)
    mask[9:12, 5:55] = True    # a horizontal road, 50 px
    mask[10:35, 29:32] = True  # a vertical road from it: a T junction
    g = mask_to_graph(mask, node_spacing=None)
    degrees = sorted(d for _, d in g.degree())
    assert degrees == [1, 1, 1, 3]  # three ends and one junction
    total = sum(d['length'] for *_, d in g.edges(data=True))
    assert 65 <= total <= 75  # skeleton length ~ 48 + 24
    assert mask_to_graph(mask, node_spacing=10).number_of_nodes() > 4
    target = torch.from_numpy(mask).long()[None]
    m = RoadMetrics()
    m.update(target, target)
    assert m.compute()['road_iou'] == 1.0 and m.compute()['apls'] == 1.0
    pred = target.clone()
    pred[0, :, 30:] = 0  # the right half of the horizontal road and the vertical road are missing
    m = RoadMetrics()
    m.update(pred, target)
    out = m.compute()
    inter, union = int((pred & target).sum()), int((pred | target).sum())
    assert out['road_iou'] == pytest.approx(inter / union) and 0 <= out['apls'] < 0.7
