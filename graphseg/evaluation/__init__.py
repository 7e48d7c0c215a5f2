"""Evaluation: predictions with multi-scale + flip testing, and a dataset's metrics on one or many
processes.

:func:`evaluate` looks the task up in :data:`TASKS` (semantic, saliency, road) and drives its
metric through one protocol (:class:`~graphseg.evaluation.metrics.Metric`); the metric families
live in :mod:`graphseg.evaluation.metrics`.
"""
from .evaluate import TASKS, Task, evaluate, predict, predict_probs
from .metrics import (Metric, RoadMetrics, SaliencyMetrics, SegmentationMetrics, apls,
                      confusion_matrix, iou_from_confusion, mask_to_graph)

__all__ = ['evaluate', 'predict', 'predict_probs', 'Task', 'TASKS', 'Metric', 'SegmentationMetrics',
           'SaliencyMetrics', 'RoadMetrics', 'confusion_matrix', 'iou_from_confusion', 'apls',
           'mask_to_graph']
