"""Metrics, one family per module, behind one protocol (:class:`Metric`).

* :mod:`.semantic`: confusion matrix, mIoU, pixel and mean accuracy (Cityscapes / VOC convention);
* :mod:`.saliency`: max-F, mean-F, MAE and S-measure of salient-object detection;
* :mod:`.road`: road IoU and APLS on graphs extracted from the masks.

Every metric accumulates batches with ``update(pred, target)`` and exposes its accumulated
state as one flat tensor (``state()`` / ``load_state(t)``) that sums over processes: the
sum of the states of several processes, loaded back, is the state of one process that
saw every image. :func:`graphseg.evaluation.evaluate` relies on nothing else.
"""
from typing import Dict, Protocol, runtime_checkable

from torch import Tensor

from .road import RoadMetrics, apls, apls_one_way, mask_to_graph
from .saliency import SaliencyMetrics, s_measure
from .semantic import SegmentationMetrics, confusion_matrix, iou_from_confusion


@runtime_checkable
class Metric(Protocol):
    """What :func:`~graphseg.evaluation.evaluate` needs of a metric."""

    def reset(self) -> None:
        """Forget every update."""

    def update(self, pred: Tensor, target: Tensor) -> None:
        """Accumulate one batch."""

    def state(self) -> Tensor:
        """The accumulated state as one flat tensor that sums over processes."""

    def load_state(self, state: Tensor) -> None:
        """Restore a state (e.g. the sum of the states of all processes)."""

    def compute(self) -> Dict[str, object]:
        """The metric values of everything accumulated."""


__all__ = ['Metric', 'SegmentationMetrics', 'confusion_matrix', 'iou_from_confusion',
           'SaliencyMetrics', 's_measure', 'RoadMetrics', 'apls', 'apls_one_way', 'mask_to_graph']
