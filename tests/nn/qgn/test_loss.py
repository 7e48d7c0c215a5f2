"""QGN loss: level loss (Eq. 4), level weighting (Eq. 6-8), the released class weighting."""
import pytest
import torch
import torch.nn.functional as F

from graphseg.models import QGN
from graphseg.nn import QGNLoss, level_loss
from graphseg.ops import SparseMap
from tests.helpers import SMALL, K


def test_level_loss_eq4(device):
    feats = torch.randn(5, K + 1, device=device, requires_grad=True)
    coords = torch.tensor([[0, 0, 0], [0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], device=device)
    q = SparseMap(coords, feats, (2, 2), 2)
    target = torch.tensor([[[0, K], [255, 2]], [[1, 1], [0, 255]]], device=device)
    t = torch.tensor([0, K, 2, 0, 1], device=device)  # T_l read at the five sites
    ref = F.cross_entropy(feats, t)
    torch.testing.assert_close(level_loss(q, target), ref)
    target2 = target.clone()
    target2[0, 0, 1] = 255  # ignored site drops out of the mean
    torch.testing.assert_close(level_loss(q, target2),
                               F.cross_entropy(feats[[0, 2, 3, 4]], t[[0, 2, 3, 4]]))
    zero = level_loss(q, torch.full_like(target, 255))
    assert float(zero.detach()) == 0. and zero.requires_grad
    dense = torch.randn(2, K + 1, 2, 2, device=device)
    torch.testing.assert_close(level_loss(dense, target),
                               F.cross_entropy(dense, target, ignore_index=255))


def test_qgn_loss_weights_eq6_to_eq8():
    logits = {
        level: torch.randn(1, K + 1, 2 ** (3 - level), 2 ** (3 - level),
                           requires_grad=True) for level in range(4)
    }
    pyr = [torch.randint(0, K + 1, (1, 2 ** (3 - level), 2 ** (3 - level))) for level in range(4)]
    Ls = {level: F.cross_entropy(logits[level], pyr[level]) for level in range(4)}
    fixed = QGNLoss(4, 'fixed', gamma=0.5)
    # Eq. 6 + 7
    torch.testing.assert_close(fixed(logits, pyr),
                               sum(0.5 ** level * Ls[level] for level in range(4)))
    adaptive = QGNLoss(4, 'adaptive', delta=0.9)
    w = torch.ones(4)
    # Eq. 8: the step uses the old weights, then w_l <- d w_l + (1 - d) L_l / L_0
    for _ in range(2):
        loss = adaptive(logits, pyr)
        torch.testing.assert_close(loss, sum(w[level] * Ls[level] for level in range(4)))
        loss.backward()  # the in-place weight update must not break autograd
        w = torch.tensor(
            [1.0]
            + [
                0.9 * w[level] + 0.1 * float(Ls[level].detach() / Ls[0].detach())
                for level in range(1, 4)
            ]
        )
        torch.testing.assert_close(adaptive.level_weights, w)
    adaptive.eval()
    adaptive(logits, pyr)
    torch.testing.assert_close(adaptive.level_weights, w)  # no update in eval mode
    assert set(adaptive.last_level_losses) == {0, 1, 2, 3}


def test_released_class_weighting():
    loss = QGNLoss(6, num_classes=4)
    assert torch.equal(loss.class_weight, torch.ones(5))
    iou = torch.tensor([0.9, 0.2, 0.5, 0.7])  # median 0.6: classes 1 and 2 enhanced, composite x2
    assert loss.update_class_weights(iou).tolist() == [1., 2., 2., 1., 2.]
    iou = torch.tensor([0.9, float('nan'), 0.5, 0.7])  # median of the defined IoUs: 0.7
    assert loss.update_class_weights(iou, 3., 1.5).tolist() == [1., 1., 3., 3., 1.5]
    logits = {0: torch.randn(1, 5, 4, 4)}
    pyr = [torch.randint(0, 5, (1, 4, 4))]
    w = torch.tensor([1., 1., 3., 3., 1.5])
    torch.testing.assert_close(QGNLoss(1, num_classes=4).forward(logits, pyr),
                               F.cross_entropy(logits[0], pyr[0]))  # ones: unweighted
    weighted = QGNLoss(1, num_classes=4)
    weighted.update_class_weights(torch.tensor([0.9, float('nan'), 0.5, 0.7]), 3., 1.5)
    torch.testing.assert_close(weighted(logits, pyr), F.cross_entropy(logits[0], pyr[0], weight=w))
    with pytest.raises(ValueError, match='iou must have k = 4 entries, got 3'):
        loss.update_class_weights(torch.rand(3))
    model = QGN(K, 'resnet18', **SMALL)
    model.update_class_weights(torch.tensor([0.1, 0.5, 0.9]))
    assert model.criterion.class_weight.tolist() == [2., 2., 1., 2.]
    assert 'criterion.class_weight' in model.state_dict()
