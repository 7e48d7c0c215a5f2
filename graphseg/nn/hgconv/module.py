r"""Heterogeneous grid convolution, HG-Conv (Hamaguchi et al., CVPR 2021, Sec. 3, Eq. 4-13).

HG-Conv replaces a stack of ``L`` 3x3 Conv-BN-ReLU layers on a feature map by

1. **clustering** the pixels into ``M`` groups (importance map, centre sampling,
   optionally steered by active focus, and differentiable SLIC), giving a sparse
   soft assignment :math:`S` (:mod:`graphseg.nn.hgconv.clustering`);
2. the **group graph**: :math:`\hat A^\delta = S^\top A^\delta S` (Eq. 4) with
   noise canceling (Eq. 7) and max-direction (:func:`graphseg.graphs.group_adjacency`);
3. **pooling** :math:`Z_0 = \bar S^\top X` (Eq. 5 / 8, mean over each group);
4. ``L`` **direction-aware graph convolutions**
   :math:`Z_l = \sigma(\mathrm{BN}(\sum_\delta (\hat D^\delta)^{-1} \hat A^\delta Z_{l-1} W_\delta))` (Eq. 9),
   or a swap-in graph convolution (GCN, GMM, SplineConv, EdgeConv; Table 3);
5. **unpooling** :math:`Z = \tilde S Z_L` (Eq. 6 / 10).

With every pixel its own group this is exactly the Conv-BN-ReLU stack
(Sec. 3): the group graph is the pixel lattice, Eq. 3 is Eq. 2 and pooling /
unpooling are the identity.
"""
from __future__ import annotations

from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Type, Union

import torch
from torch import Tensor, nn
from torch.profiler import record_function
from torch_geometric.data import Batch
from torch_geometric.nn import EdgeConv, GCNConv, GMMConv

from ...check import check_choice, check_finite, check_floating, check_index, check_ndim, check_param_dtype
from ...graphs.directions import NUM_DIRECTIONS
from ...graphs.group_adjacency import Assignment, group_adjacency
from ...graphs.superpixel import SuperpixelData
from ...ops.scatter import scatter
from ...ops.typed import check_typed_edges
from .active_focus import active_focus, check_attention
from .clustering import (SAMPLING, DifferentiableSLIC, SoftClustering, importance_map, sample_centres,
                         sample_centres_per_image)
from ..directional_conv import DirectionalConv
from ..spline_conv import SplineConv

#: Graph convolutions HG-Conv can run on its group graph (paper Table 3).
CONVS = ('directional', 'gcn', 'gmm', 'spline', 'edgeconv')


def cartesian_pseudo(pos: Tensor, edge_index: Tensor, batch: Optional[Tensor] = None,
                     num_graphs: Optional[int] = None) -> Tensor:
    r"""Cartesian pseudo-coordinates in :math:`[0, 1]^2`: :math:`(p_j - p_i) / (2 \max|p_j - p_i|) + 0.5`.

    PyG's ``Cartesian(norm=True)`` for the edge ``j -> i``, applied to each graph
    of a batch on its own: the maximum runs over the edges of the graph the edge
    belongs to (``batch`` of its target node), so one image's coordinates never
    depend on the other images of the batch. It is not differentiated; a graph
    with only self-loops gets ``0.5``.

    Args:
        pos (Tensor): node positions.
        edge_index (LongTensor): ``[source; target]`` of each edge.
        batch (LongTensor, optional): graph of each node (PyG's ``batch``
            vector); default one graph.
        num_graphs (int, optional): number of graphs (default ``batch.max() + 1``).

    Shapes:
        - **input:** pos :math:`(N, 2)`, edge_index :math:`(2, E)`, batch :math:`(N,)`
        - **output:** :math:`(E, 2)`
    """
    check_ndim(pos, 'pos', 2, '(N, D)')
    check_floating(pos, 'pos')
    check_typed_edges(edge_index, torch.zeros_like(edge_index[0]) if edge_index.dim() == 2 else edge_index, 1,
                      num_src=pos.size(0), num_dst=pos.size(0))
    if batch is not None:
        check_index(batch, 'batch')
        if batch.shape != (pos.size(0),):
            raise ValueError(f"batch must have shape (N,) = ({pos.size(0)},), got {tuple(batch.shape)}")
    cart = pos.index_select(0, edge_index[0]) - pos.index_select(0, edge_index[1])
    if not cart.numel():
        return cart + 0.5
    size = cart.detach().abs().amax(1)  # (E,)
    if batch is None:
        scale = size.amax().expand(cart.size(0))
    else:
        graph = batch.index_select(0, edge_index[1])  # (E,) graph of each edge
        num_graphs = int(batch.max()) + 1 if num_graphs is None else num_graphs
        scale = scatter(size, graph, 0, num_graphs, reduce='max').index_select(0, graph)
    return cart / (2 * scale.clamp_min(1e-12)).unsqueeze(-1) + 0.5


