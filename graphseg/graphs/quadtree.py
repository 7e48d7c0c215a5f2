r"""Quadtrees of label maps (Quadtree Generating Networks, Chitta, Alvarez, Hebert, WACV 2020).

A segmentation map is stored as a quadtree: a cell whose pixels all carry the
same label is a *leaf*; any other cell is *composite* and splits into its four
quadrants one level down. Three views of the same object live here:

* :func:`t_pyramid` -- the T-pyramid (Eq. 2-3): level 0 is the label map, level
  ``l + 1`` merges 2x2 cells of level ``l`` into their common value, or the
  composite id ``num_classes`` when they differ;
* :class:`Quadtree` -- the hash table :math:`Q` of Eq. 1 in tensor form:
  keys ``(b, l, y, x)`` and values ``v`` of the tree's nodes (leaves and
  composite cells), with the exact round trip :meth:`Quadtree.to_dense`;
* :func:`quadtree_graph` -- the tree as a PyG graph: one node per cell,
  parent->child edges and same-level neighbour edges typed by
  :data:`~graphseg.graphs.DIRECTIONS`.

Level ``l`` has stride :math:`2^l`: cell ``(y, x)`` of level ``l`` covers the
pixels ``[y 2^l, (y + 1) 2^l) x [x 2^l, (x + 1) 2^l)``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Batch

from ..check import as_image, check_index, check_int, check_ndim, check_tensor
from .data import PixelMapData
from ..directions import CENTER, DIRECTIONS, NUM_DIRECTIONS
from .superpixel import superpixel_graph

#: Edge types of :func:`quadtree_graph`: 0-8 same-level neighbours (DIRECTIONS),
#: 9-12 parent -> child by the child's quadrant ``2 * (y % 2) + (x % 2)``.
NUM_QUADTREE_EDGE_TYPES: int = NUM_DIRECTIONS + 4
#: First parent -> child edge type.
CHILD_EDGE_TYPE: int = NUM_DIRECTIONS


def pad_to_multiple(x: Tensor, multiple: int, value: Union[int, float] = 0) -> Tensor:
    r"""Pad the last two dimensions on the bottom and right up to a multiple of ``multiple``.

    Use it before :func:`t_pyramid` (``multiple = 2 ** (num_levels - 1)``, and
    ``value = ignore_index`` for label maps so the padding is ignored by the
    loss) and on the matching image (``value = 0``).

    Args:
        x (Tensor): a label map or an image, :math:`(*, H, W)`.
        multiple (int): the new height and width are the smallest multiples of it.
        value (int or float): the fill value. (default: ``0``)

    Shapes:
        - **input:** :math:`(*, H, W)`
        - **output:** :math:`(*, \lceil H / m \rceil m, \lceil W / m \rceil m)`
    """
    check_tensor(x, 'x')
    check_int(multiple, 'multiple', 1)
    if x.dim() < 2:
        raise ValueError(f"x must have at least 2 dimensions (*, H, W), got shape {tuple(x.shape)}")
    H, W = x.shape[-2:]
    ph, pw = (-H) % multiple, (-W) % multiple
    if ph == 0 and pw == 0:
        return x
    out = x.new_full((*x.shape[:-2], H + ph, W + pw), value)
    out[..., :H, :W] = x
    return out


def _check_labels(labels: Tensor, num_classes: int, ignore_index: int,
                  name: str = 'labels') -> None:
    check_index(labels, name)
    check_ndim(labels, name, (2, 3), '(H, W) or (B, H, W)')
    if labels.numel() == 0:
        raise ValueError(f"{name} must be non-empty, got shape {tuple(labels.shape)}")
    lo, hi = labels.aminmax()
    if int(lo) < 0 and int(lo) != ignore_index:
        raise ValueError(f"{name} values must lie in [0, num_classes - 1] = [0, "
                         f"{num_classes - 1}] or be ignore_index = {ignore_index}, got {int(lo)}")
    if int(hi) >= num_classes or int(lo) < 0:  # slow path only when something is out of range
        bad = ((labels < 0) | (labels >= num_classes)) & (labels != ignore_index)
        if bool(bad.any()):
            v = int(labels[bad][0])
            raise ValueError(f"{name} values must lie in [0, num_classes - 1] = [0, "
                             f"{num_classes - 1}] or be ignore_index = {ignore_index}, got {v}")


def t_pyramid(labels: Tensor, num_levels: int, num_classes: int,
              ignore_index: int = 255) -> List[Tensor]:
    r"""The T-pyramid of a label map (QGN, Eq. 2-3).

    .. math::
        T_0 = Y, \qquad
        T_{l+1}(y, x) = \begin{cases}
            T_l(2y, 2x) & \text{if the four cells } T_l(2y + i, 2x + j),\ i, j \in \{0, 1\}
            \text{ are equal} \\
            k & \text{otherwise (composite)}
        \end{cases}

    with :math:`k` = ``num_classes`` the composite id. ``ignore_index`` is an
    ordinary value here (four ignore cells merge into an ignore cell, a mix of
    ignore and a class is composite), so the pyramid is lossless: the label map
    is recovered from it exactly (:meth:`Quadtree.to_dense`).

    Args:
        labels (LongTensor): the label map, values in ``[0, num_classes)`` or
            ``ignore_index``.
        num_levels (int): number of levels (level 0 included); height and width
            must be divisible by :math:`2^{\text{num\_levels} - 1}`
            (see :func:`pad_to_multiple`).
        num_classes (int): number of classes :math:`k`; also the composite id.
        ignore_index (int): the "no label" value; must differ from ``num_classes``.
            (default: ``255``)

    Returns:
        list of ``num_levels`` LongTensors; entry ``l`` has shape
        :math:`(*, H / 2^l, W / 2^l)` (entry 0 is ``labels`` itself).

    Shapes:
        - **input:** :math:`(H, W)` or :math:`(B, H, W)`
        - **output:** ``[(*, H, W), (*, H/2, W/2), ..., (*, H/2^{L-1}, W/2^{L-1})]``
    """
    check_int(num_levels, 'num_levels', 1)
    check_int(num_classes, 'num_classes', 1)
    if ignore_index == num_classes:
        raise ValueError("ignore_index must differ from the composite id num_classes = "
                         f"{num_classes}, got {ignore_index}")
    _check_labels(labels, num_classes, ignore_index)
    m = 2 ** (num_levels - 1)
    H, W = labels.shape[-2:]
    if H % m or W % m:
        raise ValueError("labels height and width must be divisible by 2 ** (num_levels - 1) = "
                         f"{m}, got (H, W) = ({H}, {W}); pad with pad_to_multiple(labels, {m}, "
                         "value=ignore_index)")
    labels = labels.long()
    batched = labels.dim() == 3
    x = labels if batched else labels.unsqueeze(0)
    out = [x]
    composite = torch.tensor(num_classes, dtype=x.dtype, device=x.device)
    for _ in range(num_levels - 1):
        B, h, w = x.shape
        quad = x.view(B, h // 2, 2, w // 2, 2)  # (B, h/2, i, w/2, j)
        a = quad[:, :, 0, :, 0]
        same = (a == quad[:, :, 0, :, 1]) & (a == quad[:, :, 1, :, 0]) & (a == quad[:, :, 1, :, 1])
        x = torch.where(same, a, composite)  # Eq. 2: common value, else composite
        out.append(x)
    return out if batched else [t.squeeze(0) for t in out]


def to_official_labels(pyramid: List[Tensor], num_classes: int,
                       ignore_index: int = 255) -> List[Tensor]:
    r"""A T-pyramid in the label coding of the released QGN code (kashyap7x/QGN, ``dataset.py``).

    Released coding, per level: composite 0, class :math:`c` -> :math:`c + 1`, ignore -1; and every
    cell below a leaf (a cell whose parent is not composite, so it is never decoded) -1 as well.
    graphseg's :func:`t_pyramid` keeps the leaf value in the cells below a leaf and codes composite
    as ``num_classes``.

    Args:
        pyramid (list of LongTensor): :func:`t_pyramid` output, level 0 first.
        num_classes (int): :math:`k` (the composite id of ``pyramid``).
        ignore_index (int): the ignore value of ``pyramid``. (default: ``255``)

    Returns:
        list of LongTensor, the same shapes, values in ``[-1, k]``.
    """
    check_int(num_classes, 'num_classes', 1)
    if not isinstance(pyramid, (list, tuple)) or not pyramid:
        raise ValueError("pyramid must be a non-empty list of label maps, got "
                         f"{type(pyramid).__name__}")
    out: List[Tensor] = [None] * len(pyramid)
    for lv in range(len(pyramid) - 1, -1, -1):
        t = pyramid[lv]
        check_index(t, f'pyramid[{lv}]')
        bad = ((t < 0) | (t > num_classes)) & (t != ignore_index)
        if bool(bad.any()):
            raise ValueError(f"pyramid[{lv}] values must lie in [0, num_classes] = [0, "
                             f"{num_classes}] (classes and "
                             f"the composite id) or be ignore_index = {ignore_index}, got "
                             f"{int(t[bad][0])}")
        code = torch.where(t == num_classes, torch.zeros_like(t), t.long() + 1)
        code = torch.where(t == ignore_index, torch.full_like(code, -1), code)
        if lv < len(pyramid) - 1:  # below a leaf: never decoded, not supervised
            parent = pyramid[lv + 1] == num_classes
            below = ~parent.repeat_interleave(2, -2).repeat_interleave(2, -1)
            if below.shape != t.shape:
                raise ValueError(f"pyramid[{lv}] must have twice the size of pyramid[{lv + 1}], "
                                 f"got {tuple(t.shape)} and {tuple(pyramid[lv + 1].shape)}")
            code = torch.where(below, torch.full_like(code, -1), code)
        out[lv] = code
    return out


def from_official_labels(levels: List[Tensor], num_classes: int,
                         ignore_index: int = 255) -> List[Tensor]:
    r"""The released QGN label coding (:func:`to_official_labels`) back to a graphseg T-pyramid
    (lossless).

    Cells below a leaf take their parent's value again, so the result equals :func:`t_pyramid`
    of the label map (level 0).

    Args:
        levels (list of LongTensor): released coding, level 0 (finest) first; the last level is the
            top.
        num_classes (int): :math:`k`.
        ignore_index (int): the ignore value of the result. (default: ``255``)
    """
    check_int(num_classes, 'num_classes', 1)
    if not isinstance(levels, (list, tuple)) or not levels:
        raise ValueError("levels must be a non-empty list of label maps, got "
                         f"{type(levels).__name__}")
    out: List[Tensor] = [None] * len(levels)
    for lv in range(len(levels) - 1, -1, -1):
        check_index(levels[lv], f'levels[{lv}]')
        code = levels[lv].long()
        if code.numel() and int(code.min()) < -1 or int(code.max()) > num_classes:
            raise ValueError(f"levels[{lv}] must hold values in [-1, {num_classes}] (released "
                             f"coding), got [{int(code.min())}, {int(code.max())}]")
        t = torch.where(code == 0, torch.full_like(code, num_classes), code - 1)
        t = torch.where(code == -1, torch.full_like(code, ignore_index), t)
        if lv < len(levels) - 1:  # below a leaf: the parent's value
            parent = out[lv + 1]
            up = parent.repeat_interleave(2, -2).repeat_interleave(2, -1)
            if up.shape != t.shape:
                raise ValueError(f"levels[{lv}] must have twice the size of levels[{lv + 1}], got "
                                 f"{tuple(t.shape)} and {tuple(levels[lv + 1].shape)}")
            t = torch.where(up == num_classes, t, up)
        out[lv] = t
    return out


class Quadtree:
    r"""The quadtree of a label map as tensors: the hash table :math:`Q` of QGN Eq. 1.

    The nodes of the tree are the cells of the T-pyramid whose parent is
    composite (or that sit at the top level): *leaves* (a class or the ignore
    value) and *composite* cells (internal nodes, value ``num_classes``).
    They are stored as ``keys`` :math:`(N, 4)` = ``(b, l, y, x)`` and
    ``values`` :math:`(N,)`, ordered by image, then level from the top down,
    then row-major; ``leaf`` marks the leaves. Build with
    :meth:`from_labels` (or from an existing T-pyramid).

    Args:
        pyramid (list of LongTensor): a T-pyramid from :func:`t_pyramid`.
        num_classes (int): number of classes :math:`k` (the composite id).
        ignore_index (int): the ignore value. (default: ``255``)

    Shapes:
        - **keys:** :math:`(N, 4)` as ``(b, l, y, x)``; **values**, **leaf:** :math:`(N,)`
    """

    def __init__(self, pyramid: List[Tensor], num_classes: int, ignore_index: int = 255) -> None:
        if not isinstance(pyramid, (list, tuple)) or len(pyramid) == 0:
            raise TypeError("pyramid must be a non-empty list of LongTensors from t_pyramid, "
                            f"got {type(pyramid).__name__}")
        check_int(num_classes, 'num_classes', 1)
        self.num_classes, self.ignore_index = num_classes, ignore_index
        self.num_levels = len(pyramid)
        self.batched = pyramid[0].dim() == 3
        pyr = [p if self.batched else p.unsqueeze(0) for p in pyramid]
        for level, p in enumerate(pyr):
            check_index(p, f'pyramid[{level}]')
            want = (pyr[0].size(0), pyr[0].size(1) >> level, pyr[0].size(2) >> level)
            if tuple(p.shape) != want:
                raise ValueError(f"pyramid[{level}] must have shape (B, H / 2^l, W / 2^l) = "
                                 f"{want}, got {tuple(p.shape)}")
        self.batch_size, self.height, self.width = pyr[0].shape
        keys, values = [], []
        top = self.num_levels - 1
        for level in range(top, -1, -1):
            if level == top:
                node = torch.ones_like(pyr[level], dtype=torch.bool)
            else:  # Eq. 3: a cell is a node iff its parent is composite
                parent = pyr[level + 1] == num_classes
                node = parent.repeat_interleave(2, 1).repeat_interleave(2, 2)
            b, y, x = node.nonzero(as_tuple=True)
            keys.append(torch.stack([b, torch.full_like(b, level), y, x], 1))
            values.append(pyr[level][b, y, x])
        keys, values = torch.cat(keys), torch.cat(values)
        # image-major, levels top-down within an image
        order = torch.argsort(keys[:, 0], stable=True)
        self.keys, self.values = keys[order], values[order]
        self.leaf = self.values != num_classes

    @classmethod
    def from_labels(cls, labels: Tensor, num_levels: int, num_classes: int,
                    ignore_index: int = 255) -> 'Quadtree':
        """Build the quadtree of a label map :math:`(H, W)` or :math:`(B, H, W)` (via
        :func:`t_pyramid`)."""
        return cls(t_pyramid(labels, num_levels, num_classes, ignore_index), num_classes,
                   ignore_index)

    @property
    def composite(self) -> int:
        """The composite id (``num_classes``)."""
        return self.num_classes

    @property
    def device(self) -> torch.device:
        return self.keys.device

    @property
    def num_nodes(self) -> int:
        return self.keys.size(0)

    def level_shape(self, level: int) -> Tuple[int, int]:
        """``(H / 2^l, W / 2^l)``: the grid of level ``l``."""
        self._check_level(level)
        return self.height >> level, self.width >> level

    def _check_level(self, level: int) -> None:
        check_int(level, 'level', 0, self.num_levels - 1)

    def leaves(self, level: Optional[int] = None) -> Tuple[Tensor, Tensor]:
        """Keys :math:`(n, 4)` and values :math:`(n,)` of the leaves (of one level, or all)."""
        mask = self.leaf if level is None else self.leaf & (self.keys[:, 1] == self._lvl(level))
        return self.keys[mask], self.values[mask]

    def composites(self, level: Optional[int] = None) -> Tensor:
        """Keys :math:`(n, 4)` of the composite (internal) cells (of one level, or all)."""
        mask = ~self.leaf if level is None else ~self.leaf & (self.keys[:, 1] == self._lvl(level))
        return self.keys[mask]

    def _lvl(self, level: int) -> int:
        self._check_level(level)
        return level

    def to_pyramid(self) -> List[Tensor]:
        """Rebuild the T-pyramid from the keys and values alone (top-down painting)."""
        out: List[Tensor] = []
        lvl = self.keys[:, 1]
        cur = None
        for level in range(self.num_levels - 1, -1, -1):
            h, w = self.level_shape(level)
            if cur is None:
                cur = torch.full((self.batch_size, h, w), self.composite, dtype=torch.long,
                                 device=self.device)
            else:  # a non-composite parent fills its four children
                cur = cur.repeat_interleave(2, 1).repeat_interleave(2, 2)
            k = self.keys[lvl == level]
            cur[k[:, 0], k[:, 2], k[:, 3]] = self.values[lvl == level]
            out.append(cur)
        out.reverse()
        return out if self.batched else [t.squeeze(0) for t in out]

    def to_dense(self) -> Tensor:
        """The label map, restored exactly: :math:`(H, W)` or :math:`(B, H, W)` as given."""
        return self.to_pyramid()[0]

    def stats(self) -> Dict[str, Any]:
        r"""Size of the representation (QGN Table 5).

        Returns a dict with, per level ``l`` (lists indexed by level):
        ``leaves`` and ``composites`` (node counts), ``pixel_share`` (fraction of
        the pixels whose leaf sits at level ``l``; sums to 1); and
        ``nodes`` (all tree nodes), ``pixels`` and ``memory_ratio`` = nodes /
        pixels, the number of stored cells relative to a dense label map.
        """
        lvl = self.keys[:, 1]
        levels = range(self.num_levels)
        leaves = [int((self.leaf & (lvl == level)).sum()) for level in levels]
        comps = [int((~self.leaf & (lvl == level)).sum()) for level in levels]
        pixels = self.batch_size * self.height * self.width
        share = [leaves[level] * 4 ** level / pixels for level in levels]
        return {'leaves': leaves, 'composites': comps, 'pixel_share': share,
                'nodes': self.num_nodes, 'pixels': pixels, 'memory_ratio': self.num_nodes / pixels}

    def __repr__(self) -> str:
        shape = (self.batch_size, self.height, self.width) if self.batched else (self.height,
                                                                                 self.width)
        return (f'{self.__class__.__name__}(shape={shape}, num_levels={self.num_levels}, '
                f'num_classes={self.num_classes}, nodes={self.num_nodes}, '
                f'leaves={int(self.leaf.sum())})')


class QuadtreeData(PixelMapData):
    r"""A quadtree graph; ``seg`` :math:`(1, H, W)` holds each pixel's leaf node id and survives
    batching (see :class:`~graphseg.graphs.data.PixelMapData`)."""


def _image_graph(tree: Quadtree, b: int, image: Optional[Tensor], self_loops: bool) -> QuadtreeData:
    sel = tree.keys[:, 0] == b
    keys, values, leaf = tree.keys[sel], tree.values[sel], tree.leaf[sel]
    dev = keys.device
    n = keys.size(0)
    lvl, ys, xs = keys[:, 1], keys[:, 2], keys[:, 3]
    node_id = torch.arange(n, device=dev)
    grids = []  # per level: node id of each cell, -1 where the cell is not a tree node
    for level in range(tree.num_levels):
        h, w = tree.level_shape(level)
        g = torch.full((h, w), -1, dtype=torch.long, device=dev)
        m = lvl == level
        g[ys[m], xs[m]] = node_id[m]
        grids.append(g)

    src, dst, etype = [], [], []
    offsets = torch.tensor(DIRECTIONS, device=dev)  # (9, 2) as (dy, dx)
    for level in range(tree.num_levels):
        m = lvl == level
        ids, y, x = node_id[m], ys[m], xs[m]
        h, w = tree.level_shape(level)
        ny = y.view(-1, 1) + offsets[:, 0]  # (n_l, 9)
        nx = x.view(-1, 1) + offsets[:, 1]
        inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
        nb = torch.full_like(ny, -1)
        nb[inside] = grids[level][ny[inside], nx[inside]]
        valid = nb >= 0
        if not self_loops:
            valid[:, CENTER] = False
        types = torch.arange(NUM_DIRECTIONS, device=dev).expand_as(nb)
        # edge j -> i of type k: j sits at offset DIRECTIONS[k] from i (same level)
        (
            src.append(nb[valid]),
            dst.append(ids.view(-1, 1).expand_as(nb)[valid]),
            etype.append(types[valid]),
        )
        if level + 1 < tree.num_levels:  # parent -> child, typed by the child's quadrant
            parent = grids[level + 1][y // 2, x // 2]
            (
                src.append(parent),
                dst.append(ids),
                etype.append(CHILD_EDGE_TYPE + 2 * (y % 2) + (x % 2)),
            )
    edge_index = torch.stack([torch.cat(src), torch.cat(dst)])
    edge_type = torch.cat(etype)
    order = torch.argsort(edge_index[1] * NUM_QUADTREE_EDGE_TYPES + edge_type)  # by (target, type)
    edge_index, edge_type = edge_index[:, order], edge_type[order]

    size = 2 ** lvl  # cell side in pixels
    pos_dtype = image.dtype if image is not None else torch.get_default_dtype()
    pos = torch.stack([(xs.double() + 0.5) * size - 0.5, (ys.double() + 0.5) * size - 0.5],
                      1).to(pos_dtype)
    seg = torch.full((tree.height, tree.width), -1, dtype=torch.long, device=dev)
    # top-down: finer leaves overwrite nothing (leaves are disjoint)
    for level in range(tree.num_levels):
        m = leaf & (lvl == level)
        block = torch.full(tree.level_shape(level), -1, dtype=torch.long, device=dev)
        block[ys[m], xs[m]] = node_id[m]
        block = block.repeat_interleave(2 ** level, 0).repeat_interleave(2 ** level, 1)
        seg = torch.where(block >= 0, block, seg)
    data = QuadtreeData(edge_index=edge_index, edge_type=edge_type, pos=pos, level=lvl,
                        cell_size=size, value=values, leaf=leaf, seg=seg.unsqueeze(0), num_nodes=n)
    if image is not None:
        feats = []
        # mean colour of each cell = average pooling at its level
        for level in range(tree.num_levels):
            m = lvl == level
            pooled = F.avg_pool2d(image[b:b + 1], 2 ** level) if level else image[b:b + 1]
            feats.append((m, pooled[0, :, ys[m], xs[m]].t()))
        x = image.new_zeros(n, image.size(1))
        for m, f in feats:
            x[m] = f
        data.x = x
    return data


def quadtree_graph(tree: Quadtree, image: Optional[Tensor] = None, *,
                   self_loops: bool = False) -> Union[QuadtreeData, Batch]:
    r"""The quadtree as a PyG graph: one node per tree cell, tree edges and same-level neighbour
    edges.

    Nodes are the nodes of :class:`Quadtree` (leaves and composite cells) in its
    order. Edges:

    * same-level neighbours: ``j -> i`` of type ``k`` in ``[0, 9)`` when cell
      ``j`` lies at offset ``DIRECTIONS[k]`` from cell ``i`` on their level's
      grid (the graphseg direction convention; type 4 only with ``self_loops``);
    * tree edges: parent ``->`` child of type ``9 + q``, ``q = 2 (y mod 2) + (x mod 2)``
      the child's quadrant (``NUM_QUADTREE_EDGE_TYPES = 13`` types in all).

    Edges are sorted by (target, type).

    Args:
        tree (Quadtree): the quadtree.
        image (Tensor, optional): the image :math:`(C, H, W)` / :math:`(B, C, H, W)`
            of the label map; node ``x`` is then the mean colour of each cell.
        self_loops (bool): add a type-4 edge ``i -> i`` per node. (default: ``False``)

    Returns:
        :class:`QuadtreeData` (a :class:`~torch_geometric.data.Batch` of them for
        a batched tree) with ``edge_index`` :math:`(2, E)`, ``edge_type`` :math:`(E,)`,
        ``level`` :math:`(N,)`, ``pos`` :math:`(N, 2)` (cell centre as ``(x, y)``
        in pixels), ``cell_size`` :math:`(N,)` (side in pixels, :math:`2^l`;
        ``size`` itself is :meth:`Data.size`), ``value`` :math:`(N,)`,
        ``leaf`` :math:`(N,)`, ``seg`` :math:`(1, H, W)` (pixel -> leaf node) and
        optional ``x`` :math:`(N, C)`.
    """
    if not isinstance(tree, Quadtree):
        raise TypeError(f"tree must be a Quadtree, got {type(tree).__name__}")
    if image is not None:
        image = as_image(image, 'image', numpy=False)
        img = image if image.dim() == 4 else image.unsqueeze(0)
        if img is None or img.size(0) != tree.batch_size or tuple(img.shape[2:]) != (tree.height,
                                                                                     tree.width):
            raise ValueError(f"image must have shape (C, H, W) or (B, C, H, W) with (B, H, W) = "
                             f"{(tree.batch_size, tree.height, tree.width)}, got "
                             f"{tuple(image.shape)}")
        image = img.to(tree.device)
    graphs = [_image_graph(tree, b, image, self_loops) for b in range(tree.batch_size)]
    return Batch.from_data_list(graphs) if tree.batched else graphs[0]


def slic_quadtree(image: Tensor, n_segments: int = 400, compactness: float = 10., *,
                  num_levels: int = 6, method: str = 'skimage') -> QuadtreeData:
    r"""The quadtree graph of an image's SLIC label map (``graphseg graph --kind quadtree``).

    The superpixels of :func:`~graphseg.graphs.superpixel_graph` serve as the
    label map (label = superpixel id); image and labels are padded on the
    bottom/right to a multiple of :math:`2^{\text{num\_levels} - 1}`, the padding
    labelled ``ignore_index = n + 1`` for :math:`n` superpixels (composite is ``n``).
    Cells are large inside superpixels and shrink towards their borders.

    Args:
        image (Tensor): :math:`(C, H, W)`.
        n_segments (int): approximate number of superpixels. (default: ``400``)
        compactness (float): SLIC compactness. (default: ``10``)
        num_levels (int): quadtree levels. (default: ``6``)
        method (str): ``'skimage'`` or ``'torch'`` SLIC. (default: ``'skimage'``)

    Returns:
        :class:`QuadtreeData` of :func:`quadtree_graph` (``x`` = mean colour of
        the padded image), plus ``num_superpixels``.
    """
    image = as_image(image, 'image', batched=False, numpy=False)
    H, W = image.shape[-2:]
    m = 2 ** (check_int(num_levels, 'num_levels', 1) - 1)
    if m > max(H, W):
        deepest = max(H, W).bit_length()
        raise ValueError(f"num_levels = {num_levels} would pad the {H}x{W} image to "
                         f"{-(-H // m) * m}x{-(-W // m) * m}: the top cells ({m} pixels) must not "
                         f"exceed the image; use num_levels <= {deepest}")
    sp = superpixel_graph(image, n_segments, compactness, method=method)
    n = sp.num_nodes
    labels = pad_to_multiple(sp.seg[0], m, value=n + 1)
    tree = Quadtree.from_labels(labels, num_levels, n, ignore_index=n + 1)
    data = quadtree_graph(tree, pad_to_multiple(image, m))
    data.num_superpixels = n
    return data


__all__ = ['t_pyramid', 'pad_to_multiple', 'to_official_labels', 'from_official_labels', 'Quadtree',
           'QuadtreeData', 'quadtree_graph', 'slic_quadtree', 'NUM_QUADTREE_EDGE_TYPES',
           'CHILD_EDGE_TYPE']
