r"""SLIC superpixel graphs with direction-typed edges (an image as HG-Conv's group graph).

Nodes are SLIC superpixels with ``x`` = mean colour and ``pos`` = mean
``(x, y)`` pixel position, computed exactly as PyG's
:class:`~torch_geometric.transforms.ToSLIC` computes them; edges come from
:func:`~graphseg.graphs.group_adjacency` (Eq. 4, noise canceling Eq. 7,
max-direction), so the superpixel graph is the group graph HG-Conv convolves.
"""
from __future__ import annotations

from typing import Any, Union

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import Batch
from torch_geometric.transforms import BaseTransform
from skimage.segmentation import slic

from ..check import as_image, check_choice, check_int, check_positive
from ..ops.scatter import scatter
from .data import PixelMapData
from .group_adjacency import group_adjacency
from .slic import _slic_torch

METHODS = ('skimage', 'torch')


class SuperpixelData(PixelMapData):
    r"""A superpixel graph; its pixel-to-node map ``seg`` survives batching (see
    :class:`PixelMapData`).

    Attributes (besides PyG's): ``edge_type`` :math:`(E,)` direction ids,
    ``edge_weight`` :math:`(E,)`, ``num_pixels`` :math:`(N,)` pixels per node
    (the node size; ``size`` itself is taken by :meth:`Data.size`), ``seg``
    :math:`(1, H, W)`.
    """


def _as_chw(image: Union[Tensor, np.ndarray]) -> Tensor:
    """Validate and convert to a float (C, H, W) or (B, C, H, W) tensor (graphseg.check.as_image's
    rule)."""
    return as_image(image, 'image')


def _graph_from_labels(image: Tensor, seg: Tensor, num_nodes: int, noise_cancel: bool,
                       max_direction: bool) -> SuperpixelData:
    """Build the node attributes (as ToSLIC) and the direction-typed edges for one image."""
    C, H, W = image.shape
    flat = seg.reshape(-1)
    # x = mean colour (a scatter, differentiable), pos = mean (x, y) by two bincounts of the
    # coordinates, which add in the same order and dtype as ToSLIC's scatter: the same bits, without
    # a (H W, 5) copy
    count = torch.bincount(flat, minlength=num_nodes)
    denom = count.clamp_min(1).unsqueeze(1).to(image.dtype)
    x = scatter(image.permute(1, 2, 0).reshape(H * W, C), flat, 0, num_nodes, reduce='sum') / denom
    xs = torch.arange(W, device=image.device, dtype=image.dtype).repeat(H)
    ys = torch.arange(H, device=image.device, dtype=image.dtype).repeat_interleave(W)
    pos = torch.stack([torch.bincount(flat, xs, minlength=num_nodes),
                       torch.bincount(flat, ys, minlength=num_nodes)], 1) / denom
    edge_index, edge_type, edge_weight = group_adjacency(
        seg, H, W, num_groups=num_nodes, noise_cancel=noise_cancel, max_direction=max_direction)
    return SuperpixelData(x=x, pos=pos, edge_index=edge_index, edge_type=edge_type,
                          edge_weight=edge_weight.to(image.dtype), num_pixels=count,
                          seg=seg.view(1, H, W), num_nodes=num_nodes)


