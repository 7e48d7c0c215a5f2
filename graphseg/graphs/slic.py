r"""Batched hard SLIC superpixels in plain torch (CPU and CUDA, same code).

SLIC (Achanta et al., TPAMI 2012) is k-means on ``(colour, y, x)`` with
centres seeded on a regular grid of step :math:`S = \sqrt{HW / n}` and the
distance

.. math::
    D^2 = \frac{\lVert \mathbf{c}_p - \mathbf{c}_k \rVert^2}{m^2} + \frac{\lVert \mathbf{p} - \mathbf{p}_k \rVert^2}{S^2}

with compactness :math:`m`, exactly the scaling of ``skimage.segmentation.slic``
(colour rescaled to ``[0, 1]`` per image, then converted to L*a*b* for RGB).
Each pixel only compares the 9 centres seeded in its own grid cell and the 8
cells around it (the gSLIC restriction). All pixels of a cell share those 9
candidates, so pixels are laid out cell by cell, ``(D, B, G, P)``, and an
assignment step accumulates the distance to candidate slot ``s = 0..8`` of every
cell in place (a fixed 9 x D loop of whole-tensor ops); the update step is one
scatter-mean. No Python loop over pixels or centres. Unlike skimage, connectivity is not enforced (a segment may
be split into islands); empty segments are dropped and ids made consecutive.
"""
from __future__ import annotations

import math
from typing import Tuple

import torch
from torch import Tensor

from ..check import as_image, check_positive
from ..ops.color import rgb_to_lab
from ..ops.scatter import scatter


def _grid_shape(height: int, width: int, n_segments: int) -> Tuple[int, int, float]:
    step = math.sqrt(height * width / n_segments)
    gh = max(1, min(height, round(height / step)))
    gw = max(1, min(width, round(width / step)))
    return gh, gw, step


