r"""sRGB -> CIE L*a*b* (D65, 2-degree observer) in plain torch, batched, differentiable.

The standard formulae (same constants as ``skimage.color.rgb2lab``):
linearise sRGB (:math:`c \le 0.04045:\ c/12.92`, else :math:`((c + 0.055)/1.055)^{2.4}`),
map to XYZ with the sRGB/D65 matrix, divide by the D65 white point and apply
:math:`f(t) = t^{1/3}` for :math:`t > (6/29)^3`, else :math:`t / (3 (6/29)^2) + 4/29`.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..check import check_floating, check_tensor

_RGB_TO_XYZ = ((0.412453, 0.357580, 0.180423),
               (0.212671, 0.715160, 0.072169),
               (0.019334, 0.119193, 0.950227))
_WHITE_D65 = (0.95047, 1.0, 1.08883)


def rgb_to_lab(image: Tensor) -> Tensor:
    r"""Convert sRGB in ``[0, 1]`` to CIE L*a*b* (L in ``[0, 100]``).

    Args:
        image (Tensor): RGB image(s), channel axis at ``-3``.

    Shapes:
        - **input:** :math:`(*, 3, H, W)`
        - **output:** :math:`(*, 3, H, W)` as ``(L, a, b)``
    """
    check_tensor(image, 'image')
    check_floating(image, 'image')
    if image.dim() < 3 or image.size(-3) != 3:
        raise ValueError(f"image must have shape (*, 3, H, W), got {tuple(image.shape)}")
    # the XYZ matrix with the white point folded in, rows divided by (X_n, Y_n, Z_n)
    m = torch.tensor(_RGB_TO_XYZ, dtype=torch.float64) / torch.tensor(_WHITE_D65,
                                                                      dtype=torch.float64).view(3,
                                                                                                1)
    m = m.to(dtype=image.dtype, device=image.device)
    eps = (6. / 29.) ** 3
    if image.requires_grad and torch.is_grad_enabled():
        lin = torch.where(image > 0.04045, ((image + 0.055) / 1.055).clamp_min(0).pow(2.4),
                          image / 12.92)
        xyz = torch.einsum('ij,...jhw->...ihw', m, lin)
        f = torch.where(xyz > eps, xyz.clamp_min(eps).pow(1. / 3.),
                        xyz / (3 * (6. / 29.) ** 2) + 4. / 29.)
        fx, fy, fz = f.unbind(-3)
        return torch.stack([116. * fy - 16., 500. * (fx - fy), 200. * (fy - fz)], dim=-3)
    # the same formulae without autograd: in place, a third fewer passes over the image (SLIC's
    # case) (no clamps: a branch that where() does not select may hold NaN here, there is no
    # gradient to spoil)
    lin = torch.where(image > 0.04045, (image + 0.055).div_(1.055).pow_(2.4), image / 12.92)
    xyz = torch.einsum('ij,...jhw->...ihw', m, lin)
    f = torch.where(xyz > eps, xyz.pow(1. / 3.), xyz.div_(3 * (6. / 29.) ** 2).add_(4. / 29.))
    fx, fy, fz = f.unbind(-3)
    out = torch.empty_like(f)
    L, a, b = out.unbind(-3)
    torch.sub(fx, fy, out=a).mul_(500.)
    torch.sub(fy, fz, out=b).mul_(200.)
    torch.mul(fy, 116., out=L).sub_(16.)
    return out


__all__ = ['rgb_to_lab']
