r"""HG-Conv's differentiable clustering (Hamaguchi et al., CVPR 2021, Sec. 3.1 and Algorithm 1 of
the supplement).

Three steps turn a feature map :math:`X` into a soft assignment :math:`S` of
pixels to groups:

1. **importance map** :math:`C_{imp}` -- the mean L2 distance of a pixel's
   feature to its (in-image) 8 neighbours: high on edges and texture,
   :func:`importance_map`;
2. **centre sampling** -- ``'random'``, ``'importance'`` (proportional to
   :math:`C_{imp}`) or ``'topk_random'`` (PointRend-style: over-sample
   :math:`k m` candidates uniformly, keep the :math:`\beta m` most important,
   add :math:`(1-\beta) m` uniform ones), never a pixel twice,
   :func:`sample_centres`;
3. **differentiable SLIC** (Algorithm 1) -- from the nearest-centre
   assignment, ``iters`` rounds of column-normalise, centre update
   :math:`X^c = \bar S^\top X`, :math:`S_{ij} = \exp(-\lVert X_i - X^c_j \rVert^2)`,
   drop :math:`S_{ij} < 10^{-3}`, row-normalise, :func:`differentiable_slic`.

Scalable form: each pixel is associated with its ``num_nearest`` spatially
nearest centres only, so :math:`S` is a :class:`SoftClustering` of
``index``/``weight`` of shape :math:`(B, H, W, k)`, never an
:math:`N_{pix} \times M` matrix. Products with :math:`S` (pooling
:math:`\bar S^\top X`, unpooling :math:`\tilde S Z`, the pixel-to-centre
distances) run tile by tile: the image is cut into ``tile x tile`` blocks and,
inside a block, :math:`S` restricted to the block's :math:`K_t` distinct
candidate centres is a small dense ``(tile^2, K_t)`` matrix, so every product
is one batched matmul plus one gather or scatter over the :math:`K_t`
candidates. Memory is :math:`O(N_{pix} K_t)`; with tiles of the group spacing
(the default) :math:`K_t` is about :math:`2k` (20-25 for ``k = 9`` in the paper's
90x90, 127-group setting). The nearest-centre search compares every pixel with
every centre (integer arithmetic, in chunks of bounded memory).
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...check import (check_choice, check_finite, check_floating, check_index, check_int,
                      check_ndim, check_positive)
from ...directions import CENTER, DIRECTIONS
from ...graphs.group_adjacency import Assignment, SoftAssignment, _as_pairs
from ...ops.amp import autocast_enabled, full_precision, upcast

SAMPLING = ('random', 'importance', 'topk_random')
#: Guard of the column / row normalisations (an empty group pools to 0).
NORM_EPS = 1e-7


# ----------------------------------------------------------------------------- importance map

def importance_map(x: Tensor) -> Tensor:
    r"""Importance :math:`C_{imp}`: mean L2 distance of each pixel's feature to its 8 neighbours.

    .. math::
        C_{imp}(p) = \frac{1}{|\mathcal{N}_8(p)|}
        \sum_{q \in \mathcal{N}_8(p)} \lVert X_p - X_q \rVert_2

    over the neighbours inside the image (for inner pixels: the sum divided by 8).
    Used to sample centres, so it is not meant to be differentiated.

    Args:
        x (Tensor): feature map.

    Shapes:
        - **input:** :math:`(B, C, H, W)`
        - **output:** :math:`(B, H, W)`
    """
    check_ndim(x, 'x', 4, '(B, C, H, W)')
    check_floating(x, 'x')
    B, C, H, W = x.shape
    total = x.new_zeros(B, H, W)
    count = x.new_zeros(1, H, W)
    # 4 forward offsets; each distance serves both ends
    for k in range(CENTER + 1, len(DIRECTIONS)):
        dy, dx = DIRECTIONS[k]
        ys_p, ys_q = slice(0, H - dy), slice(dy, H)
        xs_p, xs_q = slice(max(0, -dx), W - max(0, dx)), slice(max(0, dx), W - max(0, -dx))
        d = torch.linalg.vector_norm(x[:, :, ys_p, xs_p] - x[:, :, ys_q, xs_q], dim=1)  # (B, h, w)
        total[:, ys_p, xs_p] += d
        total[:, ys_q, xs_q] += d
        count[:, ys_p, xs_p] += 1
        count[:, ys_q, xs_q] += 1
    return total / count.clamp_min(1)


# ----------------------------------------------------------------------------- centre sampling

def _check_importance(importance: Tensor, num_centres: int) -> Tuple[int, int, int]:
    check_ndim(importance, 'importance', 3, '(B, H, W)')
    check_floating(importance, 'importance')
    check_finite(importance, 'importance')
    B, H, W = importance.shape
    check_int(num_centres, 'num_centres', 1)
    if num_centres > H * W:
        raise ValueError(f"num_centres = {num_centres} groups need at least as many pixels, but "
                         f"the map has only {H}x{W} = {H * W} pixels (fewer pixels than groups)")
    return B, H, W


def sample_centres(importance: Tensor, num_centres: int, method: str = 'topk_random', *,
                   oversample: float = 7., beta: float = 0.75,
                   generator: Optional[torch.Generator] = None) -> Tensor:
    r"""Sample ``num_centres`` distinct centre pixels per image (HG-Conv Sec. 3.1, Table 12).

    * ``'random'``: uniform, without replacement.
    * ``'importance'``: without replacement with probability proportional to
      ``importance`` (Gumbel-top-k: the exact sequential scheme, in one ``topk``).
    * ``'topk_random'`` (PointRend's scheme): draw :math:`\lceil k m \rceil`
      candidates uniformly (``k = oversample``), keep the :math:`\mathrm{round}(\beta m)`
      most important of them, and add the remaining :math:`m - \mathrm{round}(\beta m)`
      uniformly from the other pixels.

    No pixel is chosen twice.

    Args:
        importance (Tensor): non-negative importance per pixel (e.g.
            :func:`importance_map` or :func:`~graphseg.nn.active_focus`).
        num_centres (int): :math:`m` per image (at most :math:`HW`).
        method (str): ``'random'``, ``'importance'`` or ``'topk_random'``.
            (default: ``'topk_random'``)
        oversample (float): :math:`k \geq 1` of ``'topk_random'``. (default: ``7``)
        beta (float): :math:`\beta \in [0, 1]` of ``'topk_random'``. (default: ``0.75``)
        generator (torch.Generator, optional): random source (on ``importance``'s device).

    Returns:
        LongTensor :math:`(B, m)` of pixel ids ``y * W + x``, ascending per image.

    Shapes:
        - **input:** :math:`(B, H, W)`
        - **output:** :math:`(B, m)`
    """
    B, H, W = _check_importance(importance, num_centres)
    check_choice(method, 'method', SAMPLING)
    check_positive(oversample, 'oversample')
    if oversample < 1:
        raise ValueError(f"oversample must be >= 1, got {oversample}")
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0 <= beta <= 1:
        raise ValueError(f"beta must be a number in [0, 1], got {beta!r}")
    N, m, dev = H * W, num_centres, importance.device
    imp = importance.detach().reshape(B, N)
    if bool((imp < 0).any()):
        raise ValueError("importance must be >= 0")

    def uniform() -> Tensor:
        return torch.rand(B, N, generator=generator, device=dev)

    if method == 'random':
        pick = uniform().topk(m, dim=1).indices
    elif method == 'importance':  # Gumbel-top-k = sampling without replacement, p ~ importance
        gumbel = -torch.log(-torch.log(uniform().clamp(1e-20, 1 - 1e-7)))
        # zero importance: last, but still distinct
        logp = torch.log(imp.double().clamp_min(1e-300))
        pick = (logp + gumbel.double()).topk(m, dim=1).indices
    else:
        n_imp = int(round(beta * m))
        n_cand = min(N, max(n_imp, int(math.ceil(oversample * m))))
        cand = uniform().topk(n_cand, dim=1).indices  # (B, k m) uniform candidates
        best = imp.gather(1, cand).topk(n_imp, dim=1).indices
        pick = cand.gather(1, best)  # (B, beta m) most important candidates
        if m > n_imp:  # (1 - beta) m uniform from the pixels not picked yet
            key = uniform().scatter_(1, pick, -1.)
            pick = torch.cat([pick, key.topk(m - n_imp, dim=1).indices], dim=1)
    return pick.sort(dim=1).values


def sample_centres_per_image(importance: Tensor, num_centres: int, method: str = 'topk_random', *,
                             seed: int = 0, oversample: float = 7., beta: float = 0.75) -> Tensor:
    r""":func:`sample_centres` image by image, each image from its own generator seeded with
    ``seed``.

    An image's centres are then a function of that image alone: the same
    whether it is sampled alone or inside a batch, and whatever the state of
    ``torch``'s global generator (what HG-Conv's eval mode needs for
    deterministic, batch-independent outputs).

    Shapes:
        - **input:** :math:`(B, H, W)`
        - **output:** :math:`(B, m)`
    """
    _check_importance(importance, num_centres)
    return torch.cat(
        [
            sample_centres(
                importance[b : b + 1],
                num_centres,
                method,
                oversample=oversample,
                beta=beta,
                generator=torch.Generator(importance.device).manual_seed(seed),
            )
            for b in range(importance.size(0))
        ]
    )


#: Per-image :math:`N M` up to which :func:`nearest_centres` compares every pixel with every centre
#: (the block pruning's per-level overhead costs more below it).
_NEAREST_BRUTE_MAX = 1 << 15


def nearest_centres(centres: Tensor, height: int, width: int, k: int) -> Tensor:
    r"""The ``k`` spatially nearest centres of every pixel (ties: lower centre id first).

    Exact, by hierarchical block pruning: the map is cut into ``b x b`` pixel
    blocks (:math:`b \approx \sqrt{N/M}`, the centre spacing, in [2, 16]) and
    a quadtree of blocks of ``b 2^l`` pixels is walked from the whole map down.
    For a block and a candidate centre the smallest and largest squared
    distances to the block's pixels, :math:`d^{min}` and :math:`d^{max}`, are
    exact integers; with :math:`U` the ``k``-th smallest :math:`d^{max}`, a
    centre with :math:`d^{min} > U` has ``k`` centres strictly closer to every
    pixel of the block, so it is in no pixel's top ``k`` whatever the id
    tie-break and is dropped for the block and its sub-blocks (each block keeps
    the :math:`C` candidates of smallest :math:`d^{min}`, :math:`C` the largest
    count of survivors over the level's blocks; extra candidates are harmless).
    Each pixel then ranks its leaf block's :math:`C_{max}` candidates by the
    same key as a brute force, ``d2 * M + id``, so ids, order and ties equal
    comparing every pixel with every centre (done directly when
    :math:`N M \le 2^{15}`, where it is faster). Cost
    :math:`O(N C_{max} + M \log N)` for spread-out centres (:math:`C_{max}` is
    a few times ``k``) instead of :math:`O(N M)`; memory is chunked like the
    brute force (:math:`\le 2^{22}` keys at a time in the pixel stage).

    Args:
        centres (LongTensor): centre pixel ids ``y * W + x`` per image.
        height (int), width (int): map size.
        k (int): neighbours per pixel (at most :math:`m`).

    Returns:
        LongTensor :math:`(B, H, W, k)` of centre ids in ``[0, m)``, nearest first.

    Shapes:
        - **input:** :math:`(B, m)`
        - **output:** :math:`(B, H, W, k)`
    """
    check_ndim(centres, 'centres', 2, '(B, M)')
    check_index(centres, 'centres')
    B, M = centres.shape
    N = height * width
    if M == 0:
        raise ValueError("centres must hold at least one centre per image, got M = 0")
    check_int(k, 'k', 1, M)
    if centres.numel() and (int(centres.min()) < 0 or int(centres.max()) >= N):
        raise ValueError(f"centres must be pixel ids in [0, {N - 1}], got [{int(centres.min())}, "
                         f"{int(centres.max())}]")
    centres = centres.long()  # int32 keys d2 * M + id would overflow
    cy, cx = centres // width, centres % width  # (B, M)
    if N * M <= _NEAREST_BRUTE_MAX:
        return _nearest_brute(cy, cx, height, width, k)
    dev = centres.device
    b = int(min(16, max(2, round(math.sqrt(N / M)))))  # leaf block side, about the centre spacing
    nh, nw = -(-height // b), -(-width // b)
    cand = torch.arange(M, device=dev).expand(B, 1, M)  # (B, blocks, C): the root holds all
    for lev in range((max(nh, nw) - 1).bit_length() - 1, -1, -1):  # quadtree, coarse to leaves
        side, gh, gw = b << lev, -(-nh // (1 << lev)), -(-nw // (1 << lev))
        iy = torch.arange(gh, device=dev).repeat_interleave(gw)  # (nb,) block row / column
        ix = torch.arange(gw, device=dev).repeat(gh)
        pc = cand[:, (iy // 2) * -(-nw // (2 << lev)) + ix // 2]  # (B, nb, C_parent)
        y0, x0 = (iy * side).view(1, -1, 1), (ix * side).view(1, -1, 1)
        y1, x1 = (y0 + side).clamp(max=height) - 1, (x0 + side).clamp(max=width) - 1
        flat = pc.reshape(B, -1)
        ny, fy = _span(cy.gather(1, flat).view_as(pc), y0, y1)
        nx, fx = _span(cx.gather(1, flat).view_as(pc), x0, x1)
        dmin, dmax = ny * ny + nx * nx, fy * fy + fx * fx  # (B, nb, C_parent) exact integers
        bound = dmax.kthvalue(k, dim=2, keepdim=True).values  # U: k centres are never farther
        C = int((dmin <= bound).sum(2).max())  # >= k: the k centres defining U survive
        cand = pc.gather(2, dmin.topk(C, dim=2, largest=False, sorted=False).indices)
    nb, C = nh * nw, cand.size(2)
    iy = torch.arange(nh, device=dev).repeat_interleave(nw)
    ix = torch.arange(nw, device=dev).repeat(nh)
    off = torch.arange(b, device=dev).view(1, 1, b, 1)
    ccy = cy.gather(1, cand.reshape(B, -1)).view(B, nb, 1, C)
    ccx = cx.gather(1, cand.reshape(B, -1)).view(B, nb, 1, C)
    out = centres.new_empty(B, nb, b, b, k)
    chunk = max(1, (1 << 22) // (B * b * b * C))  # blocks per chunk: B * chunk * b^2 * C keys
    for s in range(0, nb, chunk):  # O(N · C_max)
        e = min(nb, s + chunk)
        dy = (iy[s:e] * b).view(1, -1, 1, 1) + off - ccy[:, s:e]  # (B, nbc, b, C) per pixel row
        dx = (ix[s:e] * b).view(1, -1, 1, 1) + off - ccx[:, s:e]  # (B, nbc, b, C) per column
        key = (dy * dy * M).unsqueeze(3) + (dx * dx * M + cand[:, s:e, None]).unsqueeze(2)
        out[:, s:e] = key.topk(k, dim=4, largest=False, sorted=True).values % M  # key % M = id
    out = out.view(B, nh, nw, b, b, k).permute(0, 1, 3, 2, 4, 5).reshape(B, nh * b, nw * b, k)
    return out[:, :height, :width].contiguous()  # (B, H, W, k), padding pixels cut


def _span(c: Tensor, lo: Tensor, hi: Tensor) -> Tuple[Tensor, Tensor]:
    """Smallest and largest 1-D distance from coordinates ``c`` to the interval ``[lo, hi]``."""
    return (lo - c).clamp_min(0) + (c - hi).clamp_min(0), torch.maximum(c - lo, hi - c)


def _nearest_brute(cy: Tensor, cx: Tensor, height: int, width: int, k: int) -> Tensor:
    """:func:`nearest_centres` comparing every pixel with every centre, :math:`O(N M)`."""
    B, M = cy.shape
    N = height * width
    cy, cx = cy.view(B, 1, M), cx.view(B, 1, M)
    order = torch.arange(M, device=cy.device).view(1, 1, M)
    chunk = max(1, (1 << 22) // max(1, B * M))  # pixels per chunk: B * chunk * M keys in memory
    out = []
    for start in range(0, N, chunk):
        p = torch.arange(start, min(N, start + chunk), device=cy.device)
        py, px = (p // width).view(1, -1, 1), (p % width).view(1, -1, 1)
        key = ((py - cy) ** 2 + (px - cx) ** 2) * M + order  # exact integer distance, id tie-break
        out.append(key.topk(k, dim=2, largest=False, sorted=True).indices)
    return torch.cat(out, dim=1).view(B, height, width, k)


# ----------------------------------------------------------------------------- tiles

def default_tile(height: int, width: int, num_groups: int) -> int:
    """Tile side of the products with :math:`S`: near the group spacing :math:`s = \\sqrt{HW/M}` (in
    [1, 16]).

    Among the sides within 1 of :math:`s` the one needing the least padding is
    taken (e.g. 9 for a 90x90 map with 127 groups, :math:`s = 8`), ties going
    to the closest to :math:`s`.
    """
    s = int(min(16, max(1, round(math.sqrt(height * width / max(num_groups, 1))))))

    def padding(t: int) -> int:
        return -(-height // t) * t * (-(-width // t) * t) - height * width
    return min(range(max(1, s - 1), min(16, s + 1) + 1), key=lambda t: (padding(t), abs(t - s)))


class _TilePlan:
    """Tile layout of a ``(B, H, W, k)`` index: each tile's distinct candidate groups.

    ``cand`` (BT, K_t) holds global group ids ``b * M + g`` (padded with the
    tile's first candidate; padded columns receive no weight) and ``pos``
    (BT, P, k) the column of each ``(pixel, slot)`` inside its tile's block.
    """

    def __init__(self, index: Tensor, num_groups: int, tile: int) -> None:
        B, H, W, k = index.shape
        dev = index.device
        self.B, self.H, self.W, self.k, self.M, self.tile = B, H, W, k, num_groups, tile
        self.nh, self.nw = -(-H // tile), -(-W // tile)
        self.Hp, self.Wp = self.nh * tile, self.nw * tile
        self.P = tile * tile
        self.BT = B * self.nh * self.nw
        ys = torch.arange(self.Hp, device=dev).clamp(max=H - 1)
        xs = torch.arange(self.Wp, device=dev).clamp(max=W - 1)
        gid = index + (torch.arange(B, device=dev) * num_groups).view(B, 1, 1, 1)
        # padding replicates
        tiled = self._to_tiles(gid[:, ys][:, :, xs]).reshape(self.BT, self.P * k)
        srt, perm = tiled.sort(dim=1)
        new = torch.ones_like(srt, dtype=torch.bool)
        new[:, 1:] = srt[:, 1:] != srt[:, :-1]
        rank = new.long().cumsum(1) - 1  # column of each sorted entry among the tile's candidates
        count = rank[:, -1] + 1
        self.K = int(count.max())
        # duplicates write equal values
        cand = srt.new_zeros(self.BT, self.K).scatter_(1, rank, srt)
        pad = torch.arange(self.K, device=dev).view(1, -1) >= count.view(-1, 1)
        self.cand = torch.where(pad, cand[:, :1], cand)  # (BT, K_t)
        self.pos = torch.empty_like(rank).scatter_(1, perm, rank).view(self.BT, self.P, k)
        valid = (torch.arange(self.Hp, device=dev) < H).view(-1,
                                                             1) & (torch.arange(self.Wp,
                                                                                device=dev) < W)
        # (BT, P, 1)
        self.valid = self._to_tiles(valid.view(1, self.Hp, self.Wp, 1).expand(B, -1, -1, 1))

    def _to_tiles(self, t: Tensor) -> Tensor:
        """(B, Hp, Wp, D) -> (BT, P, D)."""
        D = t.size(-1)
        t = t.reshape(self.B, self.nh, self.tile, self.nw, self.tile, D)  # (B, n_h, t, n_w, t, D)
        return t.permute(0, 1, 3, 2, 4, 5).reshape(self.BT, self.P, D)

    def tile_slots(self, t: Tensor) -> Tensor:
        """Per-pixel slots (B, H, W, D) -> (BT, P, D), zero on padding pixels."""
        t = F.pad(t, (0, 0, 0, self.Wp - self.W, 0, self.Hp - self.H))
        return self._to_tiles(t)

    def untile_slots(self, t: Tensor) -> Tensor:
        """(BT, P, D) -> (B, H, W, D)."""
        D = t.size(-1)
        t = t.reshape(self.B, self.nh, self.nw, self.tile, self.tile, D)  # (B, n_h, n_w, t, t, D)
        return t.permute(0, 1, 3, 2, 4, 5).reshape(self.B, self.Hp, self.Wp, D)[:, :self.H, :self.W]

    def tile_map(self, x: Tensor) -> Tensor:
        """Feature map (B, C, H, W) -> (BT, P, C), zero on padding pixels."""
        B, C = x.shape[:2]
        x = F.pad(x, (0, self.Wp - self.W, 0, self.Hp - self.H))
        x = x.reshape(B, C, self.nh, self.tile, self.nw, self.tile)  # (B, C, n_h, t, n_w, t)
        return x.permute(0, 2, 4, 3, 5, 1).reshape(self.BT, self.P, C)

    def untile_map(self, t: Tensor) -> Tensor:
        """(BT, P, C) -> feature map (B, C, H, W)."""
        C = t.size(-1)
        t = t.reshape(self.B, self.nh, self.nw, self.tile, self.tile, C)  # (B, n_h, n_w, t, t, C)
        return t.permute(0, 5, 1, 3, 2, 4).reshape(self.B, C, self.Hp, self.Wp)[:, :, :self.H,
                                                                                :self.W]

    def block(self, w: Tensor) -> Tensor:
        """Tile-block of S: slot weights (BT, P, k) -> (BT, P, K_t)."""
        return w.new_zeros(self.BT, self.P, self.K).scatter_add(2, self.pos, w)

    def column_sums(self, blk: Tensor) -> Tensor:
        r""":math:`\sum_i S_{ij}` for all ``B * M`` groups."""
        return blk.new_zeros(self.B * self.M).index_add(0, self.cand.view(-1), blk.sum(1).view(-1))

    def pool_sum(self, blk: Tensor, x_tiles: Tensor) -> Tensor:
        r""":math:`S^\top X` (B * M, C) from the tile blocks and tiled features."""
        part = torch.bmm(blk.transpose(1, 2), x_tiles)  # (BT, K_t, C)
        C = x_tiles.size(-1)
        return x_tiles.new_zeros(self.B * self.M, C).index_add(0, self.cand.view(-1),
                                                               part.reshape(-1, C))

    def gather_groups(self, z: Tensor) -> Tensor:
        """Group rows (B * M, C) -> each tile's candidates (BT, K_t, C)."""
        return z.index_select(0, self.cand.view(-1)).view(self.BT, self.K, z.size(-1))

    def sq_distances(self, x_tiles: Tensor, x_sq: Tensor, centres: Tensor) -> Tensor:
        r""":math:`\lVert X_i - X^c_j \rVert^2` for each pixel's ``k`` centres: (BT, P, k)."""
        c = self.gather_groups(centres)  # (BT, K_t, C)
        cross = torch.bmm(x_tiles, c.transpose(1, 2))  # (BT, P, K_t)
        d = x_sq.unsqueeze(-1) - 2 * cross + c.pow(2).sum(-1).unsqueeze(1)
        return d.gather(2, self.pos).clamp_min(0)

    def block_entries(self) -> int:
        """Entries of all tile blocks, ``BT * P * K_t`` (the MACs per channel of one product with
        S)."""
        return self.BT * self.P * self.K


# ----------------------------------------------------------------------------- the assignment

class SoftClustering:
    r"""A sparse soft assignment :math:`S` of the pixels of ``B`` maps to ``M`` groups each.

    Row ``(b, y, x)`` of :math:`S` is ``weight[b, y, x, a]`` at group
    ``index[b, y, x, a]`` for the ``k`` slots ``a`` (zero weights are
    padding). Group ``g`` of image ``b`` is node ``b * M + g``, as in
    :func:`~graphseg.graphs.group_adjacency`. Provides HG-Conv's pooling
    :math:`\bar S^\top X` (Eq. 5, column-normalised: the mean over a group),
    unpooling :math:`\tilde S Z` (Eq. 6, row-normalised), group centroids and
    the :class:`~graphseg.graphs.SoftAssignment` for the adjacency, all
    differentiable in ``weight``.

    Args:
        index (LongTensor): group of each slot, in ``[0, M)``.
        weight (Tensor): non-negative weight of each slot.
        num_groups (int): :math:`M`.
        centres (LongTensor, optional): centre pixel of each group, :math:`(B, M)`.
        tile (int, optional): tile side of the products (default
            :func:`default_tile`).

    Shapes:
        - index, weight: :math:`(B, H, W, k)`
    """

    def __init__(self, index: Tensor, weight: Tensor, num_groups: int,
                 centres: Optional[Tensor] = None, tile: Optional[int] = None,
                 _plan: Optional[_TilePlan] = None) -> None:
        if _plan is None:  # public construction (the clustering builds it from checked parts)
            check_ndim(index, 'index', 4, '(B, H, W, k)')
            check_index(index, 'index')
            check_floating(weight, 'weight')
            if weight.shape != index.shape:
                raise ValueError(f"index and weight must have the same shape (B, H, W, k), got "
                                 f"{tuple(index.shape)} and {tuple(weight.shape)}")
            check_int(num_groups, 'num_groups', 1)
            if index.numel() and (int(index.min()) < 0 or int(index.max()) >= num_groups):
                raise ValueError(f"index values must lie in [0, {num_groups - 1}] (num_groups = "
                                 f"{num_groups}), got [{int(index.min())}, {int(index.max())}]")
            check_finite(weight, 'weight')
            if weight.numel() and bool((weight < 0).any()):
                raise ValueError("weight must be >= 0")
        B, H, W, _ = index.shape
        self.index, self.weight, self.num_groups, self.centres = index, weight, num_groups, centres
        if _plan is None:
            tile = default_tile(H, W, num_groups) if tile is None else tile
            _plan = _TilePlan(index, num_groups, tile)
        self._plan = _plan
        self._cache: dict = {}

    @classmethod
    def from_assignment(cls, assignment: Assignment, height: int, width: int,
                        num_groups: Optional[int] = None,
                        tile: Optional[int] = None) -> 'SoftClustering':
        """Wrap a hard ``(B, H, W)`` label map or a soft ``(index, weight)`` pair (as
        :func:`~graphseg.graphs.group_adjacency` accepts them)."""
        index, weight = _as_pairs(assignment, height, width)
        if weight is None:
            weight = torch.ones(index.shape, device=index.device)
        if index.numel() and int(index.min()) < 0:
            raise ValueError(f"assignment group ids must be >= 0, got {int(index.min())}")
        max_id = int(index.max()) if index.numel() else -1
        num_groups = max_id + 1 if num_groups is None else num_groups
        if num_groups <= max_id:
            raise ValueError(f"num_groups must exceed the largest group id {max_id}, got "
                             f"{num_groups}")
        if bool((weight.sum(-1) <= 0).any()):
            raise ValueError("every pixel needs a positive total assignment weight; got a pixel "
                             "whose weights are all zero")
        return cls(index, weight, num_groups, tile=tile)

    # -- sizes
    @property
    def batch_size(self) -> int:
        return self.index.size(0)

    @property
    def height(self) -> int:
        return self.index.size(1)

    @property
    def width(self) -> int:
        return self.index.size(2)

    @property
    def tile(self) -> int:
        return self._plan.tile

    def block_entries(self) -> int:
        """Entries of the tile blocks of :math:`S` (MACs per channel of one pooling or
        unpooling)."""
        return self._plan.block_entries()

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(batch={self.batch_size}, size=({self.height}, '
                f'{self.width}), '
                f'groups={self.num_groups}, k={self.index.size(-1)}, tile={self.tile}, '
                f'candidates_per_tile={self._plan.K})')

    # -- cached blocks
    def _block(self, dtype: Optional[torch.dtype] = None) -> Tensor:
        if 'block' not in self._cache:
            self._cache['block'] = self._plan.block(self._plan.tile_slots(self.weight))
        blk = self._cache['block']
        # e.g. hard labels, float64 x
        return blk if dtype is None or blk.dtype == dtype else blk.to(dtype)

    def _tiles(self, x: Tensor) -> Tensor:
        cached = self._cache.get('x')
        if cached is not None and cached[0] is x:
            return cached[1]
        return self._plan.tile_map(x)

    def _check_map(self, x: Tensor, name: str) -> None:
        check_ndim(x, name, 4, '(B, C, H, W)')
        check_floating(x, name)
        B, H, W = self.batch_size, self.height, self.width
        if x.size(0) != B or tuple(x.shape[2:]) != (H, W):
            raise ValueError(f"{name} must have shape (B, C, H, W) with (B, H, W) = ({B}, {H}, "
                             f"{W}), got {tuple(x.shape)}")

    # -- products with S
    def sizes(self) -> Tensor:
        r"""Column sums :math:`\sum_i S_{ij}` (soft pixel count of each group), :math:`(B M,)`."""
        return self._plan.column_sums(self._block())

    def pool(self, x: Tensor) -> Tensor:
        r"""Mean pooling :math:`\bar S^\top X` (Eq. 5): column-normalised :math:`S`; empty groups
        get 0.

        Shapes:
            - **input:** :math:`(B, C, H, W)`
            - **output:** :math:`(B M, C)`
        """
        self._check_map(x, 'x')
        if autocast_enabled(x):  # the group means accumulate in float32 under autocast
            with full_precision(x):
                return self.pool(upcast(x))
        blk = self._block(x.dtype)
        total = self._plan.pool_sum(blk, self._tiles(x))
        return total / self._plan.column_sums(blk).clamp_min(NORM_EPS).unsqueeze(-1)

    def unpool(self, z: Tensor) -> Tensor:
        r"""Unpooling :math:`\tilde S Z` (Eq. 6): row-normalised :math:`S`.

        Shapes:
            - **input:** :math:`(B M, C)`
            - **output:** :math:`(B, C, H, W)`
        """
        check_ndim(z, 'z', 2, '(B * M, C)')
        n = self.batch_size * self.num_groups
        if z.size(0) != n:
            raise ValueError(f"z must have B * M = {n} rows, got shape {tuple(z.shape)}")
        if autocast_enabled(z):  # the row normalisation and products in float32 under autocast
            with full_precision(z):
                return self.unpool(upcast(z))
        blk = self._block(z.dtype)
        blk = blk / blk.sum(-1, keepdim=True).clamp_min(NORM_EPS)  # (BT, P, K_t) row-normalised
        out = torch.bmm(blk, self._plan.gather_groups(z))  # (BT, P, C)
        return self._plan.untile_map(out)

    def centroids(self) -> Tensor:
        r"""Group centroids :math:`\bar S^\top p` as ``(x, y)`` pixel coordinates,
        :math:`(B M, 2)`."""
        H, W = self.height, self.width
        ys, xs = torch.meshgrid(torch.arange(H, device=self.index.device, dtype=self.weight.dtype),
                                torch.arange(W, device=self.index.device, dtype=self.weight.dtype),
                                indexing='ij')
        coords = torch.stack([xs, ys]).unsqueeze(0).expand(self.batch_size, 2, H, W)
        return self.pool(coords)

    def labels(self) -> Tensor:
        """Hard labels: each pixel's group of largest weight, :math:`(B, H, W)`."""
        best = self.weight.argmax(-1, keepdim=True)
        return self.index.gather(-1, best).squeeze(-1)

    def dense(self) -> Tensor:
        """The dense :math:`S` of shape :math:`(B, HW, M)` (small inputs only: tests, figures)."""
        B, H, W, k = self.index.shape
        out = self.weight.new_zeros(B, H * W, self.num_groups)
        return out.scatter_add(2, self.index.reshape(B, H * W, k), self.weight.reshape(B, H * W, k))

    @property
    def assignment(self) -> SoftAssignment:
        """The :class:`~graphseg.graphs.SoftAssignment` with only the slots some pixel uses."""
        if 'assignment' not in self._cache:
            w, order = self.weight.sort(-1, descending=True)
            used = max(1, int((self.weight > 0).sum(-1).max()))
            self._cache['assignment'] = SoftAssignment(self.index.gather(-1, order[..., :used]),
                                                       w[..., :used])
        return self._cache['assignment']


# ----------------------------------------------------------------------------- differentiable SLIC

def _filtered_softmin(d: Tensor, min_weight: float) -> Tensor:
    r""":math:`S = \exp(-d)`, entries below ``min_weight`` dropped, rows normalised (Algorithm 1).

    Computed as :math:`\exp(-(d - d_{min}))`, which the row normalisation makes
    identical; each row's nearest centre is kept even when :math:`\exp(-d_{min})`
    falls below ``min_weight`` (Algorithm 1 would leave an empty row).
    """
    d_min = d.detach().min(-1, keepdim=True).values
    keep = d.detach() == d_min
    if min_weight > 0:
        keep |= d.detach() <= -math.log(min_weight)
    else:
        keep = torch.ones_like(keep)
    e = torch.exp(-(d - d_min)) * keep
    return e / e.sum(-1, keepdim=True)


def differentiable_slic(x: Tensor, centres: Tensor, iters: int = 3, num_nearest: int = 9,
                        min_weight: float = 1e-3, tile: Optional[int] = None) -> SoftClustering:
    r"""Differentiable SLIC (HG-Conv, Algorithm 1 of the supplement), sparse in :math:`S`.

    Starting from the nearest-centre (Voronoi) assignment, ``iters`` rounds of

    .. math::
        \bar S = S\, \mathrm{diag}(\mathbf 1^\top S)^{-1}, \quad
        X^c = \bar S^\top X, \quad
        S_{ij} = \exp(-\lVert X_i - X^c_j \rVert^2), \quad
        S_{ij} \leftarrow 0 \text{ if } S_{ij} < 10^{-3}, \quad
        S \leftarrow \mathrm{diag}(S \mathbf 1)^{-1} S

    with :math:`j` restricted to the ``num_nearest`` centres spatially nearest
    to pixel :math:`i`. Differentiable in ``x`` (the centres are indices).

    Args:
        x (Tensor): feature map the distances are measured on.
        centres (LongTensor): centre pixel ids per image (:func:`sample_centres`).
        iters (int): rounds of the update. (default: ``3``)
        num_nearest (int): :math:`k` centres per pixel. (default: ``9``)
        min_weight (float): the filter threshold. (default: ``1e-3``)
        tile (int, optional): tile side of the products (default :func:`default_tile`).

    Shapes:
        - **input:** x :math:`(B, C, H, W)`, centres :math:`(B, M)`
        - **output:** :class:`SoftClustering` with index / weight :math:`(B, H, W, \min(k, M))`
    """
    check_ndim(x, 'x', 4, '(B, C, H, W)')
    check_floating(x, 'x')
    check_ndim(centres, 'centres', 2, '(B, M)')
    check_index(centres, 'centres')
    B, C, H, W = x.shape
    if centres.size(0) != B:
        raise ValueError(f"centres must have shape (B, M) with B = {B}, got {tuple(centres.shape)}")
    M = centres.size(1)
    if M < 1:
        raise ValueError("centres must hold at least one centre per image, got M = 0")
    if M > H * W:
        raise ValueError(f"{M} groups need at least as many pixels, but x has only {H}x{W} = "
                         f"{H * W} pixels (fewer pixels than groups)")
    if centres.numel() and (int(centres.min()) < 0 or int(centres.max()) >= H * W):
        raise ValueError(f"centres must be pixel ids in [0, {H * W - 1}], got "
                         f"[{int(centres.min())}, {int(centres.max())}]")
    check_int(iters, 'iters', 0)
    check_int(num_nearest, 'num_nearest', 1)
    if not isinstance(min_weight, (int, float)) or not 0 <= min_weight < 1:
        raise ValueError(f"min_weight must be a number in [0, 1), got {min_weight!r}")
    check_finite(x, 'x')

    k = min(num_nearest, M)
    index = nearest_centres(centres, H, W, k)  # (B, H, W, k), slot 0 = nearest
    plan = _TilePlan(index, M, default_tile(H, W, M) if tile is None else tile)
    x_tiles = plan.tile_map(x)  # (BT, P, C)
    x_sq = torch.linalg.vector_norm(x_tiles, dim=-1).square()  # (BT, P) squared norms
    w = torch.zeros(plan.BT, plan.P, k, device=x.device, dtype=x.dtype)
    w[..., 0] = 1  # initial nearest-centre assignment
    w = w * plan.valid
    for _ in range(iters):
        blk = plan.block(w)  # (BT, P, K_t)
        xc = plan.pool_sum(blk, x_tiles) / plan.column_sums(blk).clamp_min(NORM_EPS).unsqueeze(-1)
        d = plan.sq_distances(x_tiles, x_sq, xc)  # (BT, P, k)
        w = _filtered_softmin(d, min_weight) * plan.valid
    out = SoftClustering(index, plan.untile_slots(w), M, centres, _plan=plan)
    out._cache['x'] = (x, x_tiles)
    out._cache['block'] = plan.block(w)
    return out


class DifferentiableSLIC(nn.Module):
    r"""Differentiable SLIC of HG-Conv (Algorithm 1 of the supplement) as a module.

    See :func:`differentiable_slic`.

    Args:
        iters (int): rounds of the update. (default: ``3``)
        num_nearest (int): centres per pixel :math:`k`. (default: ``9``)
        min_weight (float): filter threshold. (default: ``1e-3``)
        tile (int, optional): tile side of the products. (default: the group spacing)

    Shapes:
        - **input:** x :math:`(B, C, H, W)`, centres :math:`(B, M)`
        - **output:** :class:`SoftClustering`
    """

    def __init__(self, iters: int = 3, num_nearest: int = 9, min_weight: float = 1e-3,
                 tile: Optional[int] = None) -> None:
        super().__init__()
        self.iters, self.num_nearest, self.min_weight = iters, num_nearest, min_weight
        self.tile = tile

    def forward(self, x: Tensor, centres: Tensor) -> SoftClustering:
        return differentiable_slic(x, centres, self.iters, self.num_nearest, self.min_weight,
                                   self.tile)

    def extra_repr(self) -> str:
        return f'iters={self.iters}, num_nearest={self.num_nearest}, min_weight={self.min_weight}'


__all__ = ['importance_map', 'sample_centres', 'sample_centres_per_image', 'nearest_centres',
           'differentiable_slic', 'DifferentiableSLIC', 'SoftClustering', 'default_tile',
           'SAMPLING']
