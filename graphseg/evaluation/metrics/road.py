r"""Road extraction metrics: road IoU and APLS (Average Path Length Similarity) on networkx graphs.

APLS (Van Etten et al., *SpaceNet: A Remote Sensing Dataset and Challenge Series*, 2018)
compares the shortest-path lengths of two road graphs. For a ground-truth graph :math:`G`
and a proposal :math:`G'`, every node :math:`a` of :math:`G` is matched to the nearest node
:math:`a'` of :math:`G'` within ``buffer`` pixels, and

.. math::
    C(G \to G') = 1 - \frac{1}{N} \sum_{(a, b)}
    \min\Big(1, \frac{|L(a, b) - L(a', b')|}{L(a, b)}\Big)

over the :math:`N` node pairs connected in :math:`G`; a pair whose match is missing or
disconnected in :math:`G'` costs 1. APLS is symmetric: the harmonic mean of
:math:`C(G \to G')` (penalises missing roads and detours) and :math:`C(G' \to G)`
(penalises spurious roads). Graphs come from masks through :func:`mask_to_graph`
(skeleton -> pixel graph -> junctions and ends joined by edges carrying their length,
plus control nodes every ``node_spacing`` pixels along each edge, as the SpaceNet
code inserts midpoints).

Differences to the SpaceNet reference code, by choice: nodes snap to the nearest *node*
of the other graph (the reference first injects them into the nearest *edge*), lengths are
in pixels, and the graphs are built from masks with skimage's skeleton rather than from
vector labels; with ``node_spacing`` small against ``buffer`` the two agree closely.
"""
from __future__ import annotations

import math
from typing import Dict, Optional

import networkx as nx
import numpy as np
import torch
from torch import Tensor
from skimage.morphology import skeletonize

from ...check import check_ndim, check_number
from .semantic import SegmentationMetrics


def mask_to_graph(mask, node_spacing: Optional[float] = 20.0) -> nx.Graph:
    """A road graph from a binary mask :math:`(H, W)`: nodes with ``pos`` = (x, y), edges with
    ``length`` (pixels).

    The mask is skeletonised (``skimage.morphology.skeletonize``); skeleton pixels joined with
    8-connectivity (length 1 or :math:`\\sqrt 2`) form a pixel graph whose chains of degree-2 pixels
    are contracted into edges between junctions / ends; ``node_spacing`` (pixels, ``None`` = off)
    keeps a control node every that many pixels of length along each contracted edge.
    """
    m = mask.cpu().numpy() if isinstance(mask, Tensor) else np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"mask must be (H, W), got shape {m.shape}")
    if m.dtype != bool and m.size and not np.isin(m, (0, 1)).all():
        raise ValueError(f"mask must be binary (bool or 0 / 1), got values in [{m.min()}, "
                         f"{m.max()}]; threshold probabilities first (e.g. mask > 0.5)")
    _check_spacing(node_spacing)
    sk = skeletonize(m.astype(bool))
    ys, xs = np.nonzero(sk)
    pix = nx.Graph()
    for y, x in zip(ys.tolist(), xs.tolist()):
        pix.add_node((y, x))
    for y, x in zip(ys.tolist(), xs.tolist()):
        for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
            if (y + dy, x + dx) in pix:
                pix.add_edge((y, x), (y + dy, x + dx), length=math.hypot(dy, dx))
    # drop diagonal shortcuts parallel to a 4-connected L (they would create spurious junctions)
    for (y, x), (v, u) in list(pix.edges()):
        if abs(y - v) == 1 and abs(x - u) == 1 and ((y, u) in pix or (v, x) in pix):
            pix.remove_edge((y, x), (v, u))
    return _contract(pix, node_spacing)


def _check_spacing(node_spacing: Optional[float]) -> None:
    if node_spacing is not None:
        check_number(node_spacing, 'node_spacing', 0., strict=True)


def _check_graphs(gt: nx.Graph, prop: nx.Graph, buffer: float) -> None:
    for name, g in (('gt', gt), ('prop', prop)):
        if not isinstance(g, nx.Graph):
            raise TypeError(f"{name} must be a networkx Graph (see mask_to_graph), got "
                            f"{type(g).__name__}")
        missing = next((n for n, p in g.nodes(data='pos') if p is None), None)
        if missing is not None:
            raise ValueError(f"{name} nodes must carry pos = (x, y) (see mask_to_graph); node "
                             f"{missing!r} has none")
    check_number(buffer, 'buffer', 0., strict=True)


def _contract(pix: nx.Graph, spacing: Optional[float]) -> nx.Graph:
    out = nx.Graph()
    key = {n for n in pix if pix.degree(n) != 2}
    # pure cycles have no junction: keep one pixel as a node
    for comp in nx.connected_components(pix):
        if not key & comp:
            key.add(min(comp))
    for n in key:
        out.add_node(n, pos=(float(n[1]), float(n[0])))
    seen = set()
    for start in key:
        for nb in pix.neighbors(start):
            if (start, nb) in seen:
                continue
            prev, cur, length, last_kept, since = start, nb, pix.edges[start,
                                                                       nb]['length'], start, 0.0
            since = length
            seen.add((start, nb))
            while cur not in key:
                if spacing is not None and since >= spacing:
                    out.add_node(cur, pos=(float(cur[1]), float(cur[0])))
                    out.add_edge(last_kept, cur, length=since)
                    last_kept, since = cur, 0.0
                nxt = next(v for v in pix.neighbors(cur) if v != prev)
                step = pix.edges[cur, nxt]['length']
                length += step
                since += step
                prev, cur = cur, nxt
            seen.add((cur, prev))
            if last_kept != cur or since > 0:
                if out.has_edge(last_kept, cur):
                    out.edges[last_kept, cur]['length'] = min(out.edges[last_kept, cur]['length'],
                                                              since)
                elif last_kept != cur:
                    out.add_edge(last_kept, cur, length=since)
    return out


