r"""HG-ResNet: a dilated ResNet whose stage 4 runs on HG-Conv's group graph (Hamaguchi et al., CVPR
2021, Sec. 4.4).

HG-ResNet clusters the stage-3 map into :math:`M = HW \cdot \text{ratio}` groups
(ratio 1/64 by default), pools it onto the groups (Eq. 8), runs **every
residual block of stage 4 on the group nodes**, un-pools the result (Eq. 10),
concatenates it with the stage-3 output and refines the two by a 1x1
Conv-BN-ReLU; the head, classifier and auxiliary head (on the HG stage's input,
the stage-3 map) are those of the dense counterpart
(:class:`~graphseg.models.DilatedResNet`). Inside stage 4:

* each 3x3 convolution becomes a :class:`~graphseg.nn.DirectionalConv` on
  :math:`\hat A^\delta` (Eq. 3, 9) with the kernel's 9 taps as its 9 direction
  weights (:class:`DirectionalConv3x3`);
* each 1x1 convolution, the downsample projection included, becomes the same
  linear map applied to every node (:class:`NodeLinear`);
* each ``BatchNorm2d`` becomes a ``BatchNorm1d`` over the nodes of all images
  of the batch (as a ``BatchNorm2d`` normalises over all pixels).

Stage 4's ``state_dict`` has exactly the dense ResNet's keys and shapes
(``layer4.0.conv1.weight`` is ``(C_out, C_in, 3, 3)``), so torchvision weights
load into ``model.backbone`` and :meth:`HGResNet.from_resnet` converts a dense
model. With every pixel its own group the HG stage *is* the dense stage 4 run
without stride or dilation (the group graph is the pixel lattice, pooling and
unpooling are the identity), which the tests check to 1e-5, gradients included.
The stride and dilation of the dense stage have no counterpart: the groups set
the resolution.
"""
from __future__ import annotations

import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_floating, check_int, check_ndim
from ..ops.macs import hg_clustering_macs, linear_macs, typed_graph_conv_macs
from ..directions import NUM_DIRECTIONS, direction_weights_to_kernel, kernel_to_direction_weights
from ..nn.directional_conv import DirectionalConv, directional_edge_weight
from ..nn.hgconv import GroupGraph, HGClustering, SoftClustering
from .backbones.resnet import BasicBlock, Bottleneck, ResNet
from .baselines import ConvBNReLU
from .dilated import DilatedResNet, deformable_stage, dilated_backbone
from .registry import register_model

#: the classes and helpers; every @register_model factory below is appended by the registry
__all__ = ['HGResNet', 'HGStage', 'GraphBasicBlock', 'GraphBottleneck', 'DirectionalConv3x3',
           'NodeLinear', 'graph_block']


# ----------------------------------------------------------------------------- graph layers with
# conv weights

class DirectionalConv3x3(DirectionalConv):
    r"""A :class:`~graphseg.nn.DirectionalConv` that saves and loads its weight as a 3x3
    ``nn.Conv2d`` kernel.

    The parameter is held as the 9 direction matrices :math:`(9, C_{in}, C_{out})`
    the typed kernel needs; ``state_dict()`` writes it as the kernel
    :math:`(C_{out}, C_{in}, 3, 3)` and ``load_state_dict`` accepts either layout
    (:func:`~graphseg.graphs.kernel_to_direction_weights`), so the graph
    counterpart of a ResNet stage has the keys and shapes of the dense one.
    """

    def __init__(self, in_channels: int, out_channels: int, num_directions: int = NUM_DIRECTIONS,
                 normalize: bool = True, bias: bool = True, **kwargs) -> None:
        if num_directions != NUM_DIRECTIONS:
            raise ValueError(f"num_directions must be {NUM_DIRECTIONS} (the taps of a 3x3 "
                             f"kernel), got {num_directions!r}")
        super().__init__(in_channels, out_channels, num_directions, normalize, bias, **kwargs)
        self.register_state_dict_post_hook(_save_as_kernel)
        self.register_load_state_dict_pre_hook(_load_from_kernel)


