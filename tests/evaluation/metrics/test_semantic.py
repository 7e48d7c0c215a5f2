"""Segmentation metrics against torchmetrics and the Cityscapes evaluation scripts."""
import os

import pytest
import torch
from torchmetrics.classification import MulticlassAccuracy, MulticlassJaccardIndex

from graphseg.evaluation.metrics.semantic import (SegmentationMetrics, confusion_matrix,
                                                  iou_from_confusion)


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
        confusion_matrix(torch.zeros(1, 2, 3, dtype=torch.long),
                         torch.zeros(1, 2, 2, dtype=torch.long), 3)
    with pytest.raises(ValueError, match=r'logits pred must have shape \(B, K=3'):
        confusion_matrix(torch.zeros(1, 4, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long), 3)
    with pytest.raises(TypeError, match='target must have dtype torch.long'):
        confusion_matrix(torch.zeros(1, 2, 2, dtype=torch.long), torch.zeros(1, 2, 2), 3)


# --------------------------------------------------------------------- the Cityscapes evaluation
def test_cityscapes_numbers_equal_cityscapesscripts_evaluation(tmp_path):
    """Our mIoU on train ids (Cityscapes reader + SegmentationMetrics) equals the official
    pixel-level evaluation (cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling) on label-id
    PNGs."""
    import numpy as np
    from PIL import Image

    from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling as cs
    from cityscapesscripts.helpers.labels import trainId2label

    from graphseg.data import Cityscapes
    from graphseg.data.cityscapes import id_to_train_id_lut
    rng = np.random.default_rng(0)
    # incl. ignored
    ids = np.array(
        [0, 1, 4, 7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33]
    )
    gts, preds = [], []
    for k, city in enumerate(('aachen', 'bremen')):
        stem = f'{city}_000000_00001{k}'
        gt = rng.choice(ids, size=(24, 32))
        # frequent classes, so most IoUs are non-trivial
        gt[:12] = rng.choice([7, 11, 26], size=(12, 32))
        os.makedirs(tmp_path / 'leftImg8bit' / 'val' / city)
        os.makedirs(tmp_path / 'gtFine' / 'val' / city, exist_ok=True)
        Image.fromarray(np.zeros((24, 32, 3), np.uint8)).save(
            tmp_path / 'leftImg8bit' / 'val' / city / f'{stem}_leftImg8bit.png')
        gts.append(str(tmp_path / 'gtFine' / 'val' / city / f'{stem}_gtFine_labelIds.png'))
        Image.fromarray(gt.astype(np.uint8)).save(gts[-1])
        pred_train = rng.integers(0, 19, size=(24, 32))
        keep = rng.random((24, 32)) < 0.6  # right 60 % of the time where the truth is a class
        gt_train = id_to_train_id_lut()[gt]
        pred_train = np.where(keep & (gt_train < 19), gt_train, pred_train)
        preds.append(str(tmp_path / f'{stem}_pred.png'))
        Image.fromarray(
            np.vectorize(lambda t: trainId2label[t].id)(pred_train).astype(np.uint8)
        ).save(preds[-1])
    ours = SegmentationMetrics(19)
    ds = Cityscapes(str(tmp_path), 'val')
    for i in range(len(ds)):
        pred_ids = np.array(Image.open(preds[i]))
        lut = np.full(256, 255)
        for t in range(19):
            lut[trainId2label[t].id] = t
        ours.update(torch.as_tensor(lut[pred_ids])[None], ds[i][1][None])
    args = cs.CArgs()
    for k, v in vars(cs.args).items():
        setattr(args, k, v)
    args.evalInstLevelScore, args.quiet, args.JSONOutput = False, True, False
    res = cs.evaluateImgLists(preds, gts, args)
    out = ours.compute()
    for t in range(19):
        ref = res['classScores'][trainId2label[t].name]
        assert (np.isnan(ref) and np.isnan(out['iou'][t])) or out['iou'][t] == pytest.approx(
            ref, abs=1e-12
        )
    assert out['miou'] == pytest.approx(res['averageScoreClasses'], abs=1e-12)