def _match(src: nx.Graph, dst: nx.Graph, buffer: float) -> Dict:
    if dst.number_of_nodes() == 0:
        return {n: None for n in src}
    dnodes = list(dst)
    dpos = np.array([dst.nodes[n]['pos'] for n in dnodes], dtype=np.float64)
    out = {}
    for n in src:
        d = np.hypot(*(dpos - np.asarray(src.nodes[n]['pos'], dtype=np.float64)).T)
        i = int(d.argmin())
        out[n] = dnodes[i] if d[i] <= buffer else None
    return out


def apls_one_way(gt: nx.Graph, prop: nx.Graph, buffer: float = 5.0) -> float:
    """:math:`C(G \\to G')`: 1 minus the mean path-length penalty over the connected node pairs of
    ``gt``; 1.0 when ``gt`` has no connected pair and ``prop`` has none either, else 0.0 for an
    empty ``gt``."""
    match = _match(gt, prop, buffer)
    lengths = dict(nx.all_pairs_dijkstra_path_length(gt, weight='length'))
    prop_len: Dict = {}
    total, pairs = 0.0, 0
    nodes = list(gt)
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            L = lengths[a].get(b)
            if L is None or L <= 0:
                continue
            pairs += 1
            a2, b2 = match[a], match[b]
            if a2 is None or b2 is None:
                total += 1.0
                continue
            if a2 not in prop_len:
                prop_len[a2] = nx.single_source_dijkstra_path_length(prop, a2, weight='length')
            L2 = prop_len[a2].get(b2)
            total += 1.0 if L2 is None else min(1.0, abs(L - L2) / L)
    if pairs == 0:
        return 1.0 if prop.number_of_edges() == 0 else 0.0
    return 1.0 - total / pairs


def apls(gt: nx.Graph, prop: nx.Graph, buffer: float = 5.0) -> float:
    """Symmetric APLS: harmonic mean of :func:`apls_one_way` both ways (0 if either is 0)."""
    _check_graphs(gt, prop, buffer)
    a, b = apls_one_way(gt, prop, buffer), apls_one_way(prop, gt, buffer)
    return 0.0 if a <= 0 or b <= 0 else 2 * a * b / (a + b)


class RoadMetrics:
    """Road IoU (IoU of class 1 from a confusion matrix, pixels of ``ignore_index`` skipped) and
    mean APLS over images (``apls=False`` skips the graphs). ``state()`` sums over processes."""

    def __init__(self, ignore_index: int = 255, apls: bool = True, buffer: float = 5.0,
                 node_spacing: Optional[float] = 20.0) -> None:
        check_number(buffer, 'buffer', 0., strict=True)
        _check_spacing(node_spacing)
        self.ignore_index, self.use_apls, self.buffer = ignore_index, apls, buffer
        self.node_spacing = node_spacing
        self.reset()

    def reset(self) -> None:
        self.confusion = SegmentationMetrics(2, self.ignore_index)
        self.apls_sum, self.n = 0.0, 0

    @torch.no_grad()
    def update(self, pred: Tensor, target: Tensor) -> None:
        """``pred`` labels :math:`(B, H, W)` or logits :math:`(B, 2, H, W)`; ``target``
        :math:`(B, H, W)`."""
        check_ndim(target, 'target', 3, '(B, H, W)')
        if pred.is_floating_point() and pred.dim() == 4:
            check_ndim(pred, 'pred', 4, '(B, 2, H, W)')
            if pred.size(1) != 2:
                raise ValueError("logits pred must have shape (B, 2, H, W), got "
                                 f"{tuple(pred.shape)}")
            pred = pred.argmax(1)
        self.confusion.update(pred, target)
        if self.use_apls:
            for p, t in zip(pred.cpu(), target.cpu()):
                gt = mask_to_graph((t == 1).numpy(), self.node_spacing)
                pr = mask_to_graph(((p == 1) & (t != self.ignore_index)).numpy(), self.node_spacing)
                self.apls_sum += apls(gt, pr, self.buffer)
                self.n += 1

    def state(self) -> Tensor:
        extra = torch.tensor([self.apls_sum, float(self.n)], dtype=torch.float64)
        return torch.cat([self.confusion.state().double(), extra])

    def load_state(self, state: Tensor) -> None:
        state = state.cpu().double()
        self.confusion.load_state(state[:4])
        self.apls_sum, self.n = float(state[4]), int(round(float(state[5])))

    def compute(self) -> Dict[str, float]:
        out = self.confusion.compute()
        res = {'road_iou': out['iou'][1], 'miou': out['miou'], 'pixel_acc': out['pixel_acc']}
        if self.use_apls:
            res['apls'] = self.apls_sum / self.n if self.n else float('nan')
        return res


__all__ = ['mask_to_graph', 'apls', 'apls_one_way', 'RoadMetrics']
