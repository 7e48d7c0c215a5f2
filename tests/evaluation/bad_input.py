"""Bad-input rows of graphseg.evaluation: ``ERRORS``, ``ACCEPTED`` and ``NO_ROW``.

Collected by tests/test_bad_input.py, which explains the row format."""
from __future__ import annotations

import torch

from graphseg import evaluation
from tests.bad_input_fixtures import NAN, E, S, dataset, fcn, mnist_model


def _road(logits):
    m = evaluation.RoadMetrics(apls=False)
    m.update(logits, torch.tensor([[[1, 0], [0, 1]]]))
    return m


ERRORS = [
    # ---------------------------------------------------------------- graphseg.evaluation
    ('evaluation.evaluate: num_classes 0',
     lambda: evaluation.evaluate(mnist_model(), dataset(), 0), E,
     r'num_classes must be an int >= 1, got 0'),
    ('evaluation.evaluate: batch_size 0',
     lambda: evaluation.evaluate(mnist_model(), dataset(), 11, batch_size=0), E,
     r'batch_size must be an int >= 1, got 0'),
    ('evaluation.predict: images 3-D', lambda: evaluation.predict(fcn(), torch.randn(3, 16, 16)), E,
     r'images must be \(B, C, H, W\)'),
    ('evaluation.predict: scale 0',
     lambda: evaluation.predict(fcn(), torch.randn(1, 3, 16, 16), scales=(0,)), E,
     r'scales must be a non-empty sequence of finite factors > 0, got \(0,\)'),
    ('evaluation.predict_probs: no scales',
     lambda: evaluation.predict_probs(fcn(), torch.randn(1, 3, 16, 16), scales=()), E,
     r'scales must be a non-empty sequence of finite factors > 0, got \(\)'),
    ('evaluation.predict_probs: scale NaN',
     lambda: evaluation.predict_probs(fcn(), torch.randn(1, 3, 16, 16), scales=(NAN,)),
     E, r'scales must be a non-empty sequence of finite factors > 0, got \(nan,\)'),
    ('evaluation.predict_probs: size_divisor 0',
     lambda: evaluation.predict_probs(fcn(), torch.randn(1, 3, 16, 16),
                            size_divisor=0), E,
     r'size_divisor must be an int >= 1, got 0'),
    ('evaluation.predict_probs: images 3-D',
     lambda: evaluation.predict_probs(fcn(), torch.randn(3, 16, 16)), E,
     r'images must be \(B, C, H, W\)'),
    ('evaluation.mask_to_graph: 3-D', lambda: evaluation.mask_to_graph(torch.zeros(2, 4, 4)), E,
     r'mask must be \(H, W\), got shape \(2, 4, 4\)'),
    ('evaluation.mask_to_graph: probabilities',
     lambda: evaluation.mask_to_graph(torch.full((8, 8), 0.3)), E,
     r'mask must be binary \(bool or 0 / 1\), got values in \[0.3.*\]; threshold probabilities '
     r'first'),
    ('evaluation.mask_to_graph: NaN', lambda: evaluation.mask_to_graph(torch.full((8, 8), NAN)), E,
     r'mask must be binary \(bool or 0 / 1\), got values in \[nan, nan\]'),
    ('evaluation.mask_to_graph: node_spacing 0',
     lambda: evaluation.mask_to_graph(torch.ones(8, 8), 0), E,
     r'node_spacing must be a finite number > 0, got 0'),
    ('evaluation.apls: not a graph',
     lambda: evaluation.apls(torch.zeros(3), evaluation.mask_to_graph(torch.ones(8, 8))), S,
     r'gt must be a networkx Graph \(see mask_to_graph\), got Tensor'),
    ('evaluation.apls: nodes without pos',
     lambda: evaluation.apls(__import__('networkx').path_graph(3),
                     evaluation.mask_to_graph(torch.ones(8, 8))), E,
     r'gt nodes must carry pos = \(x, y\) \(see mask_to_graph\); node 0 has none'),
    ('evaluation.apls: buffer negative',
     lambda: evaluation.apls(evaluation.mask_to_graph(torch.ones(8, 8)),
                     evaluation.mask_to_graph(torch.ones(8, 8)), -1), E,
     r'buffer must be a finite number > 0, got -1'),
    ('evaluation.RoadMetrics: buffer negative', lambda: evaluation.RoadMetrics(buffer=-1), E,
     r'buffer must be a finite number > 0, got -1'),
    ('evaluation.RoadMetrics: node_spacing 0', lambda: evaluation.RoadMetrics(node_spacing=0), E,
     r'node_spacing must be a finite number > 0, got 0'),
    ('evaluation.RoadMetrics.update: shapes', lambda: evaluation.RoadMetrics().update(
        torch.zeros(1, 4, 4, dtype=torch.long), torch.zeros(1, 4, 5, dtype=torch.long)), E,
     r'pred must have the shape of target \(1, 4, 5\), got \(1, 4, 4\)'),
    ('evaluation.RoadMetrics.update: three-class logits', lambda: evaluation.RoadMetrics().update(
        torch.randn(1, 3, 4, 4), torch.zeros(1, 4, 4, dtype=torch.long)), E,
     r'logits pred must have shape \(B, 2, H, W\), got \(1, 3, 4, 4\)'),
    ('evaluation.RoadMetrics.update: labels out of range', lambda: evaluation.RoadMetrics().update(
        torch.full((1, 4, 4), 2), torch.zeros(1, 4, 4, dtype=torch.long)), E,
     r'pred labels must be in \[0, 1\]'),
    ('evaluation.SaliencyMetrics: beta2 negative', lambda: evaluation.SaliencyMetrics(beta2=-1), E,
     r'beta2 must be a finite number > 0, got -1'),
    ('evaluation.SaliencyMetrics: alpha 2', lambda: evaluation.SaliencyMetrics(alpha=2), E,
     r'alpha must be in \[0, 1\], got 2'),
    ('evaluation.SaliencyMetrics.update: pred int', lambda: evaluation.SaliencyMetrics().update(
        torch.zeros(1, 4, 4, dtype=torch.long), torch.zeros(1, 4, 4)), S,
     r'pred must have a floating-point dtype'),
    ('evaluation.SaliencyMetrics.update: logits, not probabilities',
     lambda: evaluation.SaliencyMetrics().update(
        torch.full((1, 4, 4), 3.), torch.zeros(1, 4, 4)), E,
     r'pred must be saliency probabilities in \[0, 1\], got values in \[3, 3\]; apply a sigmoid '
     r'/ softmax first'),
    ('evaluation.SaliencyMetrics.update: NaN', lambda: evaluation.SaliencyMetrics().update(
        torch.full((1, 4, 4), NAN), torch.zeros(1, 4, 4)), E,
     r'pred must be finite, got 16 NaN/inf'),
    ('evaluation.SaliencyMetrics.update: shapes', lambda: evaluation.SaliencyMetrics().update(
        torch.rand(1, 4, 4), torch.zeros(1, 4, 5)), E,
     r'gt must have the shape of pred \(1, 4, 4\), got \(1, 4, 5\)'),
    ('evaluation.SegmentationMetrics: num_classes 0', lambda: evaluation.SegmentationMetrics(0), E,
     r'num_classes must be an int >= 1, got 0'),
    ('evaluation.SegmentationMetrics: num_classes float',
     lambda: evaluation.SegmentationMetrics(2.5), E,
     r'num_classes must be an int >= 1, got 2.5'),
    ('evaluation.confusion_matrix: shapes',
     lambda: evaluation.confusion_matrix(torch.zeros(2, 4, 4, dtype=torch.long),
                                 torch.zeros(2, 4, 5, dtype=torch.long), 3), E,
     r'pred must have the shape of target \(2, 4, 5\)'),
    ('evaluation.confusion_matrix: target float',
     lambda: evaluation.confusion_matrix(torch.zeros(4, 4, dtype=torch.long),
                                 torch.zeros(4, 4), 3), S,
     r'target must have dtype torch.long'),
    ('evaluation.confusion_matrix: target out of range', lambda: evaluation.confusion_matrix(
        torch.zeros(4, 4, dtype=torch.long), torch.full((4, 4), 3), 3), E,
     r'target labels must be in \[0, 2\]'),
    ('evaluation.confusion_matrix: pred out of range', lambda: evaluation.confusion_matrix(
        torch.full((4, 4), -1), torch.zeros(4, 4, dtype=torch.long), 3), E,
     r'pred labels must be in \[0, 2\]'),
    ('evaluation.confusion_matrix: logits K',
     lambda: evaluation.confusion_matrix(torch.randn(1, 4, 4, 4),
                                 torch.zeros(1, 4, 4, dtype=torch.long), 3), E,
     r'logits pred must have shape \(B, K=3, \*spatial\)'),
    ('evaluation.iou_from_confusion: not square',
     lambda: evaluation.iou_from_confusion(torch.zeros(3, 4)), E,
     r'cm must be a square \(K, K\) matrix'),
]


ACCEPTED = [
    ('evaluation.RoadMetrics.update: two-class logits are arg-maxed', lambda: _road(torch.tensor(
        [[[[0., 1.], [1., 0.]], [[1., 0.], [0., 1.]]]])),
     lambda m: m.confusion.cm.tolist() == [[2, 0], [0, 2]]),
    ('evaluation.mask_to_graph: bool mask',
     lambda: evaluation.mask_to_graph(torch.ones(8, 8, dtype=torch.bool)),
     lambda g: g.number_of_nodes() >= 1),
    ('evaluation.confusion_matrix: all ignored', lambda: evaluation.confusion_matrix(
        torch.zeros(4, 4, dtype=torch.long), torch.full((4, 4), 255), 3),
     lambda cm: int(cm.sum()) == 0),
]


#: Public callables of this package without a bad-input row, and why.
NO_ROW = {
    'evaluation.Metric': 'a typing.Protocol',
    'evaluation.Task': 'a dataclass of the TASKS table',
}
