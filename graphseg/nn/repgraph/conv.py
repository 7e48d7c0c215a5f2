r"""The RepGraph layer as PyG message passing over a representative graph (the graph path)."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing

from ...check import check_floating, check_index, check_int, check_ndim, check_param_dtype
from ...graphs.representative import lattice_node_map, representative_graph, sampling_pattern
from ...ops import scatter, segment_softmax


class RepGraphConv(MessagePassing):
    r"""Representative graph layer of Yu et al., *Representative Graph Neural Network*, ECCV 2020
    (https://arxiv.org/abs/2008.05202), by message passing.

    Every node :math:`i` samples :math:`S` representative nodes at
    :math:`p_n = p_i + b_n + \Delta p_n` (base pattern
    :func:`~graphseg.graphs.sampling_pattern`, offsets
    :math:`\Delta p = \mathrm{Linear}(x_i)` zero-initialised), reads them by
    bilinear interpolation over the representative graph
    (:func:`~graphseg.graphs.representative_graph`, Eq. 7-8) and attends to them
    (Eq. 6):

    .. math::
        \tilde y_i = \sum_{n=1}^{S} a_{in}\, s_g(n), \qquad
        a_{in} = \operatorname{softmax}_n\big(x_\theta(i)^\top s_\phi(n)\big), \qquad
        s(n) = \sum_{t \to i \text{ of sample } n} G(t, p_n)\, x(t).

    As messages: the logit of sample :math:`n` is a sum over its (at most 4)
    edges of :math:`G_{t \to i}\, x_\theta(i)^\top x_\phi(t)` (:meth:`edge_update`),
    the softmax runs over the :math:`S` samples of each node
    (:func:`graphseg.ops.segment_softmax`) and the message of edge ``t -> i`` is
    :math:`a_{in}\, G_{t \to i}\, x_g(t)`. With ``groups = G`` the channels are
    split into :math:`G` groups, each with its own samples and attention
    (Group RepGraph), and the outputs are concatenated.

    :meth:`forward` works on any graph whose nodes sit on an integer lattice
    (``pos`` as PyG's ``(x, y)``): pixel graphs, feature-map graphs, masked or
    cropped pixel sets; lattice points without a node contribute zero, like the
    outside of an image. :class:`graphseg.nn.RepGraph` runs the same parameters
    on images, by this graph path or by a dense gather (equal to 1e-5).

    Args:
        in_channels (int): :math:`C`.
        inter_channels (int): :math:`C'`, channels of :math:`x_\theta, x_\phi, x_g`
            and of the output.
        num_samples (int): representative nodes per node :math:`S`. (default: ``9``)
        groups (int): channel groups :math:`G`; must divide ``inter_channels``. (default: ``1``)
        dilation (float): spacing of the base sampling pattern. (default: ``1``)
        embed (bool): learn :math:`\theta, \phi, g` as linear maps; ``False``
            uses the input itself (then ``inter_channels == in_channels``; the
            Bottleneck RepGraph does this after its reduce conv). (default: ``True``)
        bias (bool): biases of :math:`\theta, \phi, g`. (default: ``True``)

    Shapes:
        - **input:** node features :math:`(N, C)`, positions :math:`(N, 2)`
          integer ``(x, y)``, batch :math:`(N,)` (optional)
        - **output:** :math:`(N, C')`
    """

    def __init__(self, in_channels: int, inter_channels: int, num_samples: int = 9, *,
                 groups: int = 1, dilation: float = 1, embed: bool = True, bias: bool = True,
                 device: Optional[torch.device] = None,
                 dtype: Optional[torch.dtype] = None) -> None:
        super().__init__(aggr='add', node_dim=0)
        check_int(in_channels, 'in_channels', 1)
        check_int(inter_channels, 'inter_channels', 1)
        check_int(num_samples, 'num_samples', 1)
        check_int(groups, 'groups', 1)
        if inter_channels % groups:
            raise ValueError(f"inter_channels ({inter_channels}) must be divisible by groups "
                             f"({groups})")
        if not embed and inter_channels != in_channels:
            raise ValueError("embed=False uses the input as x_theta, x_phi, x_g, so "
                             "inter_channels must equal "
                             f"in_channels = {in_channels}, got {inter_channels}")
        self.in_channels, self.inter_channels = in_channels, inter_channels
        self.num_samples, self.groups, self.dilation = num_samples, groups, dilation
        self.embed = embed
        kw = dict(device=device, dtype=dtype)
        make = (
            (lambda: nn.Linear(in_channels, inter_channels, bias=bias, **kw))
            if embed
            else nn.Identity
        )
        self.theta, self.phi, self.g = make(), make(), make()
        # (dy, dx) per sample and group
        self.offset = nn.Linear(in_channels, 2 * num_samples * groups, **kw)
        self.register_buffer('pattern', sampling_pattern(num_samples, dilation, device=device,
                                                         dtype=dtype or torch.get_default_dtype()),
                             persistent=False)  # (S, 2) b_n
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in (self.theta, self.phi, self.g):
            if isinstance(m, nn.Linear):
                m.reset_parameters()
        # zero offsets: sampling starts at the base pattern (the 3x3 neighbourhood for S = 9)
        nn.init.zeros_(self.offset.weight)
        nn.init.zeros_(self.offset.bias)

    def forward(self, x: Tensor, pos: Tensor, batch: Optional[Tensor] = None) -> Tensor:
        check_ndim(x, 'x', 2, '(N, C)')
        check_floating(x, 'x')
        if x.size(1) != self.in_channels:
            raise ValueError(f"x must have in_channels = {self.in_channels} columns, got "
                             f"{x.size(1)}")
        check_param_dtype(x, 'x', next(self.parameters(), None))
        N, G, S = x.size(0), self.groups, self.num_samples
        node_map, origin = lattice_node_map(pos, batch)  # (B, H, W) lattice pixel -> node id
        if batch is None:
            batch = torch.zeros(N, dtype=torch.long, device=x.device)
        B, H, W = node_map.shape
        p = (pos.flip(-1) - origin.flip(-1)).to(x.dtype)  # (N, 2) as (y, x) on the lattice
        offsets = self.offset(x).view(N, G, S, 2)  # (N, G, S, 2)
        positions = p[:, None, None, :] + self.pattern.to(x.dtype) + offsets  # (N, G, S, 2)
        # group gamma of node n becomes node n * G + gamma on lattice image b * G + gamma
        gamma = torch.arange(G, device=x.device)
        group_map = torch.where(node_map[:, None] >= 0,
                                node_map[:, None] * G + gamma.view(1, G, 1, 1),
                                -1).view(B * G, H, W)  # (B*G, H, W)
        graph = representative_graph(positions.view(N * G, S, 2), H, W,
                                     batch=(batch.view(-1, 1) * G + gamma).view(-1),
                                     node_map=group_map)
        rows = (N * G, self.inter_channels // G)  # node-major rows n * G + gamma
        out = self.attend(self.theta(x).reshape(rows), self.phi(x).reshape(rows),
                          self.g(x).reshape(rows), graph.edge_index, graph.edge_weight,
                          graph.edge_attr, S)
        return out.view(N, self.inter_channels)

    def attend(self, query: Tensor, key: Tensor, value: Tensor, edge_index: Tensor,
               edge_weight: Tensor, sample: Tensor, num_samples: int) -> Tensor:
        r"""Eq. 6 by message passing over a representative graph (the graph path of
        :class:`RepGraph`).

        Args:
            query (Tensor): :math:`x_\theta` of the :math:`Q` queries (targets).
            key (Tensor): :math:`x_\phi` of the :math:`N` source nodes.
            value (Tensor): :math:`x_g` of the source nodes.
            edge_index (LongTensor): ``[source; query]`` of every edge.
            edge_weight (Tensor): bilinear weight :math:`G(t, p_n)` of every edge.
            sample (LongTensor): sample id :math:`n` of every edge (``edge_attr``
                of :func:`~graphseg.graphs.representative_graph`).
            num_samples (int): :math:`S`.

        Shapes:
            - **input:** query :math:`(Q, C)`, key / value :math:`(N, C)`,
              edge_index :math:`(2, E)`, edge_weight / sample :math:`(E,)`
            - **output:** :math:`(Q, C)`
        """
        check_index(sample, 'sample')
        Q, S = query.size(0), num_samples
        seg = edge_index[1] * S + sample  # (E,) the (query, sample) pair of each edge
        # Eq. 6-8: logit_in = x_theta(i) . s_phi(n) = sum over the edges of sample n of G *
        # x_theta(i) . x_phi(t)
        score = self.edge_updater(edge_index, query=query, key=key, edge_weight=edge_weight)  # (E,)
        # (Q*S,); a sample fully outside reads 0
        logits = scatter(score, seg, 0, Q * S, reduce='sum')
        # (Q*S,)
        attn = segment_softmax(logits, torch.arange(Q, device=query.device).repeat_interleave(S), Q)
        return self.propagate(edge_index, value=value, coef=attn[seg] * edge_weight,
                              size=(key.size(0), Q))

    def edge_update(self, query_i: Tensor, key_j: Tensor, edge_weight: Tensor) -> Tensor:
        return edge_weight * (query_i * key_j).sum(dim=-1)

    def message(self, value_j: Tensor, coef: Tensor) -> Tensor:
        return coef.unsqueeze(-1) * value_j  # a_in * G(t, p_n) * x_g(t)

    def __repr__(self) -> str:
        extra = '' if self.embed else ', embed=False'
        return (f'{self.__class__.__name__}({self.in_channels}, {self.inter_channels}, '
                f'num_samples={self.num_samples}, groups={self.groups}{extra})')


__all__ = ['RepGraphConv']
