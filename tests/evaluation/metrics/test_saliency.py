"""Saliency metrics against PySODMetrics."""
import pytest
import torch


def test_saliency_metrics_equal_pysodmetrics():
    import warnings

    import numpy as np
    import py_sod_metrics as sod

    from graphseg.evaluation import SaliencyMetrics
    rng = np.random.default_rng(0)
    ours = SaliencyMetrics()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        fm, mae, sm = sod.Fmeasure(), sod.MAE(), sod.Smeasure()
    for h, w in ((20, 30), (17, 23), (25, 25)):
        gt = np.zeros((h, w), np.uint8)
        gt[3:12, 5:15] = 255
        pred = np.clip(gt * 0.6 + rng.random((h, w)) * 120, 0, 255).astype(np.uint8)
        ours.update(torch.from_numpy(pred).double() / 255, torch.from_numpy(gt > 128).long())
        fm.step(pred, gt)
        mae.step(pred, gt)
        sm.step(pred, gt)
    # an all-background ground truth (S-measure's special case) and a constant prediction
    gt, pred = np.zeros((8, 8), np.uint8), np.full((8, 8), 40, np.uint8)
    ours.update(torch.from_numpy(pred).double() / 255, torch.from_numpy(gt > 128).long())
    fm.step(pred, gt), mae.step(pred, gt), sm.step(pred, gt)
    out = ours.compute()
    assert out['max_f'] == pytest.approx(float(fm.get_results()['fm']['curve'].max()), abs=1e-12)
    assert out['mean_f'] == pytest.approx(float(fm.get_results()['fm']['curve'].mean()), abs=1e-12)
    assert out['mae'] == pytest.approx(float(mae.get_results()['mae']), abs=1e-12)
    assert out['s_measure'] == pytest.approx(float(sm.get_results()['sm']), abs=1e-12)
    other = SaliencyMetrics()
    other.load_state(ours.state())
    assert other.compute() == out