def slic_torch(image: Tensor, n_segments: int = 100, compactness: float = 10.,
               max_num_iter: int = 10, convert2lab: bool | None = None) -> Tuple[Tensor, Tensor]:
    r"""Hard SLIC superpixels for a batch of images, in torch.

    Args:
        image (Tensor): float images, channels first.
        n_segments (int): approximate number of superpixels per image.
        compactness (float): :math:`m`; larger gives more square superpixels.
            Same meaning as in ``skimage.segmentation.slic``. (default: ``10``)
        max_num_iter (int): k-means iterations. (default: ``10``)
        convert2lab (bool, optional): convert RGB to L*a*b* first; default:
            when the image has 3 channels.

    Returns:
        ``(labels, num_segments)``: long labels :math:`(B, H, W)` with ids
        ``0 .. num_segments[b] - 1`` per image, and ``num_segments`` :math:`(B,)`.

    Shapes:
        - **input:** :math:`(B, C, H, W)` or :math:`(C, H, W)`
        - **output:** :math:`(B, H, W)`, :math:`(B,)`
    """
    image = as_image(image, 'image', numpy=False).detach()  # the rule of graphseg.check.as_image; labels only
    if isinstance(n_segments, bool) or not isinstance(n_segments, int) or n_segments < 1:
        raise ValueError(f"n_segments must be an int >= 1, got {n_segments!r}")
    check_positive(compactness, 'compactness')
    if isinstance(max_num_iter, bool) or not isinstance(max_num_iter, int) or max_num_iter < 0:
        raise ValueError(f"max_num_iter must be an int >= 0, got {max_num_iter!r}")
    if image.dim() == 3:
        image = image.unsqueeze(0)
    B, C, H, W = image.shape
    if convert2lab is None:
        convert2lab = C == 3
    elif convert2lab and C != 3:
        raise ValueError(f"convert2lab=True needs an RGB image with 3 channels, got C = {C}")
    dev = image.device

    # colour: per-image rescale to [0, 1] (skimage), then Lab, then 1/m (D^2 = ||dc||^2/m^2 + ...)
    flat = image.reshape(B, -1)
    lo, hi = flat.min(1).values.view(B, 1, 1, 1), flat.max(1).values.view(B, 1, 1, 1)
    img = (image - lo) / torch.where(hi > lo, hi - lo, torch.ones_like(hi))
    if convert2lab:
        img = rgb_to_lab(img)
    img = img / compactness  # (B, C, H, W)

    gh, gw, step = _grid_shape(H, W, n_segments)
    G = gh * gw
    D = C + 2
    # features (colour/m, y/S, x/S) per pixel, flat (B, H*W, D)
    ys = torch.arange(H, device=dev, dtype=img.dtype).view(1, 1, H, 1).expand(B, 1, H, W)
    xs = torch.arange(W, device=dev, dtype=img.dtype).view(1, 1, 1, W).expand(B, 1, H, W)
    feats = torch.cat([img, ys / step, xs / step], dim=1).flatten(2).transpose(1, 2)  # (B, HW, D)

    # Seeding cell r of row y is floor(y * gh / H): rows [start[r], start[r+1]) (same for columns).
    # Pixels of one cell share their 9 candidate centres, so lay pixels out cell by cell, padded
    # to the largest cell: (G, P) pixel ids + validity, P = max cell height * max cell width.
    def blocks(size: int, cells: int):
        start = (torch.arange(cells + 1, device=dev) * size + cells - 1) // cells
        extent = int((start[1:] - start[:-1]).max())
        idx = start[:-1].view(-1, 1) + torch.arange(extent, device=dev)  # (cells, extent)
        return idx.clamp(max=size - 1), idx < start[1:].view(-1, 1)

    row, row_ok = blocks(H, gh)
    col, col_ok = blocks(W, gw)
    pix = (row.view(gh, 1, -1, 1) * W + col.view(1, gw, 1, -1)).reshape(G, -1)  # (G, P)
    pix_ok = (row_ok.view(gh, 1, -1, 1) & col_ok.view(1, gw, 1, -1)).reshape(G, -1)
    P = pix.size(1)
    cell_feats = feats[:, pix.view(-1)].view(B, G, P, D)  # (B, G, P, D)
    cell_chan = cell_feats.permute(3, 0, 1, 2).contiguous()  # (D, B, G, P): one block per channel

    # 9 candidate centres per cell: itself and its 8 neighbours (invalid ones get +inf distance)
    r, c = torch.meshgrid(torch.arange(gh, device=dev), torch.arange(gw, device=dev), indexing='ij')
    d = torch.tensor([-1, 0, 1], device=dev)
    nr = r.reshape(G, 1, 1) + d.view(1, 3, 1)
    nc = c.reshape(G, 1, 1) + d.view(1, 1, 3)
    cand_ok = ((nr >= 0) & (nr < gh) & (nc >= 0) & (nc < gw)).reshape(G, 9)
    cand = (nr.clamp(0, gh - 1) * gw + nc.clamp(0, gw - 1)).reshape(G, 9)  # (G, 9)
    penalty = torch.zeros(9, 1, G, 1, device=dev, dtype=img.dtype)
    penalty.masked_fill_(~cand_ok.t().reshape(9, 1, G, 1), float('inf'))

    # initial centres: the feature of each cell's central pixel
    centre_row = row[:, 0] + (row_ok.sum(1) - 1) // 2  # (gh,)
    centre_col = col[:, 0] + (col_ok.sum(1) - 1) // 2  # (gw,)
    centre_pix = (centre_row.view(gh, 1) * W + centre_col.view(1, gw)).reshape(G)
    centres = feats[:, centre_pix]  # (B, G, D)
    boff = (torch.arange(B, device=dev) * G).view(B, 1, 1)
    ok_idx = pix_ok.view(1, G * P).expand(B, -1).reshape(-1).nonzero().squeeze(1)  # real pixels
    feats_ok = cell_feats.reshape(B * G * P, D).index_select(0, ok_idx)

    def assign(centres: Tensor) -> Tensor:
        mu = centres[:, cand.view(-1)].view(B, G, 9, D).permute(2, 3, 0, 1).unsqueeze(-1)  # (9, D, B, G, 1)
        best = slot = None
        tmp = torch.empty_like(cell_chan[0])
        for s in range(9):  # D^2 to candidate slot s, accumulated in place over channels
            dist = penalty[s].expand_as(tmp).clone()
            for ch in range(D):
                torch.sub(cell_chan[ch], mu[s, ch], out=tmp)
                dist.addcmul_(tmp, tmp)
            if best is None:
                best, slot = dist, torch.zeros_like(dist, dtype=torch.long)
            else:
                closer = dist < best
                best = torch.minimum(best, dist)
                slot.masked_fill_(closer, s)
        return cand.unsqueeze(0).expand(B, G, 9).gather(2, slot)  # (B, G, P) centre ids

    labels = assign(centres)
    for _ in range(max_num_iter):
        lab_ok = (labels + boff).view(-1).index_select(0, ok_idx)
        sums = scatter(feats_ok, lab_ok, 0, B * G, reduce='sum')
        count = torch.bincount(lab_ok, minlength=B * G).unsqueeze(-1)
        new = sums / count.clamp_min(1).to(sums.dtype)
        centres = torch.where(count > 0, new, centres.reshape(B * G, D)).view(B, G, D)
        new_labels = assign(centres)
        if torch.equal(new_labels, labels):
            break
        labels = new_labels

    # back to pixel order, consecutive ids per image, empty segments dropped
    out = torch.empty(B, H * W, dtype=torch.long, device=dev)
    out[:, pix.view(-1)[pix_ok.view(-1)]] = labels.view(B, G * P)[:, pix_ok.view(-1)]
    glob = (out + boff.view(B, 1)).view(-1)
    used = torch.bincount(glob, minlength=B * G).view(B, G) > 0
    remap = used.long().cumsum(1) - 1  # (B, G)
    labels = remap.view(-1)[glob].view(B, H, W)
    return labels, used.sum(1)


__all__ = ['slic_torch']
