r"""Share the signal channels among the meta blocks (HyperSeg, Appendix A, Algorithm 1).

Every meta block :math:`m_i` reads its own slice of the context signal
:math:`\phi` (Eq. 3). The slice widths must be multiples of a unit (so the
grouped weight mapper of each block divides them), at least one unit each,
sum to the signal's width, and be roughly proportional to the number of
weights :math:`|\theta^{m_i}|` each block needs.
"""
from __future__ import annotations

import math
from typing import List, Sequence


def divide_channels(total: int, unit: int, weights: Sequence[float]) -> List[int]:
    r"""Split ``total`` channels into ``len(weights)`` shares, each a multiple of ``unit``.

    The contract of the paper's Algorithm 1 (Appendix A), met with a simple rule:
    each share first gets one unit; the remaining ``total / unit - n`` units are
    apportioned in proportion to ``weights`` by the largest-remainder rule, so
    share :math:`i` differs from its exact quota
    :math:`1 + (\text{total}/\text{unit} - n)\, w_i / \sum_k w_k` units by less than
    one unit. Ties go to the earlier share.

    Args:
        total (int): channels to divide (e.g. the width of :math:`\phi`).
        unit (int): every share is a multiple of this (e.g. the weight groups).
        weights (sequence of float): relative sizes, e.g. :math:`|\theta^{m_i}|`.

    Returns:
        list of int: the shares, in the order of ``weights``; they sum to ``total``.
    """
    for name, v in (('total', total), ('unit', unit)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    weights = [float(w) for w in weights]
    n = len(weights)
    if n == 0:
        raise ValueError("weights must not be empty")
    if any(not math.isfinite(w) or w <= 0 for w in weights):
        raise ValueError(f"weights must be finite and > 0, got {weights}")
    if total % unit:
        raise ValueError(f"total = {total} must be divisible by unit = {unit}")
    units = total // unit
    if units < n:
        raise ValueError(f"total = {total} holds {units} unit(s) of {unit}, fewer than the {n} shares "
                         f"(each needs at least one unit)")
    extra = units - n
    quota = [extra * w / sum(weights) for w in weights]
    share = [math.floor(q) for q in quota]
    left = extra - sum(share)
    order = sorted(range(n), key=lambda i: (-(quota[i] - share[i]), i))  # largest remainder first
    for i in order[:left]:
        share[i] += 1
    return [(1 + s) * unit for s in share]


__all__ = ['divide_channels']