def _save_as_kernel(module: nn.Module, state_dict: dict, prefix: str, local_metadata: dict) -> None:
    key = prefix + 'weight'
    if key in state_dict:
        state_dict[key] = direction_weights_to_kernel(state_dict[key])


def _load_from_kernel(module: nn.Module, state_dict: dict, prefix: str, *args) -> None:
    key = prefix + 'weight'
    if key in state_dict and state_dict[key].dim() == 4:  # (C_out, C_in, 3, 3) -> (9, C_in, C_out)
        state_dict[key] = kernel_to_direction_weights(state_dict[key])


class NodeLinear(nn.Module):
    r"""A 1x1 convolution applied to node features: :math:`z_i W^\top + b` with ``nn.Conv2d``'s
    weight :math:`(C_{out}, C_{in}, 1, 1)` (so its ``state_dict`` is the convolution's).

    Shapes:
        - **input:** :math:`(N, C_{in})`
        - **output:** :math:`(N, C_{out})`
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = False) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # nn.Conv2d's init
        ref = nn.Conv2d(self.in_channels, self.out_channels, 1, bias=self.bias is not None)
        with torch.no_grad():
            self.weight.copy_(ref.weight)
            if self.bias is not None:
                self.bias.copy_(ref.bias)

    def forward(self, z: Tensor) -> Tensor:
        return F.linear(z, self.weight.flatten(1), self.bias)

    def extra_repr(self) -> str:
        return f'{self.in_channels}, {self.out_channels}' + (
            '' if self.bias is not None else ', bias=False'
        )


def _node_projection(inplanes: int, planes: int, norm_layer) -> nn.Sequential:
    return nn.Sequential(NodeLinear(inplanes, planes), norm_layer(planes))


class GraphBasicBlock(nn.Module):
    r""":class:`~graphseg.models.BasicBlock` on a group graph: two 3x3 convs as
    :class:`DirectionalConv3x3`.

    ``edge_weight`` must already be degree-normalised (:math:`(\hat D^\delta)^{-1} \hat A^\delta`,
    :func:`~graphseg.nn.directional_conv.directional_edge_weight`); :class:`HGStage` normalises once
    for all blocks.

    Shapes:
        - **input:** node features :math:`(N, C_{in})`, edge_index :math:`(2, E)`, edge_type /
          edge_weight :math:`(E,)`
        - **output:** :math:`(N, C_{out})`
    """
    expansion = 1

    def __init__(self, inplanes: int, planes: int, downsample: bool = False,
                 norm_layer=nn.BatchNorm1d) -> None:
        super().__init__()
        check_int(inplanes, 'inplanes', 1)
        check_int(planes, 'planes', 1)
        self.in_channels, self.out_channels = inplanes, planes
        self.conv1 = DirectionalConv3x3(inplanes, planes, normalize=False, bias=False)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = DirectionalConv3x3(planes, planes, normalize=False, bias=False)
        self.bn2 = norm_layer(planes)
        self.downsample = _node_projection(inplanes, planes, norm_layer) if downsample else None

    def forward(self, z: Tensor, edge_index: Tensor, edge_type: Tensor,
                edge_weight: Tensor) -> Tensor:
        identity = z if self.downsample is None else self.downsample(z)
        out = self.relu(self.bn1(self.conv1(z, edge_index, edge_type, edge_weight)))
        out = self.bn2(self.conv2(out, edge_index, edge_type, edge_weight))
        return self.relu(out + identity)


class GraphBottleneck(nn.Module):
    r""":class:`~graphseg.models.Bottleneck` on a group graph: 1x1 -> :class:`NodeLinear`, 3x3 ->
    :class:`DirectionalConv3x3` (normalised ``edge_weight`` expected, as :class:`GraphBasicBlock`).

    Shapes:
        - **input:** node features :math:`(N, C_{in})`, edge_index :math:`(2, E)`, edge_type /
          edge_weight :math:`(E,)`
        - **output:** :math:`(N, 4 \cdot \text{planes})`
    """
    expansion = 4

    def __init__(self, inplanes: int, planes: int, downsample: bool = False,
                 norm_layer=nn.BatchNorm1d) -> None:
        super().__init__()
        check_int(inplanes, 'inplanes', 1)
        check_int(planes, 'planes', 1)
        self.in_channels, self.out_channels = inplanes, planes * self.expansion
        self.conv1 = NodeLinear(inplanes, planes)
        self.bn1 = norm_layer(planes)
        self.conv2 = DirectionalConv3x3(planes, planes, normalize=False, bias=False)
        self.bn2 = norm_layer(planes)
        self.conv3 = NodeLinear(planes, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _node_projection(inplanes, planes * self.expansion,
                                           norm_layer) if downsample else None

    def forward(self, z: Tensor, edge_index: Tensor, edge_type: Tensor,
                edge_weight: Tensor) -> Tensor:
        identity = z if self.downsample is None else self.downsample(z)
        out = self.relu(self.bn1(self.conv1(z)))
        out = self.relu(self.bn2(self.conv2(out, edge_index, edge_type, edge_weight)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


def graph_block(block: nn.Module) -> nn.Module:
    """The graph counterpart of a dense :class:`BasicBlock` / :class:`Bottleneck`, holding a copy of
    its weights and BatchNorm statistics (same ``state_dict``)."""
    if isinstance(block, BasicBlock):
        g = GraphBasicBlock(block.conv1.in_channels, block.conv1.out_channels,
                            block.downsample is not None)
    elif isinstance(block, Bottleneck):
        g = GraphBottleneck(block.conv1.in_channels, block.conv1.out_channels,
                            block.downsample is not None)
    else:
        raise TypeError("block must be a ResNet BasicBlock or Bottleneck, got "
                        f"{type(block).__name__}")
    ref = block.conv1.weight
    g.load_state_dict(block.state_dict())
    return g.to(device=ref.device, dtype=ref.dtype)


# ----------------------------------------------------------------------------- the HG stage

class HGStage(HGClustering):
    r"""A ResNet stage on HG-Conv's group graph: pooling (Eq. 8), the residual blocks on the nodes,
    unpooling (Eq. 10).

    .. math::
        Z_0 = \bar S^\top X, \qquad
        Z_b = \mathrm{block}_b(Z_{b-1};\ (\hat D^\delta)^{-1} \hat A^\delta), \qquad
        Z = \tilde S Z_L

    The group graph is built once from the stage input (:class:`~graphseg.nn.hgconv.HGClustering`:
    importance map, centre sampling, differentiable SLIC, Eq. 4 + 7) and shared by all blocks; the
    degree normalisation (Eq. 3) is computed once for all of them. The blocks are registered as
    ``'0'``, ``'1'``, ... like the ``nn.Sequential`` of a dense stage, so the ``state_dict`` keys
    are the dense stage's.

    Args:
        blocks (sequence of nn.Module): :class:`GraphBasicBlock` / :class:`GraphBottleneck`.
        ratio (float): groups per pixel, in :math:`(0, 1]`. (default: ``1/64``)
        **kwargs: the clustering options of :class:`~graphseg.nn.hgconv.HGClustering`.

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`, attention :math:`(B, H, W)` (optional, active focus)
        - **output:** :math:`(B, C_{out}, H, W)`
    """

    def __init__(self, blocks: Sequence[nn.Module], ratio: float = 1 / 64, **kwargs) -> None:
        super().__init__(ratio, **kwargs)
        if len(blocks) == 0:
            raise ValueError("blocks must hold at least one residual block")
        for i, block in enumerate(blocks):
            if not isinstance(block, (GraphBasicBlock, GraphBottleneck)):
                raise TypeError(f"blocks[{i}] must be a GraphBasicBlock or GraphBottleneck "
                                "(HGStage.from_layer "
                                f"converts a dense ResNet stage), got {type(block).__name__}")
            self.add_module(str(i), block)
        self.in_channels, self.out_channels = blocks[0].in_channels, blocks[-1].out_channels

    @classmethod
    def from_layer(cls, layer: nn.Sequential, **kwargs) -> 'HGStage':
        """The HG counterpart of a dense ResNet stage (``resnet.layer4``), with copies of its
        weights."""
        return cls([graph_block(b) for b in layer], **kwargs)

    def blocks(self) -> List[nn.Module]:
        """The residual blocks, in order."""
        return [m for name, m in self.named_children() if name.isdigit()]

    def __len__(self) -> int:
        return len(self.blocks())

    def __getitem__(self, i: int) -> nn.Module:
        return self.blocks()[i]

    def _check_input(self, x: Tensor) -> None:
        check_ndim(x, 'x', 4, '(B, C, H, W)')
        check_floating(x, 'x')
        if x.size(1) != self.in_channels:
            raise ValueError(f"x must have in_channels = {self.in_channels} channels, got shape "
                             f"{tuple(x.shape)}")

    def forward(self, x: Tensor, attention: Optional[Tensor] = None, *,
                assignment: Union[Tensor, SoftClustering, None] = None,
                graph: Optional[GroupGraph] = None,
                return_graph: bool = False) -> Union[Tensor, Tuple[Tensor, GroupGraph]]:
        """Run the stage on the group graph of ``x``: clustered here, built from a given
        ``assignment`` (as :class:`~graphseg.nn.HGConv`), or a ``graph`` another stage built on a
        map of the same size (HG-ResUNet's encoder and decoder blocks share one).
        ``return_graph=True`` also returns the :class:`GroupGraph`."""
        self._check_input(x)
        if graph is None:
            graph = self.group_graph(x, attention, assignment)
        elif attention is not None or assignment is not None:
            raise ValueError("graph is the group graph itself; it cannot be combined with "
                             "attention or assignment")
        else:
            self._check_graph(x, graph)
        S, edge_index, edge_type, edge_weight = graph
        edge_weight = directional_edge_weight(edge_index, edge_type, S.batch_size * S.num_groups,
                                              # Eq. 3, once for every conv
                                              NUM_DIRECTIONS, edge_weight)
        z = S.pool(x)  # Eq. 8: (B M, C_in)
        for block in self.blocks():
            z = block(z, edge_index, edge_type, edge_weight)
        out = S.unpool(z)  # Eq. 10: (B, C_out, H, W)
        return (out, graph) if return_graph else out

    @staticmethod
    def _check_graph(x: Tensor, graph: GroupGraph) -> None:
        if not isinstance(graph, GroupGraph):
            raise TypeError("graph must be a GroupGraph (HGClustering.group_graph), got "
                            f"{type(graph).__name__}")
        S = graph.S
        if (S.batch_size, S.height, S.width) != (x.size(0), *x.shape[-2:]):
            raise ValueError(f"graph must cover (B, H, W) = ({x.size(0)}, {x.size(2)}, "
                             f"{x.size(3)}), got ({S.batch_size}, {S.height}, {S.width})")

    @torch.no_grad()
    def count_macs(self, x: Tensor, attention: Optional[Tensor] = None,
                   graph: Optional[GroupGraph] = None) -> List[Dict[str, int]]:
        """MACs per image of one forward pass on ``x``, by part, from the group graph each image
        gets: clustering, adjacency, pooling, the blocks (graph convolutions with their message
        passing, node-wise linear maps) and unpooling. With a given ``graph`` clustering and
        adjacency are not counted (the stage that built it counts them)."""
        self._check_input(x)
        B, C, H, W = x.shape
        own = graph is None
        graph = self.group_graph(x, attention) if own else graph
        S, M = graph.S, graph.S.num_groups
        entries = S.block_entries() // B
        shared = {
            'clustering': hg_clustering_macs(H * W, C, M, entries, self.clustering.iters)
            if own
            else 0,
            'adjacency': self.adjacency_macs(S) if own else 0,
            'pooling': entries * C,
        }
        out = []
        for edges in self.group_edges_per_image(graph):
            blocks = 0
            for m in self.modules():
                if isinstance(m, DirectionalConv):
                    blocks += typed_graph_conv_macs(M, edges, m.in_channels, m.out_channels,
                                                    NUM_DIRECTIONS)
                elif isinstance(m, NodeLinear):
                    blocks += linear_macs(M, m.in_channels, m.out_channels)
            out.append({**shared, 'blocks': blocks, 'unpooling': entries * self.out_channels})
        return out

    def extra_repr(self) -> str:
        return f'{self.in_channels}, {self.out_channels}, {self.clustering_extra_repr()}'


# ----------------------------------------------------------------------------- HG-ResNet

class HGResNet(DilatedResNet):
    r"""HG-ResNet (`Hamaguchi et al., CVPR 2021 <https://arxiv.org/abs/2104.11176>`_, Sec. 4.4).

    .. code-block:: text

        x -> stem, layer1, layer2, layer3 (dilation 2) = X3 ------------> aux head (training only)
                                  |
             clustering of X3 -> pool (Eq. 8) -> layer4's blocks on the groups
                              -> unpool (Eq. 10) = X4
                                  |
             1x1 CBR([X3, X4]) -> head (3x3 CBR to 512) -> context -> classifier

    Args:
        backbone (ResNet): a dense ResNet with output stride 8
            (:func:`~graphseg.models.dilated.dilated_backbone`); its ``layer4`` is converted to an
            :class:`HGStage` with the same weights.
        num_classes (int): :math:`K`.
        ratio (float): groups per stage-3 pixel. (default: ``1/64``)
        head_channels, context, aux, aux_channels, dropout: as
            :class:`~graphseg.models.DilatedResNet`.
        **kwargs: clustering options (``sampling``, ``iters``, ``num_groups``, ...) of
            :class:`~graphseg.nn.hgconv.HGClustering`.

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`, :math:`H, W \geq 8`
        - **output:** ``{'out': (B, K, H, W)}``, plus ``'aux'`` in training mode
    """

    def __init__(self, backbone: ResNet, num_classes: int, ratio: float = 1 / 64,
                 head_channels: int = 512, context: Optional[nn.Module] = None, aux: bool = True,
                 aux_channels: int = 256, dropout: float = 0.1, **kwargs) -> None:
        super().__init__(backbone, num_classes, head_channels, context, aux, aux_channels, dropout)
        if not isinstance(self.backbone.layer4, HGStage):
            self.backbone.layer4 = HGStage.from_layer(self.backbone.layer4, ratio=ratio, **kwargs)
        C3, C4 = self.backbone.feature_channels[2:]
        # the HG output concatenated with its input, refined by a 1x1 conv
        self.fuse = ConvBNReLU(C3 + C4, C4, 1)

    @property
    def stage4(self) -> HGStage:
        return self.backbone.layer4

    def encode(self, x: Tensor):
        b = self.backbone
        x = b.maxpool(b.relu(b.bn1(b.conv1(x))))
        x3 = b.layer3(b.layer2(b.layer1(x)))
        # clustering, Eq. 8 pooling, the stage-4 blocks on the groups, Eq. 10 unpooling
        x4 = b.layer4(x3)
        return x3, self.fuse(torch.cat([x3, x4], dim=1))

    @classmethod
    def from_resnet(cls, dense: Union[DilatedResNet, ResNet], **kwargs) -> 'HGResNet':
        """Convert a dense model: a :class:`~graphseg.models.DilatedResNet` (``resnet*_dilated`` /
        ``*_dcn``; backbone, head, context, classifier and aux head are copied, stage 4 becomes an
        :class:`HGStage` with its weights, the 1x1 fusion is new) or a bare output-stride-8
        :class:`~graphseg.models.ResNet` (the heads are new; pass ``num_classes``). ``kwargs`` are
        the clustering options (``ratio=...``)."""
        if isinstance(dense, HGResNet):
            raise TypeError("dense is already an HGResNet")
        if isinstance(dense, DilatedResNet):
            aux = dense.aux_head is not None
            model = cls(copy.deepcopy(dense.backbone), dense.num_classes,
                        head_channels=dense.head[0].out_channels,
                        context=copy.deepcopy(dense.context), aux=aux,
                        aux_channels=dense.aux_head[0][0].out_channels if aux else 256,
                        dropout=dense.classifier[0].p, **kwargs)
            for name in ('head', 'classifier', 'aux_head'):
                if getattr(dense, name) is not None:
                    getattr(model, name).load_state_dict(getattr(dense, name).state_dict())
            return model.to(dense.classifier[1].weight.device)
        if isinstance(dense, ResNet):
            return cls(copy.deepcopy(dense), kwargs.pop('num_classes', 19), **kwargs)
        raise TypeError(f"dense must be a DilatedResNet or a ResNet, got {type(dense).__name__}")


def _hg(backbone: str, num_classes: int, in_channels: int, ratio: float, dcn: bool = False,
        **kwargs) -> HGResNet:
    body = dilated_backbone(backbone, in_channels)
    if dcn:
        deformable_stage(body.layer3)
    return HGResNet(body, num_classes, ratio, **kwargs)


@register_model(aux=True)
def hg_resnet18(num_classes: int = 19, in_channels: int = 3, ratio: float = 1 / 64,
                **kwargs) -> HGResNet:
    """HG-ResNet-18 (HG-Conv Sec. 4.4): :func:`resnet18_dilated` with stage 4 on 1/64 as many
    groups."""
    return _hg('resnet18', num_classes, in_channels, ratio, **kwargs)


@register_model(aux=True)
def hg_resnet34(num_classes: int = 19, in_channels: int = 3, ratio: float = 1 / 64,
                **kwargs) -> HGResNet:
    """HG-ResNet-34: :func:`resnet34_dilated` with stage 4 on the group graph."""
    return _hg('resnet34', num_classes, in_channels, ratio, **kwargs)


@register_model(aux=True)
def hg_resnet50(num_classes: int = 19, in_channels: int = 3, ratio: float = 1 / 64,
                **kwargs) -> HGResNet:
    """HG-ResNet-50: :func:`resnet50_dilated` with stage 4 on the group graph."""
    return _hg('resnet50', num_classes, in_channels, ratio, **kwargs)


@register_model(aux=True)
def hg_resnet101(num_classes: int = 19, in_channels: int = 3, ratio: float = 1 / 64,
                 **kwargs) -> HGResNet:
    """HG-ResNet-101: :func:`resnet101_dilated` with stage 4 on the group graph."""
    return _hg('resnet101', num_classes, in_channels, ratio, **kwargs)


@register_model(aux=True)
def hg_resnet50_dcn(num_classes: int = 19, in_channels: int = 3, ratio: float = 1 / 64,
                    **kwargs) -> HGResNet:
    """HG-ResNet-50-DCN: deformable stage 3 (:func:`resnet50_dcn`), stage 4 on the group graph."""
    return _hg('resnet50', num_classes, in_channels, ratio, dcn=True, **kwargs)


@register_model(aux=True)
def hg_resnet101_dcn(num_classes: int = 19, in_channels: int = 3, ratio: float = 1 / 64,
                     **kwargs) -> HGResNet:
    """HG-ResNet-101-DCN (HG-Conv Table 8: 1,550 GFLOPs vs 1,826 for ResNet-101-DCN on
    Cityscapes)."""
    return _hg('resnet101', num_classes, in_channels, ratio, dcn=True, **kwargs)
