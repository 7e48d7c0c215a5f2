"""Tiny members of every model family, for the mixed-precision tests of the inference fast path.

``scripts/train_inference_fixtures.py`` trains each on the digit scenes
(:class:`graphseg.data.MNISTSegmentation`, 64x64 RGB photo backdrops, 11 classes) and writes their
weights with a batch of validation images to ``tests/data/inference_tiny.pt`` (< 1 MB);
``tests/models/test_inference.py`` loads them. Each builder makes the family's own layers at a
width that keeps the file small: the dense FCN, HG-Conv, RepGraph, HyperSeg (patch-wise dynamic
convolutions on a narrow EfficientNet) and QGN (the sparse decoder on a narrow ResNet).
"""
from __future__ import annotations

from functools import partial
from typing import Callable, Dict

import torch
from torch import Tensor, nn

from graphseg.models import (HyperSeg, HyperSegConfig, QGN, BasicBlock, EfficientNet, ResNet,
                             create_model)
from graphseg.models.baselines import ConvBNReLU, DenseFCN, _small_encoder
from graphseg.nn import RepGraph

#: classes of the digit scenes (10 digits + background)
NUM_CLASSES = 11
#: canvas side (a multiple of 32 for HyperSeg and QGN)
SIZE = 64
#: where the trained weights and validation images live
FIXTURE = 'tests/data/inference_tiny.pt'


def fcn() -> nn.Module:
    return create_model('fcn_small', num_classes=NUM_CLASSES, width=16)


def hgconv() -> nn.Module:
    return create_model('hg_fcn_small', num_classes=NUM_CLASSES, width=16, ratio=1 / 4)


def repgraph() -> nn.Module:
    """The small FCN whose head is one 3x3 Conv-BN-ReLU and a Bottleneck RepGraph block (S = 9),
    RGNet's head at 1/32 of its width."""
    head = nn.Sequential(ConvBNReLU(16, 16, 3), RepGraph(16, 8, 9, variant='bottleneck'))
    return DenseFCN(_small_encoder(3, 16), 16, NUM_CLASSES, 16, head=head)


def hyperseg() -> nn.Module:
    """HyperSeg-M's decoder template at a quarter of its widths on an EfficientNet of width 0.1."""
    backbone = EfficientNet(0.1, 0.1, image_size=SIZE, tf_padding=True, num_classes=0,
                            dropout=0., stochastic_depth_prob=0.,
                            norm_layer=partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01))
    config = HyperSegConfig((16, 8, 4, 4, 4), (0.25, 0.25, 0.25, 0.25, 1.0), (1, 1, 1, 3, 3),
                            (8, 4, 4, 4, 2), context_dropout=0.)
    return HyperSeg(config, NUM_CLASSES, backbone)


def _narrow_resnet(stem: int = 8, widths=(8, 16, 16, 32)) -> ResNet:
    """A ResNet with one basic block per stage at the given widths (QGN's encoder interface:
    ``stem_channels``, ``feature_channels``, ``feature_strides`` 4-32)."""
    net = ResNet(BasicBlock, (1, 1, 1, 1))
    net.conv1 = nn.Conv2d(3, stem, 7, stride=2, padding=3, bias=False)
    net.bn1 = nn.BatchNorm2d(stem)
    net.inplanes, net.dilation, net.stem_channels = stem, 1, stem
    for i, w in enumerate(widths):
        setattr(net, f'layer{i + 1}', net._make_layer(BasicBlock, w, 1, 1 if i == 0 else 2))
    net.feature_channels = list(widths)
    net.fc = nn.Identity()
    net.reset_parameters()
    return net


def qgn() -> nn.Module:
    """QGN with the sparse decoder (basic blocks, widths 32-16-16-8-8) on a narrow ResNet."""
    return QGN(NUM_CLASSES, _narrow_resnet(), widths=(32, 16, 16, 8, 8), blocks=(1, 1, 1, 1),
               final_blocks=1, defaults='pytorch')


#: family -> builder
TINY_MODELS: Dict[str, Callable[[], nn.Module]] = {
    'fcn': fcn, 'hgconv': hgconv, 'repgraph': repgraph, 'hyperseg': hyperseg, 'qgn': qgn,
}


def qgn_dense() -> nn.Module:
    """:func:`qgn` with the dense decoder (the released ``QGN_dense``), the QGN that exports."""
    return QGN(NUM_CLASSES, _narrow_resnet(), widths=(32, 16, 16, 8, 8), blocks=(1, 1, 1, 1),
               final_blocks=1, defaults='pytorch', sparse=False)


def pack_state(state: Dict[str, Tensor]) -> dict:
    """A ``state_dict`` as one float32 and one int64 tensor with the keys and shapes (torch.save
    spends ~300 bytes on every tensor; packed, the five models fit in < 1 MB). Loads with
    ``weights_only=True``."""
    floats = [v for v in state.values() if v.is_floating_point()]
    ints = [v for v in state.values() if not v.is_floating_point()]
    return {'keys': list(state), 'shapes': [list(v.shape) for v in state.values()],
            'is_float': [bool(v.is_floating_point()) for v in state.values()],
            'floats': torch.cat([v.detach().cpu().float().reshape(-1) for v in floats]),
            'ints': torch.cat([v.detach().cpu().long().reshape(-1) for v in ints]) if ints
            else torch.zeros(0, dtype=torch.long)}


def unpack_state(packed: dict) -> Dict[str, Tensor]:
    """The ``state_dict`` that :func:`pack_state` packed."""
    out, offsets = {}, {True: 0, False: 0}
    for key, shape, is_float in zip(packed['keys'], packed['shapes'], packed['is_float']):
        flat = packed['floats' if is_float else 'ints']
        n = 1
        for d in shape:
            n *= d
        out[key] = flat[offsets[is_float]:offsets[is_float] + n].reshape(shape).clone()
        offsets[is_float] += n
    return out