def make_graph_conv(name: str, in_channels: int, out_channels: int, bias: bool = True, **kwargs) -> nn.Module:
    """One graph convolution of HG-Conv by name (see :data:`CONVS`); ``kwargs`` go to the layer."""
    check_choice(name, 'conv', CONVS)
    if name == 'directional':
        return DirectionalConv(in_channels, out_channels, bias=bias, **kwargs)
    if name == 'gcn':
        return GCNConv(in_channels, out_channels, bias=bias, **kwargs)
    if name == 'gmm':
        return GMMConv(in_channels, out_channels, dim=2, kernel_size=kwargs.pop('kernel_size', NUM_DIRECTIONS),
                       bias=bias, **kwargs)
    if name == 'spline':
        return SplineConv(in_channels, out_channels, dim=2, kernel_size=kwargs.pop('kernel_size', 3),
                          bias=bias, **kwargs)
    return EdgeConv(nn.Linear(2 * in_channels, out_channels, bias=bias), aggr=kwargs.pop('aggr', 'max'), **kwargs)


class GroupGraph(NamedTuple):
    r"""The group graph of a batch: the soft assignment :math:`S` and :math:`\hat A^\delta` (Eq. 4, 7).

    ``edge_index`` / ``edge_type`` / ``edge_weight`` as returned by
    :func:`~graphseg.graphs.group_adjacency` on the :math:`B M` nodes (group ``g``
    of image ``b`` is node ``b * M + g``).
    """
    S: SoftClustering
    edge_index: Tensor
    edge_type: Tensor
    edge_weight: Tensor


