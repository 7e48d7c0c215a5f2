r"""RGNet (Yu et al., *Representative Graph Neural Network*, ECCV 2020, Sec. 4.1) and its non-local
baseline.

RGNet is the dilated ResNet of :mod:`graphseg.models.dilated` (output stride 8,
auxiliary FCN head on stage 3 with loss weight 0.4) whose 3x3 Conv-BN-ReLU head
reduces stage 4 to 512 channels, followed by **one Bottleneck RepGraph block**
(:class:`~graphseg.nn.RepGraph`, :math:`S = 9` representative nodes per
position) and the classifier. The paper's comparison rows are the same network
with a non-local block (Wang et al., CVPR 2018; :class:`~graphseg.nn.NonLocal2d`,
embedded Gaussian) in its place -- ``nonlocal_resnet*`` -- and without any
block -- the plain backbone baseline, :func:`~graphseg.models.resnet18_dilated` etc.

Both blocks reduce the 512 head channels to ``inter_channels = 256`` before
attending (Bottleneck RepGraph's reduce conv; the non-local block's
:math:`\theta, \phi, g` with reduction 2), so the two differ only in whom each
position attends to: :math:`S = 9` learned samples or all :math:`HW` positions.
Both are the identity at initialisation (last BatchNorm scale zero).

**RepGraph layers inside the backbone** (RepGraph Table 1 (c, d), ADE20K
ablations on ResNet-50): ``stages={'res3': 1}`` inserts a Bottleneck RepGraph
layer (:math:`S = 9`, summation, identity at initialisation) before the last
residual block of ``res3`` (``layer2``; ``res2..res5`` are ``layer1..layer4``),
and ``{'res4': 2}`` before each of the last two blocks (the paper does not say
where the second of a stage goes). The layer works at the stage's width
:math:`C` with :math:`C' = C / 4` (the stage's own bottleneck width; the paper
does not give it). These rows have no RepGraph block after the head
(``head_block=False``; the paper inserts into the "ResNet-50 baseline"). The
block's keys are the dense block's plus ``<block>.repgraph.*``, so ImageNet
weights still load. Registered as the paper names the rows:
``rgnet_resnet50_res{2,3,4,5}`` (Table 1 (c)) and ``rgnet_resnet50_{1,3,5}layer``
(Table 1 (d): res3; res3-res5 one each; 1 to res3, 2 to res4, 2 to res5).
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional

from torch import Tensor

from ..check import check_int
from ..nn.repgraph import NonLocal2d, RepGraph
from .backbones.resnet import BasicBlock, Bottleneck, ResNet
from .dilated import DilatedResNet, dilated_backbone
from .registry import register_model

__all__ = ['HEAD_CHANNELS', 'STAGES', 'PLACEMENTS', 'insert_repgraph', 'RepGraphBasicBlock',
           'RepGraphBottleneck']  # and every @register_model factory below

#: Channels of the 3x3 head that RGNet's block runs on (RepGraph Sec. 4.1).
HEAD_CHANNELS = 512
#: the paper's stage names -> the ResNet's (torchvision's) stage modules
STAGES = {'res2': 'layer1', 'res3': 'layer2', 'res4': 'layer3', 'res5': 'layer4'}
#: RepGraph Table 1 (d): layers per stage of the 1-, 3- and 5-layer rows
PLACEMENTS: Dict[str, Dict[str, int]] = {'1layer': {'res3': 1},
                                         '3layer': {'res3': 1, 'res4': 1, 'res5': 1},
                                         '5layer': {'res3': 1, 'res4': 2, 'res5': 2}}


class _RepGraphFirst:
    """A residual block that runs its ``repgraph`` layer on its input first."""

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(self.repgraph(x))


class RepGraphBasicBlock(_RepGraphFirst, BasicBlock):
    """A :class:`~graphseg.models.BasicBlock` preceded by a RepGraph layer (``repgraph``)."""


class RepGraphBottleneck(_RepGraphFirst, Bottleneck):
    """A :class:`~graphseg.models.Bottleneck` preceded by a RepGraph layer (``repgraph``)."""


def insert_repgraph(backbone: ResNet, stages: Mapping[str, int], num_samples: int = 9,
                    reduction: int = 4) -> ResNet:
    r"""Insert Bottleneck RepGraph layers into a ResNet's stages, in place (RepGraph Table 1 (c,
    d)).

    ``stages[name] = c`` puts one layer before each of the last ``c`` residual blocks of stage
    ``name`` (``'res2'`` ... ``'res5'``, :data:`STAGES`). Each layer is a
    :class:`~graphseg.nn.RepGraph` on the stage's :math:`C` channels with :math:`C' = C /`
    ``reduction`` and ``num_samples`` representative nodes, summation fusion and the identity at
    initialisation; it becomes the ``repgraph`` child of its block (a :class:`RepGraphBasicBlock` /
    :class:`RepGraphBottleneck`), so the dense keys are unchanged.

    Args:
        backbone (ResNet): the network to modify.
        stages (mapping): stage name -> number of layers.
        num_samples (int): :math:`S`. (default: ``9``)
        reduction (int): :math:`C / C'`. (default: ``4``)

    Returns:
        ``backbone``.
    """
    if not isinstance(backbone, ResNet):
        raise TypeError(f"backbone must be a graphseg ResNet, got {type(backbone).__name__}")
    if not isinstance(stages, Mapping):
        raise TypeError(f"stages must map stage names {tuple(STAGES)} to layer counts, got "
                        f"{type(stages).__name__}")
    check_int(num_samples, 'num_samples', 1)
    check_int(reduction, 'reduction', 1)
    for name, count in stages.items():
        if name not in STAGES:
            raise ValueError(f"stages keys must be in {tuple(STAGES)}, got {name!r}")
        layer = getattr(backbone, STAGES[name])
        check_int(count, f'stages[{name!r}]', 1, len(layer))
        for block in list(layer)[len(layer) - count:]:
            if isinstance(block, _RepGraphFirst):
                raise ValueError(f"stage {name} already holds RepGraph layers")
            channels = block.conv1.in_channels
            if channels % reduction:
                raise ValueError(f"reduction must divide the {channels} channels of {name}, got "
                                 f"{reduction}")
            block.__class__ = (RepGraphBottleneck if isinstance(block, Bottleneck)
                               else RepGraphBasicBlock)
            ref = block.conv1.weight
            block.repgraph = RepGraph(channels, channels // reduction, num_samples,
                                      variant='bottleneck', device=ref.device, dtype=ref.dtype)
    return backbone


def _rgnet(backbone: str, num_classes: int, in_channels: int, inter_channels: int, num_samples: int,
           stages: Optional[Mapping[str, int]] = None, head_block: bool = True,
           **kwargs) -> DilatedResNet:
    check_int(inter_channels, 'inter_channels', 1)
    check_int(num_samples, 'num_samples', 1)
    if not head_block and not stages:
        raise ValueError("head_block=False needs stages (RepGraph layers somewhere), got "
                         f"stages={stages!r}")
    block = (RepGraph(HEAD_CHANNELS, inter_channels, num_samples, variant='bottleneck')
             if head_block else None)
    body = dilated_backbone(backbone, in_channels)
    if stages:
        insert_repgraph(body, stages, num_samples)
    return DilatedResNet(body, num_classes, HEAD_CHANNELS, context=block, **kwargs)


def _rgnet50_row(num_classes: int, in_channels: int, stages: Mapping[str, int],
                 **kwargs) -> DilatedResNet:
    kwargs.setdefault('head_block', False)
    return _rgnet('resnet50', num_classes, in_channels, kwargs.pop('inter_channels', 256),
                  kwargs.pop('num_samples', 9), stages, **kwargs)


def _nonlocal(backbone: str, num_classes: int, in_channels: int, inter_channels: int,
              **kwargs) -> DilatedResNet:
    check_int(inter_channels, 'inter_channels', 1)
    if HEAD_CHANNELS % inter_channels:
        raise ValueError(f"inter_channels must divide the {HEAD_CHANNELS} head channels, got "
                         f"{inter_channels}")
    block = NonLocal2d(HEAD_CHANNELS, reduction=HEAD_CHANNELS // inter_channels)
    return DilatedResNet(dilated_backbone(backbone, in_channels), num_classes, HEAD_CHANNELS,
                         context=block, **kwargs)


@register_model(aux=True)
def rgnet_resnet18(num_classes: int = 19, in_channels: int = 3, inter_channels: int = 256,
                   num_samples: int = 9, **kwargs) -> DilatedResNet:
    """RGNet on a dilated ResNet-18: 3x3 head to 512 channels, one Bottleneck RepGraph block (S =
    9), classifier, aux head on stage 3 (RepGraph Sec. 4.1)."""
    return _rgnet('resnet18', num_classes, in_channels, inter_channels, num_samples, **kwargs)


@register_model(aux=True)
def rgnet_resnet50(num_classes: int = 19, in_channels: int = 3, inter_channels: int = 256,
                   num_samples: int = 9, **kwargs) -> DilatedResNet:
    """RGNet on a dilated ResNet-50 (RepGraph Sec. 4.1). ``stages={'res3': 1, ...}`` adds RepGraph
    layers inside the backbone and ``head_block=False`` drops the one after the head (RepGraph
    Table 1 (c, d); :func:`insert_repgraph`)."""
    return _rgnet('resnet50', num_classes, in_channels, inter_channels, num_samples, **kwargs)


@register_model(aux=True)
def rgnet_resnet101(num_classes: int = 19, in_channels: int = 3, inter_channels: int = 256,
                    num_samples: int = 9, **kwargs) -> DilatedResNet:
    """RGNet on a dilated ResNet-101, the paper's main model (RepGraph Sec. 4.1, Tables 4-6)."""
    return _rgnet('resnet101', num_classes, in_channels, inter_channels, num_samples, **kwargs)


