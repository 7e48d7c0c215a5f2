r"""Attention over representative nodes, dense path: gather + bilinear weights, chunked.

RepGraph (Yu et al., ECCV 2020, Eq. 6-8): query :math:`i` attends to the
:math:`S` representative nodes sampled for it,

.. math::
    \tilde y_i = \sum_{n=1}^{S}
    \operatorname{softmax}_n\!\big(x_\theta(i)^\top s_\phi(n)\big)\, s_g(n),
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
processed in chunks and, when gradients are needed, each chunk is one
autograd function with a hand-written backward (:class:`_RecomputedAttention`):
it keeps only the attention weights and re-gathers the samples in the backward
pass, and computes the gradients with batched matmuls (for the Bottleneck, the
gradient of the shared key/value samples is one ``bmm``), so memory is
:math:`O(N S)` scalars plus one chunk of :math:`S C` features, never
:math:`O(N S C)`. The graph path (:class:`graphseg.nn.RepGraphConv`) computes
the same by message passing over :func:`graphseg.graphs.representative_graph`.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from ...check import check_floating, check_index, check_ndim

#: Sampled feature values (anchors x S x C) per chunk when gradients are recorded: each chunk is
#: recomputed in the backward pass, where its gradient is materialised too.
CHUNK_ELEMENTS = 1 << 21
#: The same without autograd (inference), where fewer, larger chunks are faster.
CHUNK_ELEMENTS_NO_GRAD = 1 << 23


def _sample(table: Tensor, index: Tensor, weight: Tensor) -> Tensor:
    """Eq. 7-8: the bilinear samples ``(n, S, C or 2C)`` of one chunk, one fused gather."""
    n, S, _ = index.shape
    return F.embedding_bag(index.reshape(n * S, 4), table,
                           per_sample_weights=weight.reshape(n * S, 4), mode='sum').view(n, S, -1)


def _attend(query: Tensor, table: Tensor, index: Tensor, weight: Tensor, split: int) -> Tensor:
    """One chunk: query (n, M, C), table (R, C or 2C) = key | value, index/weight (n, S, 4) -> (n,
    M, C)."""
    sampled = _sample(table, index, weight)  # (n, S, C or 2C) Eq. 7-8
    s_phi, s_g = (sampled, sampled) if split == 0 else (sampled[..., :split], sampled[..., split:])
    if query.size(1) == 1 and torch.is_grad_enabled():
        # one query per anchor, with autograd: elementwise products, whose backward is ~2x cheaper
        # on CPU than bmm's (a loop over the batch with a copy per item for these 1 x C by C x S
        # products)
        attn = (s_phi * query).sum(dim=-1, keepdim=True).softmax(dim=1)  # (n, S, 1) Eq. 6
        return (attn * s_g).sum(dim=1, keepdim=True)  # (n, 1, C)
    # (n, S, M) Eq. 6, softmax over the samples
    attn = torch.bmm(s_phi, query.transpose(1, 2)).softmax(dim=1)
    return torch.bmm(attn.transpose(1, 2), s_g)  # (n, M, C)


class _RecomputedAttention(torch.autograd.Function):
    """One chunk of :func:`_attend` that saves only the attention weights and re-gathers the samples
    in backward.

    Gradients by hand with batched matmuls; the gather's own backward (a scatter into the key/value
    table and the bilinear-weight gradients) through autograd eagerly, by ``index_add_`` under
    ``torch.compile``.
    """

    @staticmethod
    def forward(ctx, query: Tensor, table: Tensor, index: Tensor, weight: Tensor,
                split: int) -> Tensor:
        sampled = _sample(table, index, weight)
        s_phi, s_g = (sampled, sampled) if split == 0 else (sampled[..., :split],
                                                            sampled[..., split:])
        attn = torch.bmm(s_phi, query.transpose(1, 2)).softmax(dim=1)  # (n, S, M) Eq. 6
        ctx.save_for_backward(query, table, index, weight, attn)
        ctx.split = split
        return torch.bmm(attn.transpose(1, 2), s_g)  # (n, M, C)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        query, table, index, weight, attn = ctx.saved_tensors
        split = ctx.split
        # a strided gradient sends bmm into a per-item loop with copies
        grad_out = grad_out.contiguous()
        need_q, need_table, _, need_w, _ = ctx.needs_input_grad
        n, S, _ = index.shape
        # re-gathered, never stored for backward; eagerly through autograd (aten's embedding_bag
        # backward is the fastest scatter here), while compiling by hand (dynamo does not trace
        # autograd.grad)
        by_hand = torch.compiler.is_compiling()
        with torch.enable_grad():
            t = table.detach().requires_grad_(need_table and not by_hand)
            w = weight.detach().requires_grad_(need_w and not by_hand)
            sampled = _sample(t, index, w)
        sd = sampled.detach()
        s_phi, s_g = (sd, sd) if split == 0 else (sd[..., :split], sd[..., split:])
        grad_attn = torch.bmm(s_g, grad_out.transpose(1, 2))  # (n, S, M)
        # softmax over S
        grad_logits = attn * (grad_attn - (attn * grad_attn).sum(dim=1, keepdim=True))
        grad_q = torch.bmm(grad_logits.transpose(1, 2), s_phi) if need_q else None  # (n, M, C)
        grad_table = grad_w = None
        if need_table or need_w:
            if split == 0:  # s_phi = s_g: d/ds = dlogits q + attn dout, one bmm
                # (n, S, C)
                grad_s = torch.bmm(torch.cat([grad_logits, attn], 2),
                                   torch.cat([query, grad_out], 1))
            # outer products: broadcasting beats bmm's per-item loop for K = 1
            elif query.size(1) == 1:
                grad_s = torch.cat([grad_logits * query, attn * grad_out], 2)  # (n, S, 2C)
            else:
                # (n, S, 2C)
                grad_s = torch.cat([torch.bmm(grad_logits, query), torch.bmm(attn, grad_out)], 2)
            if not by_hand:
                inputs = [v for v, need in ((t, need_table), (w, need_w)) if need]
                grads = list(torch.autograd.grad(sampled, inputs, grad_s))
                grad_table = grads.pop(0) if need_table else None
                grad_w = grads.pop(0) if need_w else None
            else:  # Eq. 7-8 backward, one corner at a time: s = sum_k G_k table[t_k]
                grad_s = grad_s.reshape(n * S, -1)
                idx, g = index.reshape(n * S, 4), weight.reshape(n * S, 4)
                if need_table:
                    grad_table = torch.zeros_like(table)
                    for k in range(4):
                        grad_table.index_add_(0, idx[:, k], grad_s * g[:, k:k + 1])
                if need_w:
                    grad_w = torch.stack(
                        [(table.index_select(0, idx[:, k]) * grad_s).sum(-1) for k in range(4)], 1
                    )
                    grad_w = grad_w.view(n, S, 4)
        return grad_q, grad_table, None, grad_w, None


def representative_attention(query: Tensor, key: Tensor, value: Tensor, index: Tensor,
                             weight: Tensor, *, chunk_size: Optional[int] = None,
                             recompute: bool = True) -> Tensor:
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
        recompute (bool): re-compute each chunk's samples in the backward pass
            (:class:`_RecomputedAttention`) instead of storing them. (default: ``True``)

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
        raise ValueError("index and weight must have shape (A, S, 4) with A = query.size(0) = "
                         f"{A}, got {tuple(index.shape)} and {tuple(weight.shape)}")
    if A == 0:
        return query.new_zeros(0, M, C)
    S = index.size(1)
    grad = torch.is_grad_enabled() and any(t.requires_grad for t in (query, key, value, weight))
    if chunk_size is None:
        chunk_size = max(1, (CHUNK_ELEMENTS if grad else CHUNK_ELEMENTS_NO_GRAD) // max(1, S * C))
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
    chunk_size = min(chunk_size, A)
    # one gather for keys and values: the same table when x_phi is x_g (Bottleneck), else side by
    # side
    table, split = (key.contiguous(), 0) if value is key else (torch.cat([key, value], dim=1), C)
    query = query.contiguous()  # plain (A, M, C) strides: bmm's fast path (a transposed table would
    # make the gather read one cache line per value, ~10x slower)
    outs = []
    try:
        for start in range(0, A, chunk_size):
            part = slice(start, start + chunk_size)
            args = (query[part], table, index[part], weight[part], split)
            if grad and recompute:
                outs.append(_RecomputedAttention.apply(*args))
            else:
                outs.append(_attend(*args))
    # no check on the hot path: name the argument once torch complains
    except (IndexError, RuntimeError) as e:
        if index.numel() and (int(index.min()) < 0 or int(index.max()) >= key.size(0)):
            raise ValueError(f"index values must lie in [0, {key.size(0) - 1}] (rows of key / "
                             f"value), got [{int(index.min())}, {int(index.max())}]") from e
        raise
    return torch.cat(outs) if len(outs) > 1 else outs[0]


__all__ = ['representative_attention']
