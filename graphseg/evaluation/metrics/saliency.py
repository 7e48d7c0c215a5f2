r"""Salient object detection metrics: max F-measure, MAE and S-measure (the DUTS / ECSSD protocol).

Each prediction map goes through the protocol of the standard evaluation code (the
MATLAB toolbox, and `pysodmetrics` which the tests compare against value for value):
the map is saved as 8-bit (:math:`q = \mathrm{round}(255 p)`), read back as :math:`q / 255`
and min-max normalised per image; the ground truth is binary.

* MAE: :math:`\frac{1}{HW}\sum |S - G|`, averaged over images.
* F-measure: :math:`F_\beta = \frac{(1 + \beta^2) P R}{\beta^2 P + R}` with :math:`\beta^2 = 0.3`
  at the 256 thresholds :math:`t \in \{0, \dots, 255\}` (pixel salient iff
  :math:`\lfloor 255 S \rfloor \ge t`); the curve is averaged over images and max-F is its maximum.
* S-measure (Fan et al., ICCV 2017): :math:`S = \alpha S_o + (1 - \alpha) S_r`,
  :math:`\alpha = 0.5`; :math:`S_o` the object-aware score of foreground and background, :math:`S_r`
  the SSIM-like region score of the four quadrants around the ground-truth centroid.
"""
from __future__ import annotations

from typing import Dict

import torch
from torch import Tensor

from ...check import check_finite, check_floating, check_ndim, check_number

EPS = 2.220446049250313e-16  # float64 machine epsilon, the constant of the reference code


def _prepare(pred: Tensor) -> Tensor:
    """8-bit round trip and per-image min-max normalisation, float64."""
    q = (pred.double().clamp(0, 1) * 255).round()
    p = q / 255
    lo, hi = p.min(), p.max()
    if hi != lo:
        p = (p - lo) / (hi - lo)
    return p


def _f_curve(p: Tensor, gt: Tensor, beta2: float) -> Tensor:
    q = (p * 255).floor().long().clamp(0, 255)  # the 8-bit bins
    fg = torch.bincount(q[gt], minlength=256).double()
    bg = torch.bincount(q[~gt], minlength=256).double()
    tp = fg.flip(0).cumsum(0)  # index i: threshold 255 - i
    pos = tp + bg.flip(0).cumsum(0)
    pos[pos == 0] = 1
    precision = tp / pos
    recall = tp / max(int(gt.sum()), 1)
    num = (1 + beta2) * precision * recall
    den = torch.where(num == 0, torch.ones_like(num), beta2 * precision + recall)
    return (num / den).flip(0)  # index t: threshold t


def _s_object(x: Tensor) -> float:
    mean = float(x.mean())
    std = float(x.std(unbiased=True)) if x.numel() > 1 else 0.0
    return 2 * mean / (mean ** 2 + 1 + std + EPS)


def _ssim(p: Tensor, g: Tensor) -> float:
    n = p.numel()
    x, y = p.mean(), g.mean()
    sx = ((p - x) ** 2).sum() / (n - 1 + EPS)
    sy = ((g - y) ** 2).sum() / (n - 1 + EPS)
    sxy = ((p - x) * (g - y)).sum() / (n - 1 + EPS)
    alpha = float(4 * x * y * sxy)
    beta = float((x ** 2 + y ** 2) * (sx + sy))
    if alpha != 0:
        return alpha / (beta + EPS)
    return 1.0 if beta == 0 else 0.0