class HGClustering(nn.Module):
    r"""The graph-building half of HG-Conv: importance map, (focused) centre sampling, differentiable
    SLIC and the group adjacency (Sec. 3.1-3.2, Eq. 4, 7, 11).

    :class:`HGConv` runs its graph convolutions on the result; the HG networks
    (:class:`~graphseg.models.HGResNet`) run whole residual stages on it.

    **Sampling.** In training mode the centres are drawn from ``torch``'s global
    generator (a fresh grid every step, as in the paper). In eval mode each image
    draws from its own generator seeded with :attr:`eval_seed`
    (:func:`~graphseg.nn.hgconv.clustering.sample_centres_per_image`), so outputs
    are deterministic and an image gives the same result alone or inside a
    batch. Setting :attr:`generator` overrides both (one stream for the batch).

    Args:
        ratio (float): groups per pixel, in :math:`(0, 1]`. (default: ``1/64``)
        iters (int): differentiable-SLIC rounds. (default: ``3``)
        sampling (str): ``'random'``, ``'importance'`` or ``'topk_random'``. (default: ``'topk_random'``)
        num_groups (int, optional): fixed :math:`M` instead of ``ratio``.
        num_nearest, min_weight, alpha, oversample, beta, noise_cancel, max_direction, tile: as :class:`HGConv`.
        per_length (bool): max-direction per unit of offset length (see
            :func:`~graphseg.graphs.group_adjacency`; not in the paper). (default: ``False``)
    """

    def __init__(self, ratio: float = 1 / 64, iters: int = 3, sampling: str = 'topk_random', *,
                 num_groups: Optional[int] = None, num_nearest: int = 9, min_weight: float = 1e-3,
                 alpha: float = 10., oversample: float = 7., beta: float = 0.75, noise_cancel: bool = True,
                 max_direction: bool = True, tile: Optional[int] = None, per_length: bool = False) -> None:
        super().__init__()
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
            raise ValueError(f"ratio must be a number in (0, 1], got {ratio!r}")
        if num_groups is not None and (isinstance(num_groups, bool) or not isinstance(num_groups, int)
                                       or num_groups < 1):
            raise ValueError(f"num_groups must be an int >= 1, got {num_groups!r}")
        check_choice(sampling, 'sampling', SAMPLING)
        self.ratio, self.fixed_num_groups, self.sampling = ratio, num_groups, sampling
        self.alpha, self.oversample, self.beta = alpha, oversample, beta
        self.noise_cancel, self.max_direction, self.per_length = noise_cancel, max_direction, per_length
        self.clustering = DifferentiableSLIC(iters, num_nearest, min_weight, tile)
        self.generator: Optional[torch.Generator] = None
        self.eval_seed = 0

    def num_groups_for(self, height: int, width: int) -> int:
        """Groups per image :math:`M` for an ``height x width`` map."""
        M = self.fixed_num_groups or max(1, int(round(height * width * self.ratio)))
        if M > height * width:
            raise ValueError(f"num_groups = {M} groups need at least as many pixels, but the map has only "
                             f"{height}x{width} = {height * width} pixels (fewer pixels than groups)")
        return M

    def sample(self, focus: Tensor, num_groups: int) -> Tensor:
        """Centre pixels :math:`(B, M)` from the sampling map (see the class docstring for the random source)."""
        if self.generator is None and not self.training:
            return sample_centres_per_image(focus, num_groups, self.sampling, seed=self.eval_seed,
                                            oversample=self.oversample, beta=self.beta)
        return sample_centres(focus, num_groups, self.sampling, oversample=self.oversample, beta=self.beta,
                              generator=self.generator)

    def cluster(self, x: Tensor, attention: Optional[Tensor] = None) -> SoftClustering:
        """Importance map, (focused) centre sampling and differentiable SLIC on ``x``."""
        B, _, H, W = x.shape
        M = self.num_groups_for(H, W)
        with torch.no_grad():
            importance = importance_map(x.detach())  # (B, H, W): NaN / inf wherever x has one
            if not bool(torch.isfinite(importance).all()):  # checking x itself would cost C times more
                check_finite(x, 'x')
            focus = active_focus(importance, attention, self.alpha)  # Eq. 11
            centres = self.sample(focus, M)
        return self.clustering(x, centres)

    def _assignment(self, x: Tensor, attention: Optional[Tensor],
                    assignment: Union[Assignment, SoftClustering, None]) -> SoftClustering:
        B, _, H, W = x.shape
        if assignment is None:
            if attention is not None:
                attention = check_attention(attention, (B, H, W))
            return self.cluster(x, attention)
        if attention is not None:
            raise ValueError("attention steers the centre sampling; it cannot be combined with a given "
                             "assignment")
        if isinstance(assignment, SoftClustering):
            if (assignment.batch_size, assignment.height, assignment.width) != (B, H, W):
                raise ValueError(f"assignment must cover (B, H, W) = ({B}, {H}, {W}), got "
                                 f"({assignment.batch_size}, {assignment.height}, {assignment.width})")
            return assignment
        S = SoftClustering.from_assignment(assignment, H, W, num_groups=self.fixed_num_groups)
        if S.batch_size != B:
            if S.batch_size != 1:
                raise ValueError(f"assignment must hold 1 or B = {B} maps, got {S.batch_size}")
            S = SoftClustering(S.index.expand(B, -1, -1, -1), S.weight.expand(B, -1, -1, -1), S.num_groups)
        return S

    def group_graph(self, x: Tensor, attention: Optional[Tensor] = None,
                    assignment: Union[Assignment, SoftClustering, None] = None) -> GroupGraph:
        r"""Cluster ``x`` (or take ``assignment``) and build :math:`\hat A^\delta` (Eq. 4 + Eq. 7 + max-direction).

        Shapes:
            - **input:** x :math:`(B, C, H, W)`, attention :math:`(B, H, W)` (optional)
            - **output:** :class:`GroupGraph` on :math:`B M` nodes
        """
        H, W = x.shape[-2:]
        with record_function('hgconv.clustering'):
            S = self._assignment(x, attention, assignment)
        with record_function('hgconv.adjacency'):
            edge_index, edge_type, edge_weight = group_adjacency(
                S.assignment, H, W, num_groups=S.num_groups, noise_cancel=self.noise_cancel,
                max_direction=self.max_direction, per_length=self.per_length)
        return GroupGraph(S, edge_index, edge_type, edge_weight.to(x.dtype))

    def group_edges_per_image(self, graph: GroupGraph) -> List[int]:
        """Edges of each image's group graph (self-loops included)."""
        return torch.bincount(graph.edge_index[1] // graph.S.num_groups, minlength=graph.S.batch_size).tolist()

    def adjacency_macs(self, S: SoftClustering) -> int:
        """MACs per image of :func:`~graphseg.graphs.group_adjacency`: the :math:`k^2` products
        :math:`S_{pi} S_{qj}` of each neighbouring pixel pair in the 4 forward directions."""
        H, W, k = S.height, S.width, S.assignment.index.size(-1)
        return ((H - 1) * W + H * (W - 1) + 2 * (H - 1) * (W - 1)) * k * k

    def clustering_extra_repr(self) -> str:
        groups = f'num_groups={self.fixed_num_groups}' if self.fixed_num_groups else f'ratio={self.ratio:.4g}'
        return f'{groups}, sampling={self.sampling!r}'


class HGConv(HGClustering):
    r"""Heterogeneous grid convolution (`Hamaguchi et al., CVPR 2021 <https://arxiv.org/abs/2104.11176>`_).

    .. math::
        Z_0 = \bar S^\top X, \qquad
        Z_l = \mathrm{ReLU}\Big(\mathrm{BN}\Big(\sum_\delta (\hat D^\delta)^{-1} \hat A^\delta Z_{l-1} W_\delta\Big)\Big),
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
        sampling (str): ``'random'``, ``'importance'`` or ``'topk_random'``. (default: ``'topk_random'``)
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

    def __init__(self, in_channels: int, out_channels: int, num_layers: int = 3, ratio: float = 1 / 64,
                 iters: int = 3, sampling: str = 'topk_random', conv: str = 'directional', *,
                 num_groups: Optional[int] = None, num_nearest: int = 9, min_weight: float = 1e-3,
                 alpha: float = 10., oversample: float = 7., beta: float = 0.75, noise_cancel: bool = True,
                 max_direction: bool = True, norm_layer: Optional[Type[nn.Module]] = nn.BatchNorm1d,
                 act_layer: Optional[Type[nn.Module]] = nn.ReLU, conv_kwargs: Optional[dict] = None,
                 tile: Optional[int] = None, per_length: bool = False) -> None:
        super().__init__(ratio, iters, sampling, num_groups=num_groups, num_nearest=num_nearest,
                         min_weight=min_weight, alpha=alpha, oversample=oversample, beta=beta,
                         noise_cancel=noise_cancel, max_direction=max_direction, tile=tile, per_length=per_length)
        for name, v in (('in_channels', in_channels), ('out_channels', out_channels), ('num_layers', num_layers)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an int >= 1, got {v!r}")
        check_choice(conv, 'conv', CONVS)
        self.in_channels, self.out_channels, self.num_layers, self.conv = in_channels, out_channels, num_layers, conv
        conv_kwargs = dict(conv_kwargs or {})
        bias = norm_layer is None  # a bias before a normalisation is redundant
        self.convs = nn.ModuleList(
            make_graph_conv(conv, in_channels if i == 0 else out_channels, out_channels, bias, **dict(conv_kwargs))
            for i in range(num_layers))
        self.norms = nn.ModuleList(norm_layer(out_channels) if norm_layer is not None else nn.Identity()
                                   for _ in range(num_layers))
        self.act = act_layer() if act_layer is not None else nn.Identity()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in list(self.convs) + list(self.norms):
            if hasattr(m, 'reset_parameters'):
                m.reset_parameters()

    @classmethod
    def from_dense(cls, convs: Sequence[nn.Conv2d], norms: Sequence[nn.Module], **kwargs) -> 'HGConv':
        """An HG-Conv with ``conv='directional'`` holding copies of a Conv2d-BN-ReLU stack's weights.

        ``convs`` are 3x3, stride-1, padding-1 convolutions; ``norms`` their
        ``BatchNorm2d`` layers (parameters and running statistics are copied).
        """
        if len(convs) != len(norms) or not convs:
            raise ValueError(f"convs and norms must be non-empty and of equal length, got {len(convs)} and "
                             f"{len(norms)}")
        kwargs.setdefault('norm_layer', nn.BatchNorm1d)
        layer = cls(convs[0].in_channels, convs[0].out_channels, len(convs), conv='directional', **kwargs)
        for i, (conv, norm) in enumerate(zip(convs, norms)):
            layer.convs[i] = DirectionalConv.from_conv2d(conv)
            state = {k: v for k, v in norm.state_dict().items()}
            layer.norms[i].load_state_dict(state)
        return layer.to(convs[0].weight.device)

    def _check_input(self, x: Tensor) -> None:
        check_ndim(x, 'x', 4, '(B, C, H, W)')
        check_floating(x, 'x')
        if x.size(1) != self.in_channels:
            raise ValueError(f"x must have in_channels = {self.in_channels} channels, got shape {tuple(x.shape)}")
        if x.numel() == 0:
            raise ValueError(f"x must be non-empty, got shape {tuple(x.shape)}")
        check_param_dtype(x, 'x', next(self.parameters(), None))

    # -- forward
    def _graph_conv(self, conv: nn.Module, z: Tensor, edge_index: Tensor, edge_type: Tensor,
                    edge_weight: Tensor, pseudo: Optional[Tensor]) -> Tensor:
        if self.conv == 'directional':
            return conv(z, edge_index, edge_type, edge_weight)
        if self.conv == 'gcn':
            return conv(z, edge_index, edge_weight)
        if self.conv in ('gmm', 'spline'):
            return conv(z, edge_index, pseudo)
        return conv(z, edge_index)

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
        if self.conv in ('gmm', 'spline') or return_graph:
            with record_function('hgconv.adjacency'):
                pos = S.centroids()  # (B M, 2) as (x, y)
                B, M = S.batch_size, S.num_groups
                graph = torch.arange(B, device=x.device).repeat_interleave(M)  # (B M,) image of each node
                pseudo = cartesian_pseudo(pos, edge_index, graph, B)  # normalised per image
        with record_function('hgconv.pooling'):
            z = z0 = S.pool(x)  # Eq. 5 / 8: (B M, C)
        with record_function('hgconv.graph_conv'):
            for conv, norm in zip(self.convs, self.norms):  # Eq. 9
                z = self.act(norm(self._graph_conv(conv, z, edge_index, edge_type, edge_weight, pseudo)))
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
        for b, (ei, et, ew, ea) in enumerate(zip(edge_index.split(counts, 1), edge_type.split(counts),
                                                 edge_weight.split(counts), pseudo.split(counts))):
            nodes = slice(b * M, (b + 1) * M)
            d = SuperpixelData(x=z0[nodes], x_out=z[nodes], pos=pos[nodes], edge_index=ei - b * M, edge_type=et,
                               edge_weight=ew, edge_attr=ea, seg=labels[b:b + 1], num_pixels=sizes[nodes])
            if S.centres is not None:
                d.centre = S.centres[b]
            data.append(d)
        return Batch.from_data_list(data)

    # -- cost
    @torch.no_grad()
    def count_macs(self, x: Tensor, attention: Optional[Tensor] = None) -> List[Dict[str, int]]:
        """MACs per image of one forward pass on ``x`` (clustering, adjacency, pooling, graph conv,
        unpooling), from the group graph each image gets; see :func:`graphseg.engine.flops.hgconv_macs`."""
        from ...engine.flops import hgconv_macs
        self._check_input(x)
        B, C, H, W = x.shape
        graph = self.group_graph(x, attention)
        S, M, edges = graph.S, graph.S.num_groups, self.group_edges_per_image(graph)
        kwargs = dict(conv_kwargs_kernel(self.convs[0], self.conv))
        return [hgconv_macs(H * W, C, self.out_channels, self.num_layers, M, edges[b],
                            S.block_entries() // B, self.clustering.iters, adjacency_pairs=self.adjacency_macs(S),
                            conv=self.conv, **kwargs) for b in range(B)]

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.out_channels}, num_layers={self.num_layers}, '
                f'{self.clustering_extra_repr()}, conv={self.conv!r}')


def conv_kwargs_kernel(conv: nn.Module, name: str) -> Dict[str, int]:
    """The kernel-size arguments :func:`~graphseg.engine.flops.hgconv_macs` needs for a swap-in layer."""
    if name == 'gmm':
        return {'kernel_size': int(conv.kernel_size)}
    if name == 'spline':
        return {'kernel_size': int(conv.K), 'spline_products': int((conv.degree + 1) ** conv.dim)}
    return {}


__all__ = ['HGConv', 'HGClustering', 'GroupGraph', 'CONVS', 'make_graph_conv', 'cartesian_pseudo']
