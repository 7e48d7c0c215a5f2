"""Segmentation losses: OHEM and bootstrapped cross-entropy against direct computation."""
import torch
import torch.nn.functional as F

from graphseg.engine import segmentation_criterion


def test_ohem_and_bootstrap_against_direct_computation():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 4, 6, 7, generator=g)
    target = torch.randint(0, 4, (2, 6, 7), generator=g)
    target[0, 0] = 255
    loss = F.cross_entropy(logits, target, ignore_index=255, reduction='none')
    valid = target != 255
    s, n = segmentation_criterion(logits, target, 'ce')
    torch.testing.assert_close(s / n, F.cross_entropy(logits, target, ignore_index=255))
    # OHEM: pixels with true-class probability <= max(thresh, the min_kept-th smallest)
    p = torch.exp(-loss)[valid]
    for thresh, min_kept in ((0.7, 10), (0.05, 30), (0.3, 0)):
        cut = max(thresh, float(p.sort().values[min_kept - 1])) if min_kept else thresh
        keep = p <= cut
        s, n = segmentation_criterion(logits, target, 'ohem', ohem_thresh=thresh,
                                      ohem_min_kept=min_kept)
        assert int(n) == int(keep.sum()) >= min_kept
        torch.testing.assert_close(s, loss[valid][keep].sum())
    # bootstrapped: the 25 % largest losses of each image
    s, n = segmentation_criterion(logits, target, 'bootstrap', bootstrap_ratio=0.25)
    ref = sum(
        loss[b][valid[b]].sort(descending=True).values[: round(0.25 * int(valid[b].sum()))].sum()
        for b in range(2)
    )
    torch.testing.assert_close(s, ref)