def s_measure(p: Tensor, gt: Tensor, alpha: float = 0.5) -> float:
    """S-measure of one normalised map ``p`` (H, W) in [0, 1] against a binary ``gt`` (H, W)."""
    y = float(gt.double().mean())
    if y == 0:
        return 1 - float(p.mean())
    if y == 1:
        return float(p.mean())
    g = gt.double()
    s_o = y * _s_object(p[gt]) + (1 - y) * _s_object((1 - p)[~gt])
    H, W = gt.shape
    cy, cx = torch.nonzero(gt).double().mean(0).round().long().tolist()
    cy, cx = cy + 1, cx + 1  # the reference's 1-based quadrant split
    area = H * W
    w_lt, w_rt, w_lb = cx * cy / area, cy * (W - cx) / area, (H - cy) * cx / area
    w_rb = 1 - w_lt - w_rt - w_lb
    s_r = (_ssim(p[:cy, :cx], g[:cy, :cx]) * w_lt + _ssim(p[:cy, cx:], g[:cy, cx:]) * w_rt
           + _ssim(p[cy:, :cx], g[cy:, :cx]) * w_lb + _ssim(p[cy:, cx:], g[cy:, cx:]) * w_rb)
    return max(0.0, alpha * s_o + (1 - alpha) * s_r)


class SaliencyMetrics:
    r"""Accumulates max-F, MAE and S-measure over images.

    ``update(pred, gt)``: ``pred`` saliency probabilities :math:`(B, H, W)` (or :math:`(H, W)`) in
    ``[0, 1]``, ``gt`` :math:`(B, H, W)` with 1 (or True) = salient. ``state()`` is a flat float64
    tensor that sums over processes (``all_reduce``) into the state of one process that saw every
    image.
    """

    def __init__(self, beta2: float = 0.3, alpha: float = 0.5) -> None:
        check_number(beta2, 'beta2', 0., strict=True)
        if not 0 <= check_number(alpha, 'alpha') <= 1:
            raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
        self.beta2, self.alpha = beta2, alpha
        self.reset()

    def reset(self) -> None:
        self.f_sum = torch.zeros(256, dtype=torch.float64)
        self.mae_sum = self.s_sum = 0.0
        self.n = 0

    @torch.no_grad()
    def update(self, pred: Tensor, gt: Tensor) -> None:
        check_floating(pred, 'pred')
        if pred.dim() == 2:
            pred, gt = pred[None], gt[None]
        check_ndim(pred, 'pred', 3, '(B, H, W)')
        if gt.shape != pred.shape:
            raise ValueError(f"gt must have the shape of pred {tuple(pred.shape)}, got "
                             f"{tuple(gt.shape)}")
        check_finite(pred, 'pred')
        # rounding of averaged probs
        if pred.numel() and (float(pred.min()) < -1e-6 or float(pred.max()) > 1 + 1e-6):
            raise ValueError("pred must be saliency probabilities in [0, 1], got values in "
                             f"[{float(pred.min()):g}, "
                             f"{float(pred.max()):g}]; apply a sigmoid / softmax first")
        for p, g in zip(pred.cpu(), gt.cpu()):
            g = g.bool() if g.dtype == torch.bool else g == 1
            p = _prepare(p)
            self.f_sum += _f_curve(p, g, self.beta2)
            self.mae_sum += float((p - g.double()).abs().mean())
            self.s_sum += s_measure(p, g, self.alpha)
            self.n += 1

    def state(self) -> Tensor:
        return torch.cat(
            [
                self.f_sum,
                torch.tensor([self.mae_sum, self.s_sum, float(self.n)], dtype=torch.float64),
            ]
        )

    def load_state(self, state: Tensor) -> None:
        state = state.cpu().double()
        self.f_sum, (self.mae_sum, self.s_sum, n) = state[:256].clone(), state[256:].tolist()
        self.n = int(round(n))

    def compute(self) -> Dict[str, float]:
        if self.n == 0:
            return {'max_f': float('nan'), 'mean_f': float('nan'), 'mae': float('nan'),
                    's_measure': float('nan')}
        curve = self.f_sum / self.n
        return {'max_f': float(curve.max()), 'mean_f': float(curve.mean()),
                'mae': self.mae_sum / self.n, 's_measure': self.s_sum / self.n}


__all__ = ['SaliencyMetrics', 's_measure']
