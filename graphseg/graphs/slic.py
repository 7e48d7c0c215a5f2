r"""Batched hard SLIC superpixels in plain torch (CPU and CUDA, same code).

SLIC (Achanta et al., TPAMI 2012) is k-means on ``(colour, y, x)`` with
centres seeded on a regular grid of step :math:`S = \sqrt{HW / n}` and the
distance

.. math::
    D^2 = \frac{\lVert \mathbf{c}_p - \mathbf{c}_k \rVert^2}{m^2}
        + \frac{\lVert \mathbf{p} - \mathbf{p}_k \rVert^2}{S^2}

with compactness :math:`m`, exactly the scaling of ``skimage.segmentation.slic``
(colour rescaled to ``[0, 1]`` per image, then converted to L*a*b* for RGB).
A pixel is compared with the centres seeded within :math:`2S` of it, as in
skimage (which scans a :math:`\pm 2S` window around every centre): each seeding
cell is split at its seed into half-cell blocks (cut into pieces of at most
:math:`\lceil S/2 \rceil` rows / columns at the image border, so that blocks need
next to no padding), and the pixels of a block share 4 x 4 = 16 candidate
centres. Pixels are laid out block by block, ``(B NB, D + 2, P)``, and an
assignment step is one batched matmul,
:math:`D^2_s = [-2 \mu_s, \lVert \mu_s \rVert^2, 1] \cdot [f, 1, \lVert f \rVert^2]`,
with positions relative to the block so that the expansion loses no precision,
followed by one integer min over the candidates: :math:`D^2 \ge 0`, so its IEEE
bits order like integers; the low 4 bits are replaced by the candidate's slot
and the min returns the nearest slot with its distance (ties, and distances
a relative :math:`2^{-19}` apart or closer in float32, go to the first slot, the
lowest centre id, as in skimage's scan). The first assignment needs no matmul:
skimage's initial centres have colour 0, so it is by position alone and every
pixel goes to its own cell's seed. The update step keeps the sums of
``[f, 1]`` per centre in float64 and, after the first step, moves only the
pixels that changed centre. No Python loop over pixels or centres.

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
from typing import Optional, Tuple

import torch
from torch import Tensor

from ..check import as_image, check_int, check_ndim, check_positive
from ..ops.amp import autocast_enabled, full_precision
from ..ops.color import rgb_to_lab


def _seed_grid(height: int, width: int, n_segments: int) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """``(start, step)`` of the seed rows and of the seed columns: skimage's ``regular_grid`` of a
    2-D image."""
    if height * width <= n_segments:
        return (0, 1), (0, 1)
    step = math.sqrt(height * width / n_segments)
    if min(height, width) >= step:
        return (int(step // 2), round(step)), (int(step // 2), round(step))
    # one seed across the short side
    short, long = min(height, width), max(height, width) / n_segments
    a, b = (short // 2, short), (int(long // 2), max(1, round(long)))
    return (a, b) if height <= width else (b, a)


def slic_torch(image: Tensor, n_segments: int = 100, compactness: float = 10.,
               max_num_iter: int = 10, convert2lab: bool | None = None, *,
               enforce_connectivity: bool = True,
               min_size_factor: float = 0.5) -> Tuple[Tensor, Tensor]:
    r"""Hard SLIC superpixels for a batch of images, in torch.

    Args:
        image (Tensor): float images, channels first.
        n_segments (int): approximate number of superpixels per image.
        compactness (float): :math:`m`; larger gives more square superpixels.
            Same meaning as in ``skimage.segmentation.slic``. (default: ``10``)
        max_num_iter (int): assignment steps (k-means iterations; at least one is run).
            (default: ``10``)
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
    image = as_image(image, 'image', numpy=False)  # the rule of graphseg.check.as_image
    return _slic_torch(image, n_segments, compactness, max_num_iter, convert2lab,
                       enforce_connectivity=enforce_connectivity, min_size_factor=min_size_factor)