@register_model(aux=True)
def nonlocal_resnet18(num_classes: int = 19, in_channels: int = 3, inter_channels: int = 256,
                      **kwargs) -> DilatedResNet:
    """The non-local baseline of RGNet on a dilated ResNet-18: :func:`rgnet_resnet18` with a
    non-local block (embedded Gaussian, :math:`C' = 256`) in place of RepGraph."""
    return _nonlocal('resnet18', num_classes, in_channels, inter_channels, **kwargs)


@register_model(aux=True)
def nonlocal_resnet50(num_classes: int = 19, in_channels: int = 3, inter_channels: int = 256,
                      **kwargs) -> DilatedResNet:
    """The non-local baseline of RGNet on a dilated ResNet-50."""
    return _nonlocal('resnet50', num_classes, in_channels, inter_channels, **kwargs)


@register_model(aux=True)
def nonlocal_resnet101(num_classes: int = 19, in_channels: int = 3, inter_channels: int = 256,
                       **kwargs) -> DilatedResNet:
    """The non-local baseline of RGNet on a dilated ResNet-101 (RepGraph Table 2's comparison)."""
    return _nonlocal('resnet101', num_classes, in_channels, inter_channels, **kwargs)


# --- RepGraph Table 1 (c): one layer before the last block of a stage of ResNet-50


