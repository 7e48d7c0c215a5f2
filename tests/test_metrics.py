"""Segmentation metrics against torchmetrics."""
import pytest
import torch
from torchmetrics.classification import MulticlassAccuracy, MulticlassJaccardIndex

from graphseg.engine.metrics import SegmentationMetrics, confusion_matrix, iou_from_confusion


def _batches(K=5, n=3):
    g = torch.Generator().manual_seed(0)
    for _ in range(n):
        target = torch.randint(0, K, (2, 9, 11), generator=g)
        target[torch.rand(2, 9, 11, generator=g) < 0.1] = 255
        logits = torch.randn(2, K, 9, 11, generator=g)
        logits.scatter_add_(1, target.clamp(max=K - 1).unsqueeze(1), torch.full((2, 1, 9, 11), 1.5))
        yield logits, target


def test_matches_torchmetrics():
    K = 5
    ours = SegmentationMetrics(K, ignore_index=255)
    jac = MulticlassJaccardIndex(K, average='none', ignore_index=255)
    acc = MulticlassAccuracy(K, average='micro', ignore_index=255)
    macc = MulticlassAccuracy(K, average='macro', ignore_index=255)
    for logits, target in _batches(K):
        ours.update(logits, target)
        jac.update(logits, target)
        acc.update(logits, target)
        macc.update(logits, target)
    out = ours.compute()
    torch.testing.assert_close(torch.tensor(out['iou'], dtype=torch.float32), jac.compute())
    assert out['miou'] == pytest.approx(float(jac.compute().mean()), abs=1e-6)
    assert out['pixel_acc'] == pytest.approx(float(acc.compute()), abs=1e-6)
    assert out['mean_acc'] == pytest.approx(float(macc.compute()), abs=1e-6)


def test_absent_class_is_nan_and_excluded():
    target = torch.tensor([[[0, 0, 1, 1]]])
    pred = torch.tensor([[[0, 1, 1, 1]]])
    iou = iou_from_confusion(confusion_matrix(pred, target, 3))
    assert iou[:2].tolist() == [pytest.approx(0.5), pytest.approx(2 / 3)] and torch.isnan(iou[2])
    m = SegmentationMetrics(3)
    m.update(pred, target)
    assert m.compute()['miou'] == pytest.approx((0.5 + 2 / 3) / 2)


def test_errors():
    with pytest.raises(ValueError, match=r'target labels must be in \[0, 2\]'):
        confusion_matrix(torch.zeros(1, 2, 2, dtype=torch.long), torch.full((1, 2, 2), 7), 3)
    with pytest.raises(ValueError, match='pred must have the shape of target'):
        confusion_matrix(torch.zeros(1, 2, 3, dtype=torch.long), torch.zeros(1, 2, 2, dtype=torch.long), 3)
    with pytest.raises(ValueError, match=r'logits pred must have shape \(B, K=3'):
        confusion_matrix(torch.zeros(1, 4, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long), 3)
    with pytest.raises(TypeError, match='target must have dtype torch.long'):
        confusion_matrix(torch.zeros(1, 2, 2, dtype=torch.long), torch.zeros(1, 2, 2), 3)
