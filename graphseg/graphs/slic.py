r"""Batched hard SLIC superpixels in plain torch (CPU and CUDA, same code).

SLIC (Achanta et al., TPAMI 2012) is k-means on ``(colour, y, x)`` with
centres seeded on a regular grid of step :math:`S = \sqrt{HW / n}` and the
distance

.. math::
    D^2 = \frac{\lVert \mathbf{c}_p - \mathbf{c}_k \rVert^2}{m^2} + \frac{\lVert \mathbf{p} - \mathbf{p}_k \rVert^2}{S^2}

with compactness :math:`m`, exactly the scaling of ``skimage.segmentation.slic``
(colour rescaled to ``[0, 1]`` per image, then converted to L*a*b* for RGB).
A pixel is compared with the centres seeded within :math:`2S` of it, as in
skimage (which scans a :math:`\pm 2S` window around every centre): each seeding
cell is split at its seed into half-cell blocks, and the pixels of a block
share 4 x 4 = 16 candidate centres. Pixels are laid out block by block,
``(B NB, P, D)``, and an assignment step is one batched matmul:
:math:`\arg\min_s D^2_s = \arg\min_s (\lVert \mu_s \rVert^2 - 2 f \cdot \mu_s)`
(the pixel's own norm is the same for all candidates), with positions relative
to the block so that the expansion loses no precision, followed by a min over
the candidates. The update step is one scatter-mean. No
Python loop over pixels or centres.

Connectivity is enforced as in skimage (``enforce_connectivity=True``): the
4-connected pieces of every segment are found by union-find on horizontal runs
of equal labels (a few thousand runs instead of all pixels; hooking by
``scatter_reduce`` and pointer jumping), and pieces smaller than
``min_size_factor`` times the seeded segment size are merged into the earlier
neighbouring piece that skimage's flood fill would pick. Every segment is then
one connected region. Unlike skimage, no segment is split at
``max_size_factor`` (SLIC segments rarely grow that large). Ids are consecutive
per image in raster order of the segments' first pixels, as skimage numbers
them. Seeds, the integer grid step and the colour-free first assignment follow
skimage too, so that the result agrees with skimage's about as well as skimage
agrees with itself at a compactness 10 % higher or lower
(``tests/test_slic_torch.py``, ``scripts/bench_graphs.py``).
"""
from __future__ import annotations

import math
from typing import Tuple

import torch
from torch import Tensor

from ..check import as_image, check_ndim, check_positive
from ..ops.color import rgb_to_lab
from ..ops.scatter import scatter


