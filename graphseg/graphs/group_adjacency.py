r"""Direction-typed group adjacency :math:`\hat A^\delta = S^\top A^\delta S` (HG-Conv, Eq. 4 and
Appendix B).

Given an assignment :math:`S` of pixels to groups (superpixels, clusters),
:math:`\hat A^\delta_{ij} = \sum_{p, q:\ q = p + \delta} S_{pi} S_{qj}`: for a hard
assignment, the number of pixel pairs with ``p`` in group ``i`` and its
neighbour ``q = p + delta`` in group ``j``. Following the paper's Appendix B the
raw counts are then cleaned up:

1. weights below ``min_weight`` are dropped;
2. noise canceling (Eq. 7)
   :math:`\hat A^\delta \leftarrow \max(0, \hat A^\delta - \hat A^{\bar\delta})`: if group ``j``
   borders group ``i`` both above and below, only the dominant side survives (before canceling
   :math:`\hat A^\delta = (\hat A^{\bar\delta})^\top`);
3. max-direction: each pair of groups keeps only its strongest direction, mirrored: the edge
   ``j -> i`` of type ``k`` and ``i -> j`` of type ``8 - k`` are kept or dropped together (ties
   go to the lowest direction index as seen from the lower node id, ``j -> i`` with ``i < j``);
4. the self direction is the identity and every other direction has a zero diagonal.

Everything is gather / sort / scatter over the :math:`O(N_{pix} k^2)` pixel
pairs; no :math:`N_{pix} \times N_{pix}` matrix and no dense ``(9, G, G)`` tensor.
"""
from __future__ import annotations

from typing import NamedTuple, Optional, Tuple, Union

import torch
from torch import Tensor

from ..check import (check_finite, check_floating, check_index, check_number, check_same_device,
                     check_size, check_tensor)
from ..ops.scatter import scatter
from ..directions import CENTER, DIRECTIONS, NUM_DIRECTIONS


class SoftAssignment(NamedTuple):
    r"""A sparse soft pixel-to-group assignment: each pixel's ``k`` groups and weights.

    Row ``p`` of the dense :math:`S \in \mathbb{R}^{N_{pix} \times G}` is
    ``S[p, index[..., p, a]] = weight[..., p, a]`` for ``a < k``; repeated ids
    add up, zero weights are padding.

    Shapes:
        - index: :math:`(H, W, k)` or :math:`(B, H, W, k)`, long
        - weight: same shape, floating
    """
    index: Tensor
    weight: Tensor


Assignment = Union[Tensor, SoftAssignment, Tuple[Tensor, Tensor]]


def _as_pairs(assignment: Assignment, height: int, width: int) -> Tuple[Tensor, Optional[Tensor]]:
    """Validate ``assignment``; return ``(index (B, H, W, k), weight (B, H, W, k) or None)``."""
    if isinstance(assignment, tuple):
        if len(assignment) != 2:
            raise ValueError("a soft assignment must be a pair (index, weight), got "
                             f"{len(assignment)} items")
        index, weight = assignment
        check_tensor(index, 'assignment.index')
        check_tensor(weight, 'assignment.weight')
        check_index(index, 'assignment.index')
        check_floating(weight, 'assignment.weight')
        check_same_device('assignment.index', index, 'assignment.weight', weight)
        if index.shape != weight.shape:
            raise ValueError("assignment.index and assignment.weight must have the same shape, got "
                             f"{tuple(index.shape)} and {tuple(weight.shape)}")
        if index.dim() not in (3, 4) or tuple(index.shape[-3:-1]) != (height, width):
            raise ValueError(f"soft assignment must have shape (H, W, k) or (B, H, W, k) with "
                             f"(H, W) = ({height}, {width}), got {tuple(index.shape)}")
        check_finite(weight, 'assignment.weight')
        if weight.numel() and bool((weight < 0).any()):
            raise ValueError("assignment.weight must be >= 0")
        if index.dim() == 3:
            index, weight = index.unsqueeze(0), weight.unsqueeze(0)
        return index.long(), weight
    check_tensor(assignment, 'assignment')
    if assignment.is_floating_point():
        raise TypeError("a hard assignment must be a long tensor of group ids, got "
                        f"{assignment.dtype}; pass a soft assignment as (index, weight)")
    check_index(assignment, 'assignment')
    if assignment.dim() not in (2, 3) or tuple(assignment.shape[-2:]) != (height, width):
        raise ValueError(f"assignment must have shape (H, W) or (B, H, W) with (H, W) = "
                         f"({height}, {width}), got {tuple(assignment.shape)}")
    if assignment.dim() == 2:
        assignment = assignment.unsqueeze(0)
    return assignment.long().unsqueeze(-1), None


