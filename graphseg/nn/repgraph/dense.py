r"""Attention over representative nodes, dense path: gather + bilinear weights, chunked.

RepGraph (Yu et al., ECCV 2020, Eq. 6-8): query :math:`i` attends to the
:math:`S` representative nodes sampled for it,

.. math::
    \tilde y_i = \sum_{n=1}^{S} \operatorname{softmax}_n\!\big(x_\theta(i)^\top s_\phi(n)\big)\, s_g(n),
    \qquad s(n) = \sum_{k=1}^{4} G(t_{nk}, p_n)\, x(t_{nk}),

where :math:`t_{nk}` are the 4 integer neighbours of the sampled position
:math:`p_n` and :math:`G` the bilinear kernel (Eq. 8, see
:func:`graphseg.graphs.bilinear_neighbors`). The key and value maps are
projected *before* sampling (:math:`\phi` and :math:`g` are 1x1 convolutions,
which commute with interpolation), so each sample is a weighted sum of 4 rows.

Implementation: ``F.embedding_bag(mode='sum', per_sample_weights=G)`` gathers
and weights the 4 rows of every sample in one fused op (no :math:`4\times`
intermediate) -- once for keys and values side by side, or once in all when
they are the same map (the Bottleneck) -- and two batched matmuls give the
logits and the output. Queries are
processed in chunks and, when gradients are needed, each chunk is
re-computed in the backward pass (:func:`torch.utils.checkpoint`), so memory is
:math:`O(N S)` scalars plus one chunk of :math:`S C` features, never
:math:`O(N S C)`. The graph path (:class:`graphseg.nn.RepGraphConv`) computes
the same by message passing over :func:`graphseg.graphs.representative_graph`.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from ...check import check_floating, check_index, check_ndim

#: Sampled feature values (anchors x S x C) per chunk when gradients are recorded: each chunk is
#: recomputed in the backward pass, where its gradient is materialised too.
CHUNK_ELEMENTS = 1 << 21
#: The same without autograd (inference), where fewer, larger chunks are faster.
CHUNK_ELEMENTS_NO_GRAD = 1 << 23


def _attend(query: Tensor, table: Tensor, index: Tensor, weight: Tensor, split: int) -> Tensor:
    """One chunk: query (n, M, C), table (R, C or 2C) = key | value, index/weight (n, S, 4) -> (n, M, C)."""
    n, S, _ = index.shape
    sampled = F.embedding_bag(index.reshape(n * S, 4), table, per_sample_weights=weight.reshape(n * S, 4),
                              mode='sum').view(n, S, -1)  # (n, S, C or 2C) Eq. 7-8
    s_phi, s_g = (sampled, sampled) if split == 0 else (sampled[..., :split], sampled[..., split:])
    if query.size(1) == 1 and torch.is_grad_enabled():
        # one query per anchor, with autograd: elementwise products, whose backward is ~2x cheaper on CPU
        # than bmm's (a loop over the batch with a copy per item for these 1 x C by C x S products)
        attn = (s_phi * query).sum(dim=-1, keepdim=True).softmax(dim=1)  # (n, S, 1) Eq. 6
        return (attn * s_g).sum(dim=1, keepdim=True)  # (n, 1, C)
    attn = torch.bmm(s_phi, query.transpose(1, 2)).softmax(dim=1)  # (n, S, M) Eq. 6, softmax over the samples
    return torch.bmm(attn.transpose(1, 2), s_g)  # (n, M, C)


def representative_attention(query: Tensor, key: Tensor, value: Tensor, index: Tensor, weight: Tensor, *,
                             chunk_size: Optional[int] = None, recompute: bool = True) -> Tensor:
    r"""RepGraph attention (Eq. 6) of queries over their bilinearly sampled representative nodes.

    ``M`` queries may share one anchor's samples (Grid RepGraph: the
    :math:`g^2` pixels of a cell; ``M = 1`` otherwise).

    Args:
        query (Tensor): :math:`x_\theta` of the queries, grouped by anchor.
        key (Tensor): :math:`x_\phi` of all lattice pixels, one row per pixel
            (channels last; rows of all images stacked).
        value (Tensor): :math:`x_g`, same layout as ``key``.
        index (LongTensor): rows of ``key`` / ``value`` of the 4 integer
            neighbours of each sample (from :func:`graphseg.graphs.bilinear_neighbors`
            plus each image's row offset).
        weight (Tensor): bilinear weights :math:`G(t, p_n)` (0 outside the image).
        chunk_size (int, optional): anchors per chunk; default such that a chunk
            holds about ``2**21`` sampled feature values (``2**23`` without autograd).
        recompute (bool): re-compute each chunk in the backward pass instead of
            storing its sampled features. (default: ``True``)

    Shapes:
        - **input:** query :math:`(A, M, C)`, key / value :math:`(R, C)`,
          index / weight :math:`(A, S, 4)`
        - **output:** :math:`(A, M, C)`
    """
    check_ndim(query, 'query', 3, '(A, M, C)')
    check_ndim(key, 'key', 2, '(R, C)')
    check_ndim(index, 'index', 3, '(A, S, 4)')
    for t, name in ((query, 'query'), (key, 'key'), (value, 'value'), (weight, 'weight')):
        check_floating(t, name)
    check_index(index, 'index')
    A, M, C = query.shape
    if key.size(1) != C or value.shape != key.shape:
        raise ValueError(f"key and value must have shape (R, C) with C = query.size(2) = {C}, "
                         f"got {tuple(key.shape)} and {tuple(value.shape)}")
    if index.size(0) != A or index.size(2) != 4 or weight.shape != index.shape:
        raise ValueError(f"index and weight must have shape (A, S, 4) with A = query.size(0) = {A}, "
                         f"got {tuple(index.shape)} and {tuple(weight.shape)}")
    if A == 0:
        return query.new_zeros(0, M, C)
    S = index.size(1)
    grad = torch.is_grad_enabled() and any(t.requires_grad for t in (query, key, value, weight))
    if chunk_size is None:
        chunk_size = max(1, (CHUNK_ELEMENTS if grad else CHUNK_ELEMENTS_NO_GRAD) // max(1, S * C))
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
    chunk_size = min(chunk_size, A)
    # one gather for keys and values: the same table when x_phi is x_g (Bottleneck), else side by side
    table, split = (key.contiguous(), 0) if value is key else (torch.cat([key, value], dim=1), C)
    query = query.contiguous()  # plain (A, M, C) strides: bmm's fast path (a transposed table would
    # make the gather read one cache line per value, ~10x slower)
    outs = []
    try:
        for start in range(0, A, chunk_size):
            part = slice(start, start + chunk_size)
            args = (query[part], table, index[part], weight[part], split)
            if grad and recompute:
                outs.append(checkpoint(_attend, *args, use_reentrant=False))
            else:
                outs.append(_attend(*args))
    except (IndexError, RuntimeError) as e:  # no check on the hot path: name the argument once torch complains
        if index.numel() and (int(index.min()) < 0 or int(index.max()) >= key.size(0)):
            raise ValueError(f"index values must lie in [0, {key.size(0) - 1}] (rows of key / value), got "
                             f"[{int(index.min())}, {int(index.max())}]") from e
        raise
    return torch.cat(outs) if len(outs) > 1 else outs[0]


__all__ = ['representative_attention']