def _slic_torch(image: Tensor, n_segments: int = 100, compactness: float = 10.,
                max_num_iter: int = 10, convert2lab: bool | None = None, *,
                enforce_connectivity: bool = True,
                min_size_factor: float = 0.5) -> Tuple[Tensor, Tensor]:
    """:func:`slic_torch` of an image that :func:`graphseg.check.as_image` has already accepted
    (in float32 under ``torch.autocast``, whose bf16 matmuls would reorder the distances)."""
    if autocast_enabled(image):
        with full_precision(image):
            return _slic_torch(image, n_segments, compactness, max_num_iter, convert2lab,
                               enforce_connectivity=enforce_connectivity,
                               min_size_factor=min_size_factor)
    image, convert2lab = _slic_input(image, n_segments, compactness, max_num_iter, convert2lab)
    B, C, H, W = image.shape
    dev, dtype = image.device, image.dtype

    # seeds as skimage places them
    (start_y, step_y), (start_x, step_x) = _seed_grid(H, W, n_segments)
    gh, gw = len(range(start_y, H, step_y)), len(range(start_x, W, step_x))
    G = gh * gw
    step = float(max(step_y, step_x))  # S of the distance, skimage's integer grid step
    D = C + 2  # features (colour/m, y/S, x/S)

    # Seeding cell r holds the rows nearest to seed row r; it is split at its seed into an upper and
    # a lower half (same for columns). skimage compares a pixel with every centre within 2 S of it,
    # i.e. the seeds of rows r-2..r+1 for an upper-half pixel and r-1..r+2 for a lower-half one: 4 x
    # 4 = 16 candidates per half-cell block (_blocks). Pixels of one block share their candidates,
    # so pixels are laid out block by block, (B NB, ., P), E_y x E_x pixels per block (border pieces
    # padded).
    first_y, len_y, cand_y, own_y, Ey = _blocks(H, gh, start_y, step_y)
    first_x, len_x, cand_x, own_x, Ex = _blocks(W, gw, start_x, step_x)
    bh, bw, P, K = len(first_y), len(first_x), Ey * Ex, 16
    NB = bh * bw

    # pixel ids (nb, extent) of the blocks along one axis + validity
    def axis(first, length, extent, size):
        first = torch.tensor(first, device=dev)
        off = torch.arange(extent, device=dev)
        return (
            (first.view(-1, 1) + off).clamp_(max=size - 1),
            off < torch.tensor(length, device=dev).view(-1, 1),
            first,
        )

    row, row_ok, row0 = axis(first_y, len_y, Ey, H)
    col, col_ok, col0 = axis(first_x, len_x, Ex, W)
    # pixel of every (block, slot)
    pix = (row.view(bh, 1, Ey, 1) * W + col.view(1, bw, 1, Ex)).view(NB * P)
    valid = (row_ok.view(bh, 1, Ey, 1) & col_ok.view(1, bw, 1, Ex)).view(NB, P)  # False: padding
    all_valid = bool(valid.all())

    # colour, gathered block by block (every pixel at least once): per-image rescale to [0, 1]
    # (skimage), then Lab, then 1/m (D^2 = ||dc||^2/m^2 + ...)
    # (B, C, NB P); index_select is slow
    colour = image.reshape(B, C, H * W).gather(2, pix.expand(B, C, -1))
    lo, hi = colour.amin((1, 2), keepdim=True), colour.amax((1, 2), keepdim=True)
    colour = (colour - lo) / torch.where(hi > lo, hi - lo, torch.ones_like(hi))
    if convert2lab:
        colour = rgb_to_lab(colour.unsqueeze(-1)).squeeze(-1)
    colour = colour.div_(compactness).view(B, C, NB, P)
    ok = valid.to(dtype)  # (NB, P) 1 for real pixels, 0 for padding: padding gets all-zero features
    if not all_valid:
        colour.mul_(ok)

    # (NB, P) position / S of each block's pixels along one axis, block-relative or not
    def plane(idx, rel):
        return ((idx - (rel.view(-1, 1) if rel is not None else 0)) / step).to(dtype)

    rel_y = plane(row, row0).view(bh, 1, Ey, 1).expand(bh, bw, Ey, Ex).reshape(NB, P) * ok
    rel_x = plane(col, col0).view(1, bw, 1, Ex).expand(bh, bw, Ey, Ex).reshape(NB, P) * ok
    # (B NB, D + 2, P): [f_p; 1; |f_p|^2] per pixel, positions relative to the block's first pixel
    # (small numbers, so the expansion of D^2 below keeps its precision)
    A = D + 2
    aug = torch.empty(B, NB, A, P, device=dev, dtype=dtype)
    aug[:, :, :C] = colour.transpose(1, 2)
    aug[:, :, C] = rel_y
    aug[:, :, C + 1] = rel_x
    aug[:, :, D] = ok
    norm = aug[:, :, D + 1]
    norm.copy_(rel_y.square() + rel_x.square())
    for c in range(C):
        norm.addcmul_(colour[:, c], colour[:, c])
    aug = aug.view(B * NB, A, P)
    # pixel-major [f_p; 1] with absolute positions, (B NB P, D + 1), for the sums of the update step
    abs_y = plane(row, None).view(bh, 1, Ey, 1).expand(bh, bw, Ey, Ex).reshape(NB, P) * ok
    abs_x = plane(col, None).view(1, bw, 1, Ex).expand(bh, bw, Ey, Ex).reshape(NB, P) * ok
    feat = torch.stack([*colour.unbind(1), *(t.expand(B, NB, P) for t in (abs_y, abs_x, ok))], -1)
    feat = feat.view(B * NB * P, D + 1)

    # the 16 candidate centres of every block (seeds outside the grid get a huge distance)
    cy, cx = torch.tensor(cand_y, device=dev), torch.tensor(cand_x, device=dev)
    cand_row = cy.view(-1, 1) + torch.arange(4, device=dev)  # (bh, 4) seed rows
    cand_col = cx.view(-1, 1) + torch.arange(4, device=dev)  # (bw, 4)
    row_in, col_in = (cand_row >= 0) & (cand_row < gh), (cand_col >= 0) & (cand_col < gw)
    cand_ok = (row_in.view(bh, 1, 4, 1) & col_in.view(1, bw, 1, 4)).reshape(NB, K)
    cand = cand_row.clamp(0, gh - 1).view(bh, 1, 4, 1) * gw + cand_col.clamp(0, gw - 1).view(
        1, bw, 1, 4
    )
    cand = cand.reshape(NB, K)  # (NB, K) centre ids
    penalty = torch.zeros(NB, K, device=dev, dtype=dtype)
    penalty.masked_fill_(~cand_ok, torch.finfo(dtype).max / 64)  # finite: inf slows the GEMM down
    origin = torch.zeros(NB, 1, D, device=dev, dtype=dtype)  # block origins in feature space
    origin[:, 0, C] = (row0 / step).to(dtype).repeat_interleave(bw)
    origin[:, 0, C + 1] = (col0 / step).to(dtype).repeat(bh)
    boff = (torch.arange(B, device=dev) * G).view(B, 1, 1)
    cand_glob = (cand.unsqueeze(0) + boff).view(-1)  # (B NB K,) centre ids of the batch

    # initial centres: the seed positions with colour 0, as skimage: the first assignment is then
    # by position alone (the colour term |c_p|^2 is the same for all candidates)
    centres = torch.zeros(B * G, D, device=dev, dtype=dtype)
    centres[:, C] = (
        ((start_y + step_y * torch.arange(gh, device=dev)) / step)
        .to(dtype)
        .repeat_interleave(gw)
        .repeat(B)
    )
    centres[:, C + 1] = (
        ((start_x + step_x * torch.arange(gw, device=dev)) / step).to(dtype).repeat(gh * B)
    )

    # argmin over the 16 candidates as one integer min: D^2 >= 0, so its bits read as an integer
    # order like the float; the low 4 bits (2^-19 of the value in float32) are replaced by the
    # candidate's slot, which the min then returns too (ties, and values a relative 2^-19 apart, go
    # to the first slot)
    itype = torch.int32 if dtype == torch.float32 else torch.int64
    slot_bits = torch.arange(K, device=dev, dtype=itype).view(1, K, 1)
    # ~(K - 1): the mask that clears the low bits
    high_bits = torch.tensor(-K, device=dev, dtype=itype)
    chunk = B * NB if dev.type != 'cpu' else max(1, (1 << 20) // (K * P * aug.element_size()))

    # per-candidate terms feature-major, (., B NB K): column i for centre cand_glob[i]; block
    # origins alike
    cand_index = cand_glob.view(1, -1).expand(D + 1, -1)
    # (2, B NB K) positions
    origin_planes = origin[:, 0, C:].t().repeat_interleave(K, 1).repeat(1, B)
    penalty = penalty.view(1, NB * K).repeat(1, B).view(-1)
    # [-2 mu; |mu|^2 + penalty; 1] per candidate
    planes = torch.ones(A, B * NB, K, device=dev, dtype=dtype)
    mu_aug = planes.permute(1, 2, 0)  # (B NB, K, A) view; bmm takes the strides as they are

    # the chunks' views, made once (a slice is a dispatch too): operands, reused score buffers (the
    # float D^2 and its packed integer form; not an in-place integer view of the float buffer, which
    # torch.compile cannot trace) and two alternating outputs (this step's slots and the last
    # step's)
    score_buf = torch.empty(min(chunk, B * NB), K, P, device=dev, dtype=dtype)
    packed_buf = torch.empty(min(chunk, B * NB), K, P, device=dev, dtype=itype)
    outputs = [torch.empty(B * NB, P, dtype=itype, device=dev) for _ in range(2)]
    chunks = [(mu_aug[s:s + chunk], aug[s:s + chunk], score_buf[:min(chunk, B * NB - s)],
               packed_buf[:min(chunk, B * NB - s)], [o[s:s + chunk] for o in outputs])
              for s in range(0, B * NB, chunk)]

    def assign(centres: Tensor, out: int) -> Tensor:
        """Slot (0 .. K-1) of the nearest candidate centre of every pixel, (B NB, P), into
        ``outputs[out]``."""
        # D^2 = |f|^2 - 2 f.mu + |mu|^2 = [-2 mu, |mu|^2 + penalty, 1] . [f, 1, |f|^2]: one batched
        # matmul. Per centre first, [-2 colour, position, |colour|^2] (D + 1, B G), then gathered
        # per candidate; only the positions are block-relative
        table = torch.cat(
            [centres[:, :C] * -2, centres[:, C:], centres[:, :C].square().sum(1, keepdim=True)], 1
        )
        mu = table.t().contiguous().gather(1, cand_index)  # (D + 1, B NB K)
        rel = mu[C:D].sub_(origin_planes)  # block-relative positions
        planes[:C].view(C, -1).copy_(mu[:C])
        torch.mul(rel, -2, out=planes[C:D].view(2, -1))
        torch.add(mu[D], penalty,
                  out=planes[D].view(-1)).add_(rel[0].square()).add_(rel[1].square())
        for mu_c, aug_c, score, packed, best in chunks:  # cache-sized chunks of blocks
            torch.bmm(mu_c, aug_c, out=score)  # (chunk, K, P)
            torch.bitwise_and(score.view(itype), high_bits, out=packed).bitwise_or_(slot_bits)
            torch.amin(packed, 1, out=best[out])
        return outputs[out].bitwise_and_(K - 1)

    # The first assignment is by position alone (the colour term is the same for all candidates):
    # every pixel goes to its own cell's seed, the nearest (ties to the upper / left one, as the
    # cells are cut), so all pixels of a block share one slot. No matmul, and the first sums are
    # block sums.
    own = (
        torch.tensor(own_y, device=dev).view(bh, 1) * 4
        + torch.tensor(own_x, device=dev).view(1, bw)
    ).view(NB)
    slot = own.to(itype).view(NB, 1).repeat(B, P)  # (B NB, P)
    block_base = (torch.arange(B * NB, device=dev) * K).view(-1, 1)
    if max_num_iter > 1:
        # the update step keeps the sums of [f, 1] per centre in float64 and then moves only the
        # pixels whose centre changed (a third in the second step, then a few %) (B NB,) centre of
        # each block
        label = cand_glob.index_select(0, own.repeat(B) + block_base.view(-1))
        total = torch.zeros(B * G, D + 1, device=dev, dtype=torch.float64).index_add_(
            0, label, feat.view(B * NB, P, D + 1).sum(1).double())
    for it in range(1, max_num_iter):  # max_num_iter assignment steps in all, as skimage
        count = total[:, D:]
        centres = torch.where(count > 0, (total[:, :D] / count.clamp_min(1)).to(dtype), centres)
        new_slot = assign(centres, it % 2)  # the other buffer than slot's
        if it == max_num_iter - 1:  # the last assignment step: no update follows
            slot = new_slot
            break
        moved = (new_slot != slot).view(-1).nonzero().squeeze(1)  # (n,) flat (block, pixel) ids
        if moved.numel() == 0:  # converged
            break
        base = moved.div(P, rounding_mode='floor').mul_(K)  # first candidate of the pixel's block
        f = feat.index_select(0, moved).double()  # (n, D + 1)
        to = cand_glob.index_select(0, base + new_slot.view(-1).index_select(0, moved))
        fro = cand_glob.index_select(0, base.add_(slot.view(-1).index_select(0, moved)))
        # (alpha=-1 is 5x slower on the CPU)
        total.index_add_(0, to, f).index_add_(0, fro, f.neg_())
        slot = new_slot

    # back to pixel order
    # (B NB P,) centre ids of the batch
    label = cand_glob.index_select(0, (slot + block_base).view(-1))
    img_off = (torch.arange(B, device=dev) * (H * W)).view(B, 1)
    # padding: a spare entry
    dst = torch.where(valid.view(1, -1), pix.view(1, -1) + img_off, B * H * W).view(-1)
    glob = torch.empty(B * H * W + 1, dtype=torch.long, device=dev).index_copy_(0, dst, label)[:-1]
    if enforce_connectivity:
        min_size = int(min_size_factor * H * W / G)  # skimage: the seeded segment size H W / G
        return enforce_label_connectivity(glob.view(B, H, W), min_size)
    return _consecutive_labels(glob, B, G, H, W)


def _slic_input(image: Tensor, n_segments: int, compactness: float, max_num_iter: int,
                convert2lab: Optional[bool]) -> Tuple[Tensor, bool]:
    """The checked arguments of :func:`_slic_torch`: a detached ``(B, C, H, W)`` float32 / float64
    image and whether it is converted to Lab (default: when it has 3 channels)."""
    image = image.detach()  # labels only
    check_int(n_segments, 'n_segments', 1)
    check_positive(compactness, 'compactness')
    check_int(max_num_iter, 'max_num_iter', 0)
    if image.dim() == 3:
        image = image.unsqueeze(0)
    C = image.size(1)
    if convert2lab is None:
        convert2lab = C == 3
    elif convert2lab and C != 3:
        raise ValueError(f"convert2lab=True needs an RGB image with 3 channels, got C = {C}")
    dtype = image.dtype if image.dtype in (torch.float32, torch.float64) else torch.float32
    return image.to(dtype), convert2lab


def _consecutive_labels(glob: Tensor, B: int, G: int, H: int, W: int) -> Tuple[Tensor, Tensor]:
    """Centre ids of the batch ``(B H W,)`` -> labels ``0 .. n_b - 1`` per image in centre order,
    and ``n_b``."""
    used = torch.bincount(glob, minlength=B * G).view(B, G) > 0
    remap = used.long().cumsum(1) - 1  # (B, G)
    labels = remap.view(-1).index_select(0, glob).view(B, H, W)
    return labels, used.sum(1)


def _blocks(size: int, cells: int, seed0: int,
            seed_step: int) -> Tuple[list, list, list, list, int]:
    """Half-cell blocks along one axis: first pixel, length, first candidate seed and the slot of
    the own seed among the 4 candidates of each, and the extent.

    Cell ``r`` spans from the pixel after the midpoint to the previous seed to the midpoint to the
    next one; its upper half ends at the seed (inclusive, candidates ``r-2 .. r+1``), the lower half
    follows (``r-1 .. r+2``). A half longer than the interior halves (at the image border) is cut
    into pieces of at most ``extent = ceil(step / 2)`` pixels with the same candidates, so that
    blocks are not padded.
    """
    extent = seed_step - seed_step // 2
    seeds = [seed0 + seed_step * r for r in range(cells)]
    first, length, cand, own = [], [], [], []
    for r, s in enumerate(seeds):
        lo = 0 if r == 0 else seeds[r - 1] + seed_step // 2 + 1
        hi = size if r == cells - 1 else s + seed_step // 2 + 1
        for a, b, c in ((lo, s + 1, r - 2), (s + 1, hi, r - 1)):
            for f in range(a, b, extent):
                first.append(f)
                length.append(min(extent, b - f))
                cand.append(c)
                own.append(r - c)
    return first, length, cand, own, extent


def _union_find(num_nodes: int, u: Tensor, v: Tensor) -> Tensor:
    """Root (the smallest node id) of the connected component of every node of the graph
    ``(u, v)``."""
    root = torch.arange(num_nodes, device=u.device)
    while True:
        ru, rv = root.index_select(0, u), root.index_select(0, v)
        differ = (ru != rv).nonzero().squeeze(1)
        if differ.numel() == 0:
            return root
        # an edge inside one tree stays so (trees only merge): keep the others for the next round
        u, v, ru, rv = (t.index_select(0, differ) for t in (u, v, ru, rv))
        root.scatter_reduce_(0, torch.maximum(ru, rv), torch.minimum(ru, rv), 'amin')  # hook roots
        while True:  # pointer jumping until every node points at a root
            nxt = root.index_select(0, root)
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
    N = B * H * W
    dev = labels.device
    flat = labels.reshape(-1)
    # horizontal runs of equal labels: run r starts at pixel start[r] (raster order, images in turn)
    new_run = torch.empty(N, dtype=torch.bool, device=dev)
    torch.ne(flat[1:], flat[:-1], out=new_run[1:])
    new_run.view(B * H, W)[:, 0] = True  # every row starts a run
    start = new_run.nonzero().squeeze(1)  # (R,) first pixel of every run
    R = start.numel()
    length = torch.diff(start, append=start.new_tensor([N]))
    run_of = new_run.cumsum(0).sub_(1)  # (B H W,) run id of every pixel
    # runs of consecutive rows overlap iff the start of one lies under / over the other: test every
    # run start
    y = (start // W) % H
    lab = flat.index_select(0, start)
    below, above = (start + W).clamp_(max=N - 1), (start - W).clamp_(min=0)
    linked = torch.cat([(flat.index_select(0, below) == lab) & (y < H - 1),
                        (flat.index_select(0, above) == lab) & (y > 0)]).nonzero().squeeze(1)
    u = linked % R  # the run whose start is tested, and the run below / above that start
    v = run_of.index_select(0, torch.cat([below, above]).index_select(0, linked))
    root = _union_find(R, u, v)  # (R,) first run (raster order) of every piece
    if min_size > 0:
        # pixels per piece
        size = torch.zeros(R, dtype=torch.long, device=dev).scatter_add_(0, root, length)
        # runs of small pieces
        small_run = (size < min_size).index_select(0, root).nonzero().squeeze(1)
        target = torch.arange(R, device=dev)
        if small_run.numel():
            # the pixels of small pieces (raster order) and their pieces, numbered by their first
            # runs
            run_len = length.index_select(0, small_run)
            n_pix = int(run_len.sum())
            first_pix = start.index_select(0, small_run)
            shift = first_pix - (run_len.cumsum(0) - run_len)
            pix = torch.repeat_interleave(shift, run_len, output_size=n_pix) + torch.arange(
                n_pix, device=dev
            )
            r_piece = root.index_select(0, small_run)
            p_piece = torch.repeat_interleave(r_piece, run_len, output_size=n_pix)
            # skimage flood-fills a small piece from its first pixel and merges it into the last
            # already-labelled piece it meets: here the earlier piece touched by the piece's pixel
            # farthest (L1) from the first pixel, ties to the later pixel, then to the later of the
            # neighbours right, left, below, above (the order skimage visits them in) candidate
            # neighbours in skimage's order (rank): right, left, below, above. Inside a run the
            # horizontal neighbour is the same run, so right / left only at the run's ends (runs r
            # +- 1)
            last_pix = first_pix + run_len - 1
            right = root.index_select(0, (small_run + 1).clamp_(max=R - 1))
            left = root.index_select(0, (small_run - 1).clamp_(min=0))
            py = (pix // W) % H
            down = root.index_select(0, run_of.index_select(0, (pix + W).clamp(max=N - 1)))
            up = root.index_select(0, run_of.index_select(0, (pix - W).clamp(min=0)))
            cand_pix = torch.cat([last_pix, first_pix, pix, pix])
            nbr = torch.cat([right, left, down, up])
            owner = torch.cat([r_piece, r_piece, p_piece, p_piece])
            rank = torch.cat([torch.full_like(r_piece, 0), torch.full_like(r_piece, 1),
                              torch.full_like(p_piece, 2), torch.full_like(p_piece, 3)])
            inside = torch.cat([last_pix % W != W - 1, first_pix % W != 0, py < H - 1, py > 0])
            # an earlier piece: labelled by skimage's scan
            ok = (inside & (nbr < owner)).nonzero().squeeze(1)
            cand_pix, nbr, owner, rank = (
                t.index_select(0, ok) for t in (cand_pix, nbr, owner, rank)
            )
            first = start.index_select(0, owner)  # the piece's first pixel
            dist = ((cand_pix // W) % H - (first // W) % H).abs() + (cand_pix % W - first % W).abs()
            key = (dist * (H * W) + cand_pix % (H * W)) * 4 + rank
            best_key = torch.full((R,), -1, dtype=torch.long, device=dev)
            best_key.scatter_reduce_(0, owner, key, 'amax')
            win = (key == best_key.index_select(0, owner)).nonzero().squeeze(1)
            target.index_copy_(0, owner.index_select(0, win), nbr.index_select(0, win))
            # follow merges into pieces that are merged themselves (always raster-earlier)
            while True:
                nxt = target.index_select(0, target)
                if torch.equal(nxt, target):
                    break
                target = nxt
            root = target.index_select(0, root)
    # consecutive ids per image in raster order of the segments' first runs; a segment's first run
    # is its own root
    is_seg = root == torch.arange(R, device=dev)
    seg_id = is_seg.cumsum(0) - 1  # (R,) global ids, images in turn
    image_of_run = start // (H * W)
    num = torch.zeros(B, dtype=torch.long, device=dev).scatter_add_(0, image_of_run, is_seg.long())
    first_id = num.cumsum(0) - num  # (B,) global id of each image's first segment
    local = seg_id.index_select(0, root) - first_id.index_select(0, image_of_run)  # (R,)
    return local.index_select(0, run_of).view(B, H, W), num


__all__ = ['slic_torch', 'enforce_label_connectivity']
