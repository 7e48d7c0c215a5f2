"""QGNOutput and qgn_inference: the released bilinear merge, the naive per-pixel inference."""
import pytest
import torch
import torch.nn.functional as F

from graphseg.graphs import t_pyramid
from graphseg.models import QGN
from graphseg.nn import QGNDecoder, qgn_inference
from graphseg.ops import SparseMap
from tests.helpers import ENC, SMALL, K, blob_labels, features


def _released_merge(out, size):
    """The released QGN.forward inference (use_softmax, masks from the composite cells) written
    out."""
    levels = out.levels
    preds = [out.logits[lv].to_dense().clone() for lv in levels]
    masks = [out.composite_mask(lv)[:, None].float().expand_as(preds[i]) for i,
             lv in enumerate(levels[:-1])]
    for i, m in enumerate(masks):
        preds[i] = (1 - m) * preds[i]
        preds[i] = F.interpolate(preds[i], size=size, mode='bilinear', align_corners=False)
        for j in range(i + 1, len(preds)):
            m = F.interpolate(m, scale_factor=2)
            preds[j] = m * preds[j]
    preds[-1] = F.interpolate(preds[-1], size=size, mode='bilinear', align_corners=False)
    return sum(preds)[:, :out.num_classes]


@pytest.mark.parametrize('size', [(64, 96), (50, 70), (128, 192)])
def test_bilinear_inference_any_size(device, size):
    labels = blob_labels(2, 64, 96, device)
    pyr = t_pyramid(labels, 6, K)
    dec = QGNDecoder(ENC, K, **SMALL).to(device).eval()
    with torch.no_grad():
        out = dec(features(2, 64, 96, device), 'gt', pyr)
        got = out.bilinear_logits(size)
    assert got.shape == (2, K, *size)
    torch.testing.assert_close(got, _released_merge(out, size))
    model = QGN(K, 'resnet18', **SMALL).to(device).eval()
    res = model(torch.rand(1, 3, 64, 64, device=device), inference='bilinear', size=size)
    assert res['out'].shape == (1, K, *size)
    with pytest.raises(ValueError,
                       match="inference='nearest' paints the quadtree at the image size"):
        model(torch.rand(1, 3, 64, 64, device=device), size=(50, 70))


def naive_inference(logits, k, H, W):
    """Per pixel: the finest level whose active cell contains it; the best real class there."""
    B = next(iter(logits.values())).batch_size
    out = torch.full((B, H, W), -1, dtype=torch.long)
    for b in range(B):
        for py in range(H):
            for px in range(W):
                for level in sorted(logits):  # finest first
                    q = logits[level]
                    hit = (
                        (q.coords[:, 0] == b)
                        & (q.coords[:, 1] == py >> level)
                        & (q.coords[:, 2] == px >> level)
                    )
                    if bool(hit.any()):
                        scores = q.feats[hit][0]
                        best = int(scores.argmax())
                        # second best
                        out[b, py, px] = best if best != k else int(scores[:k].argmax())
                        break
    return out


def test_inference_matches_naive_and_takes_second_best():
    dec = QGNDecoder(ENC, K, **SMALL, defaults='pytorch')
    labels = blob_labels(1, 32, 32, 'cpu', seed=2)
    out = dec(features(1, 32, 32, 'cpu'), 'gt', t_pyramid(labels, 6, K))
    with torch.no_grad():  # make "composite" the arg-max somewhere at every level
        for q in out.logits.values():
            q.feats[::3, K] = 100.
    assert torch.equal(out.labels(), naive_inference(out.logits, K, 32, 32))
    top = SparseMap(torch.tensor([[0, 0, 0]]), torch.tensor([[0.1, 2., 0.3, 5.]]), (1, 1), 1)
    # composite (5.) wins -> second best, class 1
    assert qgn_inference({0: top}, K).tolist() == [[[1]]]