@register_model(aux=True)
def rgnet_resnet50_res2(num_classes: int = 150, in_channels: int = 3, **kwargs) -> DilatedResNet:
    """RepGraph Table 1 (c) "res2" (ADE20K 41.52 mIoU): one Bottleneck RepGraph layer before the
    last block of ``layer1`` of the dilated ResNet-50 baseline."""
    return _rgnet50_row(num_classes, in_channels, {'res2': 1}, **kwargs)


@register_model(aux=True)
def rgnet_resnet50_res3(num_classes: int = 150, in_channels: int = 3, **kwargs) -> DilatedResNet:
    """RepGraph Table 1 (c) "res3" (41.59): the layer before the last block of ``layer2``."""
    return _rgnet50_row(num_classes, in_channels, {'res3': 1}, **kwargs)


@register_model(aux=True)
def rgnet_resnet50_res4(num_classes: int = 150, in_channels: int = 3, **kwargs) -> DilatedResNet:
    """RepGraph Table 1 (c) "res4" (41.25): the layer before the last block of ``layer3``."""
    return _rgnet50_row(num_classes, in_channels, {'res4': 1}, **kwargs)


@register_model(aux=True)
def rgnet_resnet50_res5(num_classes: int = 150, in_channels: int = 3, **kwargs) -> DilatedResNet:
    """RepGraph Table 1 (c) "res5" (41.34): the layer before the last block of ``layer4``."""
    return _rgnet50_row(num_classes, in_channels, {'res5': 1}, **kwargs)


# --- RepGraph Table 1 (d): 1, 3 and 5 layers


@register_model(aux=True)
def rgnet_resnet50_1layer(num_classes: int = 150, in_channels: int = 3,
                          **kwargs) -> DilatedResNet:
    """RepGraph Table 1 (d) "1-layer" (41.59): one layer in res3."""
    return _rgnet50_row(num_classes, in_channels, PLACEMENTS['1layer'], **kwargs)


@register_model(aux=True)
def rgnet_resnet50_3layer(num_classes: int = 150, in_channels: int = 3,
                          **kwargs) -> DilatedResNet:
    """RepGraph Table 1 (d) "3-layer" (41.86): one layer each in res3, res4, res5."""
    return _rgnet50_row(num_classes, in_channels, PLACEMENTS['3layer'], **kwargs)


@register_model(aux=True)
def rgnet_resnet50_5layer(num_classes: int = 150, in_channels: int = 3,
                          **kwargs) -> DilatedResNet:
    """RepGraph Table 1 (d) "5-layer" (41.76): 1 layer in res3, 2 in res4, 2 in res5."""
    return _rgnet50_row(num_classes, in_channels, PLACEMENTS['5layer'], **kwargs)
