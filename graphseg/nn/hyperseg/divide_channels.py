r"""Share the signal channels among the weight mappers (HyperSeg, Appendix A).

Every weight mapper reads its own slice of the context signal :math:`\phi`
(Eq. 3). The slice widths are multiples of a unit (so the grouped mapper
divides them) and roughly proportional to the number of weights
:math:`|\theta^{m_i}|` each mapper generates. :func:`divide_channels` computes
them with the rule of the authors' released code, so the mappers of the
released models get exactly their released widths.
"""
from __future__ import annotations

import itertools
import math
from typing import List, Sequence

RULES = ('floor', 'legacy')


def divide_channels(total: int, unit: int, weights: Sequence[float],
                    rule: str = 'floor') -> List[int]:
    r"""Split ``total`` channels into ``len(weights)`` shares, each a multiple of ``unit``.

    Shares of equal weight are treated as one group and always get equal
    widths. With :math:`u = \text{total} / \text{unit}` units and
    :math:`\rho = u / \sum_k w_k`, the groups are visited by decreasing total
    weight :math:`n w` (:math:`n` members of weight :math:`w`; ties: the smaller
    weight first), and each group but the last receives

    * ``'floor'`` (released v1.0 code, HyperSeg-S/M and the CamVid models):
      :math:`\max(\lfloor w \rho \rfloor, 1)` units per member, capped by what is
      left after every member has one unit;
    * ``'legacy'`` (released v0.1 code, HyperSeg-L):
      :math:`\lfloor \max(n w \rho, 1) / n \rfloor` units per member (possibly 0);

    the last group (the smallest total weight) takes every remaining unit,
    split equally among its members (rounded down).

    Example: HyperSeg-M's 1280 signal channels in units of 32 for
    :math:`|\theta| = (5248, 3008, 704, 2352, 4216)` give ``[416, 224, 128, 192, 320]``.

    Args:
        total (int): channels to divide (the width of :math:`\phi`).
        unit (int): every share is a multiple of this (the largest weight-mapper groups).
        weights (sequence of float): relative sizes, :math:`|\theta^{m_i}|`.
        rule (str): ``'floor'`` or ``'legacy'``. (default: ``'floor'``)

    Returns:
        list of int: the shares, in the order of ``weights``. With ``'floor'`` they sum to
        ``total`` unless a group of equal weights receives a number of units its members
        cannot split evenly (the remainder is left unused, as released).
    """
    for name, v in (('total', total), ('unit', unit)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    weights = [float(w) for w in weights]
    n = len(weights)
    if n == 0:
        raise ValueError("weights must not be empty")
    if any(not math.isfinite(w) or w <= 0 for w in weights):
        raise ValueError(f"weights must be finite and > 0, got {weights}")
    if total % unit:
        raise ValueError(f"total = {total} must be divisible by unit = {unit}")
    units = total // unit
    if rule == 'floor' and units < n:
        raise ValueError(f"total = {total} holds {units} unit(s) of {unit}, fewer than the {n} "
                         f"shares (each needs at least one unit)")
    ratio = units / sum(weights)
    # groups of equal weight (members in index order), by decreasing total weight; ties: smaller
    # weight first
    by_weight = sorted(range(n), key=lambda i: weights[i])
    groups = [list(g) for _, g in itertools.groupby(by_weight, key=lambda i: weights[i])]
    groups.sort(key=lambda g: weights[g[0]] * len(g), reverse=True)
    got = [len(g) if rule == 'floor' else 0 for g in groups]  # units per group
    left = units - sum(got)
    for gi, g in enumerate(groups[:-1]):
        m, size = len(g), weights[g[0]] * len(g)
        if rule == 'floor':
            more = min(max(size * ratio, m) // m * m - m, left)
        else:
            more = max(size * ratio, 1) // m * m
        got[gi] += more
        left -= more
    got[-1] += left
    shares = [0] * n
    for g, k in zip(groups, got):
        for i in g:
            shares[i] = int(k // len(g)) * unit
    if min(shares) < unit:
        raise ValueError(f"dividing {total} channels in units of {unit} by weights {weights} with "
                         f"rule {rule!r} leaves a share without channels: {shares}")
    return shares


__all__ = ['divide_channels', 'RULES']