#: The 4 "forward" directions (0, +1), (+1, -1), (+1, 0), (+1, +1); the other 4 are their mirrors.
_FORWARD = tuple(k for k in range(NUM_DIRECTIONS) if k > CENTER)


def _forward_pairs(index: Tensor, weight: Optional[Tensor], stride: int):
    r"""Pixel pairs ``(p, q = p + delta)`` with different groups, for the 4 forward directions.

    Only half the directions are needed: before canceling
    :math:`\hat A^{\bar\delta} = (\hat A^{\delta})^\top` (for soft assignments too), so the
    other half is the mirror image. ``index``: (B, H, W, k) group ids per image.
    Returns flat ``dst`` (group of p), ``src`` (group of q), ``etype`` and ``w``
    (``None`` for a hard assignment).
    """
    B, H, W, k = index.shape
    gid = index + (torch.arange(B, device=index.device) * stride).view(B, 1, 1, 1)
    dsts, srcs, types, ws = [], [], [], []
    for t in _FORWARD:  # construction only: 4 aligned slices, not a per-type kernel loop
        dy, dx = DIRECTIONS[t]
        # k == 1: q = p + off in the flat map; compare the two contiguous shifted copies
        if weight is None:
            flat = gid.view(-1)
            off = dy * W + dx
            n = max(flat.numel() - off, 0)
            differ = torch.zeros(B, H, W, dtype=torch.bool, device=flat.device)
            torch.ne(flat[:n], flat[off:off + n], out=differ.view(-1)[:n])  # p = i, q = i + off
            # drop the pairs that wrap around: q in another row (x + dx outside) or in the next
            # image
            if dx:
                differ[:, :, W - 1 if dx > 0 else 0] = False
            if dy:
                differ[:, H - 1] = False
            # p's pixel in the (B, H, W) map, raster order
            lin = differ.view(-1).nonzero().squeeze(1)
            dsts.append(flat.index_select(0, lin))
            srcs.append(flat.index_select(0, lin + off))
        else:
            ys_p, ys_q = slice(0, H - dy), slice(dy, H)
            xs_p, xs_q = slice(max(0, -dx), W - max(0, dx)), slice(max(0, dx), W - max(0, -dx))
            p, q = gid[:, ys_p, xs_p], gid[:, ys_q, xs_q]  # (B, h, w, k) each
            i = p.unsqueeze(-1).expand(*p.shape, k).reshape(-1)  # group of p (a) x group of q (b)
            j = q.unsqueeze(-2).expand(*q.shape[:-1], k, k).reshape(-1)
            w = (weight[:, ys_p, xs_p].unsqueeze(-1) * weight[:, ys_q, xs_q].unsqueeze(-2)).reshape(
                -1
            )
            where = ((i != j) & (w > 0)).nonzero().squeeze(1)  # off-diagonal, non-zero S_pi S_qj
            dsts.append(i[where])
            srcs.append(j[where])
            ws.append(w[where])
        types.append(torch.full_like(srcs[-1], t))
    cat = torch.cat
    return cat(dsts), cat(srcs), cat(types), (cat(ws) if weight is not None else None)