def _seed_grid(height: int, width: int, n_segments: int) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """``(start, step)`` of the seed rows and of the seed columns: skimage's ``regular_grid`` of a 2-D image."""
    if height * width <= n_segments:
        return (0, 1), (0, 1)
    step = math.sqrt(height * width / n_segments)
    if min(height, width) >= step:
        return (int(step // 2), round(step)), (int(step // 2), round(step))
    short, long = min(height, width), max(height, width) / n_segments  # one seed across the short side
    a, b = (short // 2, short), (int(long // 2), max(1, round(long)))
    return (a, b) if height <= width else (b, a)


def slic_torch(image: Tensor, n_segments: int = 100, compactness: float = 10.,
               max_num_iter: int = 10, convert2lab: bool | None = None, *, enforce_connectivity: bool = True,
               min_size_factor: float = 0.5) -> Tuple[Tensor, Tensor]:
    r"""Hard SLIC superpixels for a batch of images, in torch.

    Args:
        image (Tensor): float images, channels first.
        n_segments (int): approximate number of superpixels per image.
        compactness (float): :math:`m`; larger gives more square superpixels.
            Same meaning as in ``skimage.segmentation.slic``. (default: ``10``)
        max_num_iter (int): assignment steps (k-means iterations; at least one is run). (default: ``10``)
        convert2lab (bool, optional): convert RGB to L*a*b* first; default:
            when the image has 3 channels.
        enforce_connectivity (bool): make every segment one connected region
            (:func:`enforce_label_connectivity`), as skimage. (default: ``True``)
        min_size_factor (float): pieces smaller than this times the seeded
            segment size :math:`HW / G` are merged into a neighbour, as skimage. (default: ``0.5``)

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

    (start_y, step_y), (start_x, step_x) = _seed_grid(H, W, n_segments)  # seeds as skimage places them
    gh, gw = len(range(start_y, H, step_y)), len(range(start_x, W, step_x))
    G = gh * gw
    step = float(max(step_y, step_x))  # S of the distance, skimage's integer grid step
    D = C + 2
    # features (colour/m, y/S, x/S) per pixel, flat (B, H*W, D)
    ys = torch.arange(H, device=dev, dtype=img.dtype).view(1, 1, H, 1).expand(B, 1, H, W)
    xs = torch.arange(W, device=dev, dtype=img.dtype).view(1, 1, 1, W).expand(B, 1, H, W)
    feats = torch.cat([img, ys / step, xs / step], dim=1).flatten(2).transpose(1, 2)  # (B, HW, D)

    # Seeding cell r holds the rows nearest to seed row r, [start[r], start[r+1]); it is split at its seed
    # into an upper and a lower half (same for columns). skimage compares a pixel with every centre within
    # 2 S of it, i.e. the seeds of rows r-2..r+1 for an upper-half pixel and r-1..r+2 for a lower-half
    # one: 4 x 4 = 16 candidates per half-cell block. Pixels of one block share their candidates, so lay
    # pixels out block by block, padded to the largest block: (NB, P) pixel ids + validity.
    def blocks(size: int, cells: int, seed0: int, seed_step: int):
        seeds = seed0 + seed_step * torch.arange(cells, device=dev)
        start = torch.cat([seeds.new_zeros(1), seeds[:-1] + seed_step // 2 + 1])  # (cells,) cell starts
        bounds = torch.cat([torch.stack([start, seeds + 1], 1).view(-1), seeds.new_tensor([size])])  # halves
        extent = int((bounds[1:] - bounds[:-1]).max())
        idx = bounds[:-1].view(-1, 1) + torch.arange(extent, device=dev)  # (2 cells, extent)
        half = torch.arange(2 * cells, device=dev)
        cand = (half // 2 - 2 + half % 2).view(-1, 1) + torch.arange(4, device=dev)  # (2 cells, 4) seed rows
        return idx.clamp(max=size - 1), idx < bounds[1:].view(-1, 1), cand

    row, row_ok, cand_row = blocks(H, gh, start_y, step_y)
    col, col_ok, cand_col = blocks(W, gw, start_x, step_x)
    bh, bw = row.size(0), col.size(0)
    NB = bh * bw  # blocks
    pix = (row.view(bh, 1, -1, 1) * W + col.view(1, bw, 1, -1)).reshape(NB, -1)  # (NB, P)
    pix_ok = (row_ok.view(bh, 1, -1, 1) & col_ok.view(1, bw, 1, -1)).reshape(NB, -1)
    P = pix.size(1)
    cell_feats = feats[:, pix.view(-1)].view(B, NB, P, D)  # (B, NB, P, D)

    # the 16 candidate centres of every block (seeds outside the grid get a huge distance)
    K = 16
    row_in, col_in = (cand_row >= 0) & (cand_row < gh), (cand_col >= 0) & (cand_col < gw)
    cand_ok = row_in.view(bh, 1, 4, 1) & col_in.view(1, bw, 1, 4)
    cand = cand_row.clamp(0, gh - 1).view(bh, 1, 4, 1) * gw + cand_col.clamp(0, gw - 1).view(1, bw, 1, 4)
    cand, cand_ok = cand.reshape(NB, K), cand_ok.reshape(NB, K)  # (NB, K)
    penalty = torch.zeros(NB, K, device=dev, dtype=img.dtype)
    penalty.masked_fill_(~cand_ok, torch.finfo(img.dtype).max / 16)  # finite: inf slows the GEMM down

    # initial centres: the seed positions with colour 0, as skimage: the first assignment is then
    # by position alone (the colour term |c_p|^2 is the same for all candidates)
    centre_row = start_y + step_y * torch.arange(gh, device=dev)  # (gh,)
    centre_col = start_x + step_x * torch.arange(gw, device=dev)  # (gw,)
    centre_pix = (centre_row.view(gh, 1) * W + centre_col.view(1, gw)).reshape(G)
    centres = feats[:, centre_pix].clone()  # (B, G, D)
    centres[..., :C] = 0
    boff = (torch.arange(B, device=dev) * G).view(B, 1, 1)
    ok_idx = pix_ok.view(1, NB * P).expand(B, -1).reshape(-1).nonzero().squeeze(1)  # real pixels
    feats_ok = cell_feats.reshape(B * NB * P, D).index_select(0, ok_idx)
    # positions relative to each block's first pixel: small numbers, so |mu|^2 - 2 f.mu keeps its precision
    origin = torch.zeros(NB, 1, D, device=dev, dtype=img.dtype)
    origin[:, 0, C] = (row[:, 0] / step).repeat_interleave(bw)
    origin[:, 0, C + 1] = (col[:, 0] / step).repeat(bh)
    # (B NB, D + 1, P): [f_p; 1] per pixel, block-relative, channel-major so that the scores of one
    # candidate are contiguous and the argmin runs over the outer (candidate) dimension
    cell_aug = torch.cat([cell_feats - origin, torch.ones_like(cell_feats[..., :1])], -1)
    cell_aug = cell_aug.reshape(B * NB, P, D + 1).transpose(1, 2).contiguous()

    rank = (K - 1 - torch.arange(K, device=dev)).to(torch.uint8).view(1, K, 1)  # K - 1 - slot
    chunk = B * NB if dev.type != 'cpu' else max(1, (1 << 20) // (K * P * img.element_size()))

    def assign(centres: Tensor) -> Tensor:
        mu = centres[:, cand.view(-1)].view(B, NB, K, D) - origin.unsqueeze(0)  # (B, NB, K, D) block-relative
        # D^2 = |f|^2 - 2 f.mu + |mu|^2; |f|^2 is the same for all candidates of a pixel, so the scores
        # [-2 mu, |mu|^2 + penalty] . [f, 1] of the K candidates are one batched matmul
        mu_aug = torch.cat([-2 * mu, (mu.square().sum(-1) + penalty).unsqueeze(-1)], -1)  # (B, NB, K, D + 1)
        mu_aug = mu_aug.view(B * NB, K, D + 1)
        slot = torch.empty(B * NB, P, dtype=torch.uint8, device=dev)
        for s in range(0, B * NB, chunk):  # cache-sized chunks of blocks
            score = torch.bmm(mu_aug[s:s + chunk], cell_aug[s:s + chunk])  # (chunk, K, P)
            # argmin over the K candidates, via min + equality: reductions over an outer dimension
            # vectorise, argmin's do not (4-10x slower on the CPU); ties go to the first candidate, as argmin's
            first_min = (score == score.amin(1, keepdim=True)).view(torch.uint8).mul_(rank)  # (chunk, K, P)
            torch.amax(first_min, 1, out=slot[s:s + chunk])
        slot = (K - 1 - slot.long()).view(B, NB, P)
        return cand.unsqueeze(0).expand(B, NB, K).gather(2, slot)  # (B, NB, P) centre ids

    labels = assign(centres)
    for _ in range(max_num_iter - 1):  # max_num_iter assignment steps in all, as skimage
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
    out[:, pix.view(-1)[pix_ok.view(-1)]] = labels.view(B, NB * P)[:, pix_ok.view(-1)]
    if enforce_connectivity:
        min_size = int(min_size_factor * H * W / G)  # skimage: the seeded segment size H W / G
        return enforce_label_connectivity(out.view(B, H, W), min_size)
    glob = (out + boff.view(B, 1)).view(-1)
    used = torch.bincount(glob, minlength=B * G).view(B, G) > 0
    remap = used.long().cumsum(1) - 1  # (B, G)
    labels = remap.view(-1)[glob].view(B, H, W)
    return labels, used.sum(1)


def _union_find(num_nodes: int, u: Tensor, v: Tensor) -> Tensor:
    """Root (the smallest node id) of the connected component of every node of the graph ``(u, v)``."""
    root = torch.arange(num_nodes, device=u.device)
    while True:
        ru, rv = root[u], root[v]
        differ = ru != rv
        if not bool(differ.any()):
            return root
        ru, rv = ru[differ], rv[differ]
        root.scatter_reduce_(0, torch.maximum(ru, rv), torch.minimum(ru, rv), 'amin')  # hook roots
        while True:  # pointer jumping until every node points at a root
            nxt = root[root]
            if torch.equal(nxt, root):
                break
            root = nxt


def enforce_label_connectivity(labels: Tensor, min_size: int = 0) -> Tuple[Tensor, Tensor]:
    r"""Make every segment one 4-connected region (skimage's ``enforce_connectivity``), batched.

    Each 4-connected piece of a label becomes its own segment; a piece of fewer
    than ``min_size`` pixels is merged into a neighbouring piece that starts
    earlier in raster order, chosen as skimage's flood fill chooses it (see the
    code), so that every segment stays connected (also 8-connected). A small
    piece without such a neighbour (at the image's first pixel) stays a segment.

    Args:
        labels (LongTensor): segment ids (any integers) per pixel.
        min_size (int): smallest piece kept as a segment of its own. (default: ``0``)

    Returns:
        ``(labels, num_segments)``: ids ``0 .. num_segments[b] - 1`` per image,
        numbered in raster order of the segments' first pixels.

    Shapes:
        - **input:** :math:`(B, H, W)`
        - **output:** :math:`(B, H, W)`, :math:`(B,)`
    """
    check_ndim(labels, 'labels', 3, '(B, H, W)')
    B, H, W = labels.shape
    dev = labels.device
    # horizontal runs of equal labels: run r starts at pixel start[r] (raster order, images in turn)
    new_run = torch.ones(B, H, W, dtype=torch.bool, device=dev)
    new_run[:, :, 1:] = labels[:, :, 1:] != labels[:, :, :-1]
    run_of = new_run.view(-1).cumsum(0) - 1  # (B H W,) run id of every pixel
    start = new_run.view(-1).nonzero().squeeze(1)  # (R,) first pixel of every run
    R = start.numel()
    length = torch.diff(start, append=start.new_tensor([B * H * W]))
    # runs of consecutive rows overlap iff the start of one lies under / over the other: test every run start
    flat = labels.reshape(-1)
    y = (start // W) % H
    down = start[y < H - 1]
    down = down[flat[down] == flat[down + W]]
    up = start[y > 0]
    up = up[flat[up] == flat[up - W]]
    u = torch.cat([run_of[down], run_of[up]])
    v = torch.cat([run_of[down + W], run_of[up - W]])
    root = _union_find(R, u, v)  # (R,) first run (raster order) of every piece
    if min_size > 0:
        size = torch.zeros(R, dtype=torch.long, device=dev).scatter_add_(0, root, length)  # pixels per piece
        small = size < min_size  # indexed by root run
        piece = root[run_of]  # (B H W,) piece of every pixel, numbered by its first run
        pix = small[piece].nonzero().squeeze(1)  # pixels of small pieces
        target = torch.arange(R, device=dev)
        if pix.numel():
            # skimage flood-fills a small piece from its first pixel and merges it into the last
            # already-labelled piece it meets: here the earlier piece touched by the piece's pixel farthest
            # (L1) from the first pixel, ties to the later pixel, then to the later of the neighbours
            # right, left, below, above (the order skimage visits them in)
            p_piece = piece[pix]
            first = start[p_piece]
            py, px = (pix // W) % H, pix % W
            dist = (py - (first // W) % H).abs() + (px - first % W).abs()
            best_key = torch.full((R,), -1, dtype=torch.long, device=dev)
            keys, nbrs, owners = [], [], []
            for rank, (dy, dx) in enumerate(((0, 1), (0, -1), (1, 0), (-1, 0))):
                inside = (py + dy >= 0) & (py + dy < H) & (px + dx >= 0) & (px + dx < W)
                q = torch.where(inside, pix + dy * W + dx, pix)
                q_piece = piece[q]
                ok = inside & (q_piece < p_piece)  # an earlier piece: already labelled by skimage's scan
                keys.append(((dist * (H * W) + pix % (H * W)) * 4 + rank)[ok])
                nbrs.append(q_piece[ok])
                owners.append(p_piece[ok])
            key, nbr, owner = torch.cat(keys), torch.cat(nbrs), torch.cat(owners)
            best_key.scatter_reduce_(0, owner, key, 'amax')
            win = key == best_key[owner]
            target[owner[win]] = nbr[win]
        while True:  # follow merges into pieces that are merged themselves (always raster-earlier)
            nxt = target[target]
            if torch.equal(nxt, target):
                break
            target = nxt
        root = target[root]
    # consecutive ids per image in raster order of the segments' first runs
    is_seg = torch.zeros(R, dtype=torch.long, device=dev)
    is_seg[root] = 1
    seg_id = is_seg.cumsum(0) - 1  # (R,) global ids, images in turn
    image_of_run = start // (H * W)
    num = torch.zeros(B, dtype=torch.long, device=dev).scatter_add_(0, image_of_run, is_seg)
    first_id = num.cumsum(0) - num  # (B,) global id of each image's first segment
    local = seg_id[root] - first_id[image_of_run]  # (R,)
    return local[run_of].view(B, H, W), num


__all__ = ['slic_torch', 'enforce_label_connectivity']