def superpixel_graph(image: Union[Tensor, np.ndarray], n_segments: int = 100,
                     compactness: float = 10., *, method: str = 'skimage',
                     noise_cancel: bool = True, max_direction: bool = True,
                     **slic_kwargs: Any) -> Union[SuperpixelData, Batch]:
    r"""SLIC superpixel graph with direction-typed edges.

    Node ``x`` is the mean colour and ``pos`` the mean ``(x, y)`` pixel position
    of each superpixel, exactly as :class:`torch_geometric.transforms.ToSLIC`
    computes them for the same SLIC parameters (``method='skimage'``). Edges
    ``j -> i`` of type ``k`` carry :math:`\hat A^{\delta_k}_{ij}` from
    :func:`~graphseg.graphs.group_adjacency`: how many pixels of superpixel
    ``i`` have their ``DIRECTIONS[k]`` neighbour in ``j`` (after noise
    canceling and max-direction), plus a unit self-loop of type 4.

    Args:
        image: a float tensor :math:`(C, H, W)` / :math:`(B, C, H, W)` (any value
            range; uint8 is scaled to ``[0, 1]``) or a numpy array :math:`(H, W, C)`;
            layouts that read the other way round and integer dtypes without a
            fixed range are rejected (:func:`graphseg.check.as_image`). float64
            gives float64 ``x`` / ``pos`` / ``edge_weight``; SLIC itself does not
            differentiate, but ``x`` keeps the gradient of a ``requires_grad`` image.
        n_segments (int): approximate number of superpixels. (default: ``100``)
        compactness (float): SLIC compactness :math:`m`. (default: ``10``)
        method (str): ``'skimage'`` (``skimage.segmentation.slic`` on float64,
            as ToSLIC: identical ``x``/``pos``) or ``'torch'``, the fast path
            (:func:`~graphseg.graphs.slic.slic_torch`: batched, CPU/CUDA, connected
            segments as skimage's; ``scripts/bench_graphs.py`` measures its
            throughput against ToSLIC's and its agreement with skimage). (default: ``'skimage'``)
        noise_cancel (bool): Eq. 7 noise canceling. (default: ``True``)
        max_direction (bool): one direction per ordered pair. (default: ``True``)
        **slic_kwargs: further SLIC arguments (``max_num_iter``, ``enforce_connectivity``,
            ``min_size_factor``, and for ``'skimage'`` e.g. ``sigma``).

    Returns:
        :class:`SuperpixelData` (or a :class:`~torch_geometric.data.Batch` of
        them for a batched input) with ``x`` :math:`(N, C)`, ``pos`` :math:`(N, 2)`,
        ``edge_index`` :math:`(2, E)`, ``edge_type`` :math:`(E,)`,
        ``edge_weight`` :math:`(E,)`, ``num_pixels`` :math:`(N,)`, ``seg`` :math:`(1, H, W)`.
    """
    check_choice(method, 'method', METHODS)
    check_int(n_segments, 'n_segments', 1)
    check_positive(compactness, 'compactness')
    img = _as_chw(image)
    batched = img.dim() == 4
    imgs = img if batched else img.unsqueeze(0)

    if method == 'torch':  # the labels do not differentiate; x (mean colours) does
        # imgs: validated above
        labels, counts = _slic_torch(imgs, n_segments, compactness, **slic_kwargs)
        graphs = [_graph_from_labels(im, lab, int(n), noise_cancel, max_direction)
                  for im, lab, n in zip(imgs, labels, counts)]
    else:
        graphs = []
        for im in imgs:
            arr = im.detach().permute(1, 2, 0).to(torch.double).cpu().numpy()
            seg = slic(arr, n_segments=n_segments, compactness=compactness, start_label=0,
                       channel_axis=-1, **slic_kwargs)
            seg = torch.from_numpy(seg).to(im.device)
            graphs.append(
                _graph_from_labels(im, seg, int(seg.max()) + 1, noise_cancel, max_direction)
            )
    return Batch.from_data_list(graphs) if batched else graphs[0]


class ToDirectionalSLIC(BaseTransform):
    r"""PyG transform: image :math:`(C, H, W)` -> :class:`SuperpixelData` (functional name
    ``to_directional_slic``).

    A drop-in for :class:`~torch_geometric.transforms.ToSLIC` that also builds
    direction-typed, noise-canceled edges (see :func:`superpixel_graph`).

    Args:
        n_segments (int): approximate number of superpixels. (default: ``75``)
        compactness (float): SLIC compactness. (default: ``10``)
        method (str): ``'skimage'`` or ``'torch'``. (default: ``'skimage'``)
        add_img (bool): also store the image as ``img`` :math:`(1, C, H, W)`.
        **kwargs: passed to :func:`superpixel_graph`.
    """

    def __init__(self, n_segments: int = 75, compactness: float = 10., method: str = 'skimage',
                 add_img: bool = False, **kwargs: Any) -> None:
        check_choice(method, 'method', METHODS)
        check_int(n_segments, 'n_segments', 1)
        check_positive(compactness, 'compactness')
        self.n_segments, self.compactness, self.method = n_segments, compactness, method
        self.add_img = add_img
        self.kwargs = kwargs

    def forward(self, img: Tensor) -> SuperpixelData:
        data = superpixel_graph(img, self.n_segments, self.compactness, method=self.method,
                                **self.kwargs)
        if self.add_img:
            data.img = _as_chw(img).unsqueeze(0)
        return data

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(n_segments={self.n_segments}, '
                f'compactness={self.compactness}, method={self.method!r})')


__all__ = ['superpixel_graph', 'ToDirectionalSLIC', 'SuperpixelData', 'METHODS']