def group_adjacency(assignment: Assignment, height: int, width: int, *,
                    num_groups: Optional[int] = None, noise_cancel: bool = True,
                    max_direction: bool = True, min_weight: float = 1e-7, self_loops: bool = True,
                    per_length: bool = False) -> Tuple[Tensor, Tensor, Tensor]:
    r"""Direction-typed group adjacency :math:`\hat A^\delta = S^\top A^\delta S` (Eq. 4) with
    Appendix B clean-up.

    An edge ``j -> i`` of type ``k`` with weight ``w`` means
    :math:`\hat A^{\delta_k}_{ij} = w`: ``w`` pixel pairs ``(p, q)`` with ``p`` in
    group ``i`` and ``q = p + DIRECTIONS[k]`` in group ``j`` (weighted by
    :math:`S_{pi} S_{qj}` for a soft assignment), after noise canceling (Eq. 7)
    and max-direction selection. The self direction ``k = 4`` is the identity.
    On the identity assignment (every pixel its own group) the result is
    :func:`~graphseg.graphs.grid_graph` with unit weights.

    Nodes of image ``b`` are numbered ``b * num_groups + g``. Output edges are
    sorted by (target, source, type). The weights are differentiable functions
    of a soft assignment's weights.

    Args:
        assignment: a hard assignment, long tensor of group ids of shape
            :math:`(H, W)` or :math:`(B, H, W)`; or a sparse soft one,
            :class:`SoftAssignment` / ``(index, weight)`` of shape
            :math:`(H, W, k)` or :math:`(B, H, W, k)`.
        height (int): :math:`H`.
        width (int): :math:`W`.
        num_groups (int, optional): groups per image :math:`G`; default the
            largest id + 1.
        noise_cancel (bool): apply Eq. 7. (default: ``True``)
        max_direction (bool): keep only the strongest direction per pair of
            groups, mirrored (``opposite(k) == 8 - k`` for the reverse edge).
            (default: ``True``)
        min_weight (float): drop weights below this. (default: ``1e-7``)
        self_loops (bool): add the identity in the self direction. (default: ``True``)
        per_length (bool): max-direction compares the counts per unit of offset length,
            :math:`\hat A^\delta_{ij} / \lVert\delta\rVert` (1 for the 4 straight offsets,
            :math:`\sqrt 2` for the diagonals), instead of the raw counts; the kept edge keeps
            its raw weight. Across a boundary with unit normal :math:`n` the pair counts grow
            like :math:`n \cdot \delta`, so raw counts let a diagonal win every boundary that is
            not exactly axis-aligned (a boundary 18 degrees off vertical: 14 diagonal vs 12
            straight pairs) and starve the straight directions' weights; per unit length the
            direction closest to the normal wins (straight within 22.5 degrees of an axis).
            Not in the paper. (default: ``False``)

    Returns:
        ``(edge_index, edge_type, edge_weight)`` of shapes :math:`(2, E)`,
        :math:`(E,)`, :math:`(E,)`; the graph has :math:`B \cdot G` nodes.
    """
    check_size(height, width)
    check_number(min_weight, 'min_weight', 0.)
    if num_groups is not None and (isinstance(num_groups, bool) or not isinstance(num_groups, int)):
        raise TypeError(f"num_groups must be an int, got {type(num_groups).__name__}")
    index, weight = _as_pairs(assignment, height, width)
    if index.numel() and int(index.min()) < 0:
        raise ValueError(f"assignment group ids must be >= 0, got {int(index.min())}")
    max_id = int(index.max()) if index.numel() else -1
    if num_groups is None:
        num_groups = max_id + 1
    elif num_groups <= max_id:
        raise ValueError(f"num_groups must exceed the largest group id {max_id}, got {num_groups}")
    if num_groups < 1:
        raise ValueError("assignment is empty: it holds no group (num_groups = 0)")
    B = index.size(0)
    n = B * num_groups
    T = NUM_DIRECTIONS
    device = index.device
    wdtype = weight.dtype if weight is not None else torch.get_default_dtype()

    # --- Eq. 4 for the forward directions, coalesced by key (i, j, k) = (target, source, type);
    # int32 keys sort faster and suffice while n^2 * 9 fits
    dst, src, etype, w = _forward_pairs(index, weight, num_groups)
    key_dtype = torch.int32 if n * n * T < 2 ** 31 else torch.long
    key = ((dst * n + src) * T + etype).to(key_dtype)
    if weight is None:
        key, count = torch.unique(key, sorted=True, return_counts=True)
        w = count.to(wdtype)
    else:
        key, inverse = torch.unique(key, sorted=True, return_inverse=True)
        w = scatter(w, inverse, 0, key.numel(), reduce='sum')
    if min_weight > 0:
        keep = w >= min_weight
        key, w = key[keep], w[keep]
    i, j, k = key // (n * T), (key // T) % n, key % T

    # --- Eq. 7 noise canceling A^d_ij <- max(0, A^d_ij - A^dbar_ij), with A^dbar_ij = A^d_ji
    if noise_cancel and key.numel():
        rev = (j * n + i) * T + k
        pos = torch.searchsorted(key, rev).clamp_(max=key.numel() - 1)
        w_rev = torch.where(key[pos] == rev, w[pos], torch.zeros_like(w))
        w = torch.relu(w - w_rev)
        keep = w >= max(min_weight, torch.finfo(w.dtype).tiny)  # drops the canceled zeros
        w, i, j, k = w[keep], i[keep], j[keep], k[keep]

    # --- the backward directions A^dbar_ji = A^d_ij (canceling commutes with the mirror), and
    # the self direction = identity (every other direction has a zero diagonal by construction)
    parts_key = [(i * n + j) * T + k, (j * n + i) * T + (T - 1 - k)]
    parts_w = [w, w]
    if self_loops:
        node = torch.arange(n, device=device, dtype=key.dtype)
        parts_key.append((node * n + node) * T + CENTER)
        parts_w.append(torch.ones(n, dtype=w.dtype, device=device))
    key, order = torch.sort(torch.cat(parts_key))
    w = torch.cat(parts_w)[order]

    # --- max-direction: one type per unordered pair {i, j}, mirrored. Pairs (i, j) are contiguous
    # runs of the sorted keys; the run of (j, i) holds the mirrored types 8 - k with the very same
    # weights, so both runs see the same maximum. Ties go to the lowest type of the run when
    # i < j and to the highest when i > j (its mirror): each unordered pair is decided once.
    if max_direction and key.numel():
        pair = key // T
        seg = torch.cat([pair.new_zeros(1), (pair[1:] != pair[:-1]).to(pair.dtype)]).cumsum(0)
        n_seg = int(seg[-1]) + 1
        score = w.detach()
        if per_length:  # counts per unit of offset length: the diagonals' divided by sqrt(2)
            length = torch.tensor([float(abs(dy) + abs(dx)) ** 0.5 or 1. for dy, dx in DIRECTIONS],
                                  device=device, dtype=score.dtype)
            score = score / length[key % T]
        w_max = scatter(score, seg, 0, n_seg, reduce='max')
        cand = score == w_max[seg]
        pos = torch.arange(1, key.numel() + 1, device=device)
        lower = pair // n * (n + 1) < pair  # i < j, as i n + j > i (n + 1): one division
        rank = torch.where(lower, pos, -pos)  # the min rank is the first / last of the run
        best = scatter(torch.where(cand, rank, torch.full_like(rank, key.numel() + 1)), seg, 0,
                       n_seg, reduce='min')
        keep = rank == best[seg]
        key, w = key[keep], w[keep]

    key = key.long()
    i, j, k = key // (n * T), (key // T) % n, key % T
    return torch.stack([j, i], dim=0), k, w


__all__ = ['group_adjacency', 'SoftAssignment', 'Assignment']
