r"""Heterogeneous grid convolution, HG-Conv (Hamaguchi et al., CVPR 2021, Sec. 3, Eq. 4-13).

HG-Conv replaces a stack of ``L`` 3x3 Conv-BN-ReLU layers on a feature map by

1. **clustering** the pixels into ``M`` groups (importance map, centre sampling,
   optionally steered by active focus, and differentiable SLIC), giving a sparse
   soft assignment :math:`S` (:mod:`graphseg.nn.hgconv.clustering`);
2. the **group graph**: :math:`\hat A^\delta = S^\top A^\delta S` (Eq. 4) with
   noise canceling (Eq. 7) and max-direction (:func:`graphseg.graphs.group_adjacency`);
3. **pooling** :math:`Z_0 = \bar S^\top X` (Eq. 5 / 8, mean over each group);
4. ``L`` **direction-aware graph convolutions** (Eq. 9)
   :math:`Z_l = \sigma(\mathrm{BN}(\sum_\delta (\hat D^\delta)^{-1} \hat A^\delta Z_{l-1}
   W_\delta))`, or a swap-in graph convolution (GCN, GMM, SplineConv, EdgeConv; Table 3);
5. **unpooling** :math:`Z = \tilde S Z_L` (Eq. 6 / 10).

With every pixel its own group this is exactly the Conv-BN-ReLU stack
(Sec. 3): the group graph is the pixel lattice, Eq. 3 is Eq. 2 and pooling /
unpooling are the identity.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple, Type, Union

import torch
from torch import Tensor, nn
from torch.profiler import record_function
from torch_geometric.data import Batch

from ...check import check_choice, check_floating, check_int, check_ndim, check_param_dtype
from ...graphs.superpixel import SuperpixelData
from ...graphs.group_adjacency import Assignment
from ...ops.macs import hgconv_macs
from ..directional_conv import DirectionalConv
from ..graph_convs import CONVS, GRAPH_CONVS, GraphConvSpec, cartesian_pseudo, make_graph_conv
from .clustering import SoftClustering
from .group_graph import HGClustering


class HGConv(HGClustering):
    r"""Heterogeneous grid convolution (`Hamaguchi et al., CVPR 2021 <https://arxiv.org/abs/2104.11176>`_).

    .. math::
        Z_0 = \bar S^\top X, \qquad
        Z_l = \mathrm{ReLU}\Big(\mathrm{BN}\Big(\sum_\delta (\hat D^\delta)^{-1} \hat A^\delta
        Z_{l-1} W_\delta\Big)\Big),
        \qquad Z = \tilde S Z_L

    on ``M = round(H W * ratio)`` groups per image (Eq. 8-10). BatchNorm
    normalises over the nodes of all images of the batch (``BatchNorm1d`` on the
    ``(B M, C)`` node features), as a ``BatchNorm2d`` normalises over all pixels.
    The centres are sampled at random (in training mode from ``torch``'s global
    generator, in eval mode from a per-image generator, so eval outputs are
    deterministic and batch-independent; see :class:`HGClustering`); pass
    ``attention`` for active focus (Eq. 11-13), or a fixed ``assignment`` to
    skip the clustering.

    Args:
        in_channels (int): :math:`C`.
        out_channels (int): :math:`C'`.
        num_layers (int): graph convolutions :math:`L`. (default: ``3``)
        ratio (float): groups per pixel, in :math:`(0, 1]`. (default: ``1/64``)
        iters (int): differentiable-SLIC rounds. (default: ``3``)
        sampling (str): ``'random'``, ``'importance'`` or ``'topk_random'``.
            (default: ``'topk_random'``)
        conv (str): ``'directional'``, ``'gcn'``, ``'gmm'``, ``'spline'`` or ``'edgeconv'``.
            (default: ``'directional'``)
        num_groups (int, optional): fixed :math:`M` instead of ``ratio``.
        num_nearest (int): centres per pixel in the clustering. (default: ``9``)
        min_weight (float): clustering filter threshold. (default: ``1e-3``)
        alpha (float): active-focus weight :math:`\alpha` (Eq. 11). (default: ``10``)
        oversample (float): :math:`k` of ``'topk_random'``. (default: ``7``)
        beta (float): :math:`\beta` of ``'topk_random'``. (default: ``0.75``)
        noise_cancel (bool): Eq. 7. (default: ``True``)
        max_direction (bool): one direction per group pair. (default: ``True``)
        norm_layer (type, optional): node normalisation class. (default: ``nn.BatchNorm1d``)
        act_layer (type, optional): activation class. (default: ``nn.ReLU``)
        conv_kwargs (dict, optional): extra arguments of the graph convolutions.
        tile (int, optional): tile side of the products with :math:`S`.
        per_length (bool): max-direction per unit of offset length (not in the paper; see
            :func:`~graphseg.graphs.group_adjacency`). (default: ``False``)

    Shapes:
        - **input:** x :math:`(B, C, H, W)`, attention :math:`(B, H, W)` (optional)
        - **output:** :math:`(B, C', H, W)` (and a PyG ``Batch`` of the B group
          graphs with ``return_graph=True``)
    """

    def __init__(self, in_channels: int, out_channels: int, num_layers: int = 3,
                 ratio: float = 1 / 64, iters: int = 3, sampling: str = 'topk_random',
                 conv: str = 'directional', *, num_groups: Optional[int] = None,
                 num_nearest: int = 9, min_weight: float = 1e-3, alpha: float = 10.,
                 oversample: float = 7., beta: float = 0.75, noise_cancel: bool = True,
                 max_direction: bool = True, norm_layer: Optional[Type[nn.Module]] = nn.BatchNorm1d,
                 act_layer: Optional[Type[nn.Module]] = nn.ReLU, conv_kwargs: Optional[dict] = None,
                 tile: Optional[int] = None, per_length: bool = False) -> None:
        super().__init__(ratio, iters, sampling, num_groups=num_groups, num_nearest=num_nearest,
                         min_weight=min_weight, alpha=alpha, oversample=oversample, beta=beta,
                         noise_cancel=noise_cancel, max_direction=max_direction, tile=tile,
                         per_length=per_length)
        for name, v in (('in_channels', in_channels), ('out_channels', out_channels),
                        ('num_layers', num_layers)):
            check_int(v, name, 1)
        check_choice(conv, 'conv', CONVS)
        self.in_channels, self.out_channels, self.num_layers = in_channels, out_channels, num_layers
        self.conv = conv
        conv_kwargs = dict(conv_kwargs or {})
        bias = norm_layer is None  # a bias before a normalisation is redundant
        self.convs = nn.ModuleList(
            make_graph_conv(conv, in_channels if i == 0 else out_channels, out_channels, bias,
                            **dict(conv_kwargs))
            for i in range(num_layers))
        self.norms = nn.ModuleList(
            norm_layer(out_channels) if norm_layer is not None else nn.Identity()
            for _ in range(num_layers)
        )
        self.act = act_layer() if act_layer is not None else nn.Identity()
        self.reset_parameters()

    @property
    def spec(self) -> GraphConvSpec:
        """How this module's graph convolution is built and called
        (:data:`~graphseg.nn.GRAPH_CONVS`)."""
        return GRAPH_CONVS[self.conv]

    def reset_parameters(self) -> None:
        for m in list(self.convs) + list(self.norms):
            if hasattr(m, 'reset_parameters'):
                m.reset_parameters()

    @classmethod
    def from_dense(cls, convs: Sequence[nn.Conv2d], norms: Sequence[nn.Module],
                   **kwargs) -> 'HGConv':
        """An HG-Conv with ``conv='directional'`` holding copies of a Conv2d-BN-ReLU stack's
        weights.

        ``convs`` are 3x3, stride-1, padding-1 convolutions; ``norms`` their
        ``BatchNorm2d`` layers (parameters and running statistics are copied).
        """
        if len(convs) != len(norms) or not convs:
            raise ValueError("convs and norms must be non-empty and of equal length, got "
                             f"{len(convs)} and {len(norms)}")
        kwargs.setdefault('norm_layer', nn.BatchNorm1d)
        layer = cls(convs[0].in_channels, convs[0].out_channels, len(convs), conv='directional',
                    **kwargs)
        for i, (conv, norm) in enumerate(zip(convs, norms)):
            layer.convs[i] = DirectionalConv.from_conv2d(conv)
            state = {k: v for k, v in norm.state_dict().items()}
            layer.norms[i].load_state_dict(state)
        return layer.to(convs[0].weight.device)

    def _check_input(self, x: Tensor) -> None:
        check_ndim(x, 'x', 4, '(B, C, H, W)')
        check_floating(x, 'x')
        if x.size(1) != self.in_channels:
            raise ValueError(f"x must have in_channels = {self.in_channels} channels, got shape "
                             f"{tuple(x.shape)}")
        if x.numel() == 0:
            raise ValueError(f"x must be non-empty, got shape {tuple(x.shape)}")
        check_param_dtype(x, 'x', next(self.parameters(), None))

    # -- forward
    def forward(self, x: Tensor, attention: Optional[Tensor] = None, *,
                assignment: Union[Assignment, SoftClustering, None] = None,
                return_graph: bool = False) -> Union[Tensor, Tuple[Tensor, Batch]]:
        """Run HG-Conv on ``x``.

        Args:
            x (Tensor): feature map :math:`(B, C, H, W)`.
            attention (Tensor, optional): :math:`C_{attn}` :math:`(B, H, W)` for active focus
                (e.g. :func:`~graphseg.nn.uncertainty_attention`).
            assignment (optional): a fixed assignment instead of the clustering: a
                :class:`SoftClustering`, hard labels :math:`(B, H, W)` or a soft
                ``(index, weight)`` pair (groups per image: ``num_groups`` or the
                largest id + 1).
            return_graph (bool): also return the PyG ``Batch`` of group graphs
                (``x`` = pooled :math:`Z_0`, ``x_out`` = :math:`Z_L`, ``pos`` = centroids,
                ``edge_index`` / ``edge_type`` / ``edge_weight`` = :math:`\\hat A^\\delta`,
                ``edge_attr`` = Cartesian pseudo-coordinates, ``seg`` = hard labels,
                ``num_pixels`` = group sizes).
        """
        self._check_input(x)
        S, edge_index, edge_type, edge_weight = self.group_graph(x, attention, assignment)
        pos = pseudo = None
        if self.spec.pseudo or return_graph:
            with record_function('hgconv.adjacency'):
                pos = S.centroids()  # (B M, 2) as (x, y)
                B, M = S.batch_size, S.num_groups
                # (B M,) image of each node
                graph = torch.arange(B, device=x.device).repeat_interleave(M)
                pseudo = cartesian_pseudo(pos, edge_index, graph, B)  # normalised per image
        with record_function('hgconv.pooling'):
            z = z0 = S.pool(x)  # Eq. 5 / 8: (B M, C)
        with record_function('hgconv.graph_conv'):
            for conv, norm in zip(self.convs, self.norms):  # Eq. 9
                z = self.act(
                    norm(self.spec.call(conv, z, edge_index, edge_type, edge_weight, pseudo))
                )
        with record_function('hgconv.unpooling'):
            out = S.unpool(z)  # Eq. 6 / 10: (B, C', H, W)
        if not return_graph:
            return out
        return out, self._group_graphs(S, z0, z, pos, edge_index, edge_type, edge_weight, pseudo)

    @staticmethod
    def _group_graphs(S: SoftClustering, z0: Tensor, z: Tensor, pos: Tensor, edge_index: Tensor,
                      edge_type: Tensor, edge_weight: Tensor, pseudo: Tensor) -> Batch:
        B, M = S.batch_size, S.num_groups
        image = edge_index[1] // M  # edges are sorted by target, so image by image
        counts = torch.bincount(image, minlength=B).tolist()
        labels, sizes = S.labels(), S.sizes()
        data = []
        for b, (ei, et, ew,
                ea) in enumerate(zip(edge_index.split(counts, 1), edge_type.split(counts),
                                                 edge_weight.split(counts), pseudo.split(counts))):
            nodes = slice(b * M, (b + 1) * M)
            d = SuperpixelData(x=z0[nodes], x_out=z[nodes], pos=pos[nodes], edge_index=ei - b * M,
                               edge_type=et, edge_weight=ew, edge_attr=ea, seg=labels[b:b + 1],
                               num_pixels=sizes[nodes])
            if S.centres is not None:
                d.centre = S.centres[b]
            data.append(d)
        return Batch.from_data_list(data)

    # -- cost
    @torch.no_grad()
    def count_macs(self, x: Tensor, attention: Optional[Tensor] = None) -> List[Dict[str, int]]:
        """MACs per image of one forward pass on ``x`` (clustering, adjacency, pooling, graph conv,
        unpooling), from the group graph each image gets; see
        :func:`graphseg.ops.macs.hgconv_macs`."""
        self._check_input(x)
        B, C, H, W = x.shape
        graph = self.group_graph(x, attention)
        S, M, edges = graph.S, graph.S.num_groups, self.group_edges_per_image(graph)
        kwargs = self.spec.macs_kwargs(self.convs[0])
        return [hgconv_macs(H * W, C, self.out_channels, self.num_layers, M, edges[b],
                            S.block_entries() // B, self.clustering.iters,
                            adjacency_pairs=self.adjacency_macs(S), conv=self.conv,
                            **kwargs) for b in range(B)]

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.out_channels}, num_layers={self.num_layers}, '
                f'{self.clustering_extra_repr()}, conv={self.conv!r}')


__all__ = ['HGConv']
