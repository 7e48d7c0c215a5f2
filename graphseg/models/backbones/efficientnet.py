"""EfficientNet-B0/B1/B3 backbones (Tan & Le, ICML 2019) with torchvision-compatible ``state_dict``
keys.

HyperSeg's encoder is an EfficientNet. timm and torchvision cannot run next to
this project's CPU torch, so the network is written here, module for module
as ``torchvision.models.efficientnet_b0/b1/b3`` (``features.0.0.weight``,
``features.2.1.block.2.fc1.bias``, ``classifier.1.weight`` ...), so ImageNet
weights saved from torchvision load with
:func:`graphseg.models.load_pretrained`. Every convolution is an
``nn.Sequential(conv, BatchNorm, act)`` that :func:`graphseg.nn.hyperseg.fuse_bn`
folds.

``tf_padding=True`` gives the network HyperSeg's released models were trained
with (lukemelas' EfficientNet-PyTorch, built with its model's image size): every
strided convolution pads like TensorFlow's ``'SAME'`` for the *fixed* image size
of the variant (224 / 240 / 300 for B0 / B1 / B3), computed once at construction,
whatever the input size (:class:`Conv2dStaticSame`); combined with
``norm_layer=partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01)`` it computes what
that implementation computes (its keys are converted by
:func:`graphseg.models.load_official`). torchvision's padding is symmetric,
``(k - 1) / 2``.

:meth:`EfficientNet.forward_features` returns the last map of each resolution
(strides 2, 4, 8, 16, 32); :meth:`EfficientNet.forward_head` is the final 1x1
convolution to 1280 channels (the map HyperSeg's context head reads).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import List, Optional, Type

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...check import check_image_batch, check_int, check_number
from ..registry import register_model

#: the classes and helpers; every @register_model factory below is appended by the registry
__all__ = ['EfficientNet', 'MBConv', 'SqueezeExcitation', 'Conv2dStaticSame', 'conv_norm_act',
           'stochastic_depth', 'lukemelas_key']


def _make_divisible(v: float, divisor: int = 8) -> int:
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class Conv2dStaticSame(nn.Conv2d):
    r"""``nn.Conv2d`` with TensorFlow's ``'SAME'`` padding computed once for a fixed input size.

    For an input side :math:`n`, stride :math:`s` and kernel :math:`k` the total
    padding is :math:`\max((\lceil n / s \rceil - 1) s + k - n, 0)`, the smaller half
    before, the larger after. The amounts are fixed at construction from
    ``image_size`` and applied to every input, as EfficientNet-PyTorch's
    ``Conv2dStaticSamePadding`` does (so for other input sizes a stride-2 layer may
    pad differently from what ``'SAME'`` would give for that size: that is the
    released models' behaviour). No parameters beyond ``nn.Conv2d``'s.

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`
        - **output:** :math:`(B, C_{out}, H', W')`
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 groups: int = 1, bias: bool = False, *, image_size: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, 0, groups=groups,
                         bias=bias)
        total = max((math.ceil(image_size / stride) - 1) * stride + kernel_size - image_size, 0)
        self.same_pad = (total // 2, total - total // 2) * 2  # (left, right, top, bottom)

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(F.pad(x, self.same_pad) if any(self.same_pad) else x)

    def extra_repr(self) -> str:
        return super().extra_repr() + f', same_pad={self.same_pad}'


def conv_norm_act(cin: int, cout: int, kernel_size: int = 3, stride: int = 1, groups: int = 1,
                  norm_layer: Type[nn.Module] = nn.BatchNorm2d,
                  act_layer: Optional[Type[nn.Module]] = nn.SiLU,
                  image_size: Optional[int] = None) -> nn.Sequential:
    """``nn.Sequential(Conv2d, norm, act)`` (no conv bias), torchvision's ``Conv2dNormActivation``:
    symmetric padding, or TensorFlow's ``'SAME'`` fixed for ``image_size``
    (:class:`Conv2dStaticSame`) when it is given."""
    if image_size is None:
        conv = nn.Conv2d(cin, cout, kernel_size, stride, (kernel_size - 1) // 2, groups=groups,
                         bias=False)
    else:
        conv = Conv2dStaticSame(cin, cout, kernel_size, stride, groups, image_size=image_size)
    layers = [conv, norm_layer(cout)]
    if act_layer is not None:
        layers.append(act_layer())
    return nn.Sequential(*layers)


class SqueezeExcitation(nn.Module):
    """Channel gating ``x * sigmoid(fc2(silu(fc1(avgpool(x)))))`` (Hu et al., CVPR 2018)."""

    def __init__(self, channels: int, squeeze_channels: int) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        s = self.fc2(F.silu(self.fc1(F.adaptive_avg_pool2d(x, 1))))
        return x * torch.sigmoid(s)


def stochastic_depth(x: Tensor, p: float, training: bool) -> Tensor:
    """Drop whole residual branches per sample with probability ``p`` (Huang et al., ECCV 2016)."""
    if not training or p == 0.:
        return x
    keep = x.new_empty(x.size(0), 1, 1, 1).bernoulli_(1 - p)
    return x * keep / (1 - p)


class MBConv(nn.Module):
    """Mobile inverted bottleneck: expand 1x1 -> depthwise kxk -> squeeze-excitation -> project
    1x1."""

    def __init__(self, cin: int, cout: int, expand_ratio: int, kernel_size: int, stride: int,
                 stochastic_depth_prob: float, norm_layer: Type[nn.Module],
                 image_size: Optional[int] = None) -> None:
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        hidden = _make_divisible(cin * expand_ratio)
        layers: List[nn.Module] = []
        if hidden != cin:
            layers.append(conv_norm_act(cin, hidden, 1, norm_layer=norm_layer))
        layers += [
            conv_norm_act(
                hidden,
                hidden,
                kernel_size,
                stride,
                groups=hidden,
                norm_layer=norm_layer,
                image_size=image_size,
            ),
            SqueezeExcitation(hidden, max(1, cin // 4)),
            conv_norm_act(hidden, cout, 1, norm_layer=norm_layer, act_layer=None),
        ]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth_prob = stochastic_depth_prob

    def forward(self, x: Tensor) -> Tensor:
        out = self.block(x)
        if self.use_res_connect:
            out = stochastic_depth(out, self.stochastic_depth_prob, self.training) + x
        return out


@dataclass(frozen=True)
class _Stage:
    expand_ratio: int
    kernel: int
    stride: int
    cin: int
    cout: int
    layers: int


# EfficientNet-B0 stages (Tan & Le, Table 1); B1 scales the depth by 1.1
_B0_STAGES = (_Stage(1, 3, 1, 32, 16, 1), _Stage(6, 3, 2, 16, 24, 2), _Stage(6, 5, 2, 24, 40, 2),
              _Stage(6, 3, 2, 40, 80, 3), _Stage(6, 5, 1, 80, 112, 3), _Stage(6, 5, 2, 112, 192, 4),
              _Stage(6, 3, 1, 192, 320, 1))


class EfficientNet(nn.Module):
    r"""EfficientNet with torchvision's module names, returning multi-scale features.

    Args:
        width_mult (float): channel multiplier (1.0 for B0 and B1, 1.2 for B3).
        depth_mult (float): layer multiplier (1.0 for B0, 1.1 for B1, 1.4 for B3).
        dropout (float): dropout before the classifier. (default: ``0.2``)
        stochastic_depth_prob (float): largest residual drop rate. (default: ``0.2``)
        num_classes (int): size of the classifier (kept so ImageNet weights load); ``0`` = no
            classifier (``forward`` returns the pooled features, as timm). (default: ``1000``)
        in_channels (int): input channels. (default: ``3``)
        norm_layer: normalisation class. (default: :class:`torch.nn.BatchNorm2d`)
        image_size (int): the variant's image size (224 B0, 240 B1, 300 B3); only used by
            ``tf_padding``. (default: ``224``)
        tf_padding (bool): TensorFlow ``'SAME'`` padding fixed for ``image_size``
            (:class:`Conv2dStaticSame`), as the EfficientNet-PyTorch models HyperSeg was
            released with; ``False`` = torchvision's symmetric padding. (default: ``False``)

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`
        - **forward_features output:** 5 maps with :attr:`feature_channels` channels
          at strides :attr:`feature_strides` = (2, 4, 8, 16, 32)
        - **forward_head output:** :math:`(B, \text{head\_channels}, H/32, W/32)`
        - **forward output:** :math:`(B, \text{num\_classes})`
    """

    def __init__(self, width_mult: float, depth_mult: float, dropout: float = 0.2,
                 stochastic_depth_prob: float = 0.2, num_classes: int = 1000, in_channels: int = 3,
                 norm_layer: Type[nn.Module] = nn.BatchNorm2d, image_size: int = 224,
                 tf_padding: bool = False) -> None:
        super().__init__()
        check_number(width_mult, 'width_mult', 0., strict=True)
        check_number(depth_mult, 'depth_mult', 0., strict=True)
        check_int(num_classes, 'num_classes', 0)  # 0: no classifier (HyperSeg's backbones)
        check_int(in_channels, 'in_channels', 1)
        self.image_size, self.tf_padding = image_size, tf_padding
        # the static input side of each layer
        size: Optional[int] = image_size if tf_padding else None
        stages = [_Stage(s.expand_ratio, s.kernel, s.stride, _make_divisible(s.cin * width_mult),
                         _make_divisible(s.cout * width_mult),
                         int(math.ceil(s.layers * depth_mult)))
                  for s in _B0_STAGES]
        total = sum(s.layers for s in stages)
        stem = stages[0].cin
        layers: List[nn.Module] = [
            conv_norm_act(in_channels, stem, 3, 2, norm_layer=norm_layer, image_size=size)
        ]
        size = None if size is None else math.ceil(size / 2)
        block_id, stride = 0, 2
        # index in `features` of the last stage of each resolution
        self._feature_ids: List[int] = []
        self.feature_channels: List[int] = []
        self.feature_strides: List[int] = []
        for i, s in enumerate(stages):
            blocks = []
            for j in range(s.layers):
                sd = stochastic_depth_prob * block_id / total
                blocks.append(MBConv(s.cin if j == 0 else s.cout, s.cout, s.expand_ratio, s.kernel,
                                     s.stride if j == 0 else 1, sd, norm_layer, size))
                if j == 0 and size is not None:
                    size = math.ceil(size / s.stride)
                block_id += 1
            layers.append(nn.Sequential(*blocks))
            stride *= s.stride
            if i + 1 == len(stages) or stages[i + 1].stride > 1:
                self._feature_ids.append(len(layers) - 1)
                self.feature_channels.append(s.cout)
                self.feature_strides.append(stride)
        # = 4 x the last stage width for B0-B7
        self.head_channels = _make_divisible(1280 * width_mult)
        layers.append(conv_norm_act(stages[-1].cout, self.head_channels, 1, norm_layer=norm_layer))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = dropout
        self.reset_classifier(num_classes)
        self.in_channels = in_channels
        self.reset_parameters()

    def reset_classifier(self, num_classes: int) -> None:
        """A new ``num_classes``-way classifier; ``0`` removes it (``forward`` returns the pooled
        features)."""
        check_int(num_classes, 'num_classes', 0)
        self.num_classes = num_classes
        self.classifier = (nn.Sequential(nn.Dropout(self.dropout, inplace=True),
                                         nn.Linear(self.head_channels, num_classes))
                           if num_classes > 0 else nn.Identity())
        if num_classes > 0:
            lin = self.classifier[1]
            bound = 1.0 / math.sqrt(lin.out_features)
            nn.init.uniform_(lin.weight, -bound, bound)
            nn.init.zeros_(lin.bias)

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out')
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -bound, bound)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: Tensor) -> List[Tensor]:
        """The last feature map of each resolution (strides 2, 4, 8, 16, 32)."""
        check_image_batch(x, 'x', self.in_channels, module=self)
        feats = []
        for i, layer in enumerate(self.features[:-1]):
            x = layer(x)
            if i in self._feature_ids:
                feats.append(x)
        return feats

    def forward_head(self, x: Tensor) -> Tensor:
        """The final 1x1 convolution (to :attr:`head_channels`) on the stride-32 map."""
        return self.features[-1](x)

    def forward(self, x: Tensor) -> Tensor:
        x = self.forward_head(self.forward_features(x)[-1])
        return self.classifier(torch.flatten(self.avgpool(x), 1))


@register_model(task='backbone')
def efficientnet_b0(**kwargs) -> EfficientNet:
    """EfficientNet-B0 (5.3 M parameters with a 1000-way classifier)."""
    return EfficientNet(1.0, 1.0, **{'image_size': 224, **kwargs})


@register_model(task='backbone')
def efficientnet_b1(**kwargs) -> EfficientNet:
    """EfficientNet-B1 (7.8 M parameters with a 1000-way classifier), HyperSeg-S/M's encoder."""
    return EfficientNet(1.0, 1.1, **{'image_size': 240, **kwargs})


@register_model(task='backbone')
def efficientnet_b3(**kwargs) -> EfficientNet:
    """EfficientNet-B3 (12.2 M parameters with a 1000-way classifier), HyperSeg-L's encoder (dropout
    0.3)."""
    return EfficientNet(1.2, 1.4, **{'image_size': 300, 'dropout': 0.3, **kwargs})


_EFFNET_BLOCK = re.compile(r'_blocks\.(\d+)\.(\w+)\.(\w+)$')


def lukemelas_key(key: str, net: EfficientNet) -> str:
    """A key of lukemelas' EfficientNet-PyTorch (the HyperSeg release's backbone) -> graphseg's
    torchvision-style key: ``_conv_stem``, ``_bn0``, ``_blocks.{j}.{part}`` (``part`` one of
    ``_expand_conv``, ``_bn0``, ``_depthwise_conv``, ``_bn1``, ``_se_reduce``, ``_se_expand``,
    ``_project_conv``, ``_bn2``), ``_conv_head``, ``_bn1`` -> ``features.{stage}.{block}...``
    (``KeyError`` for a key with no place)."""
    last = len(net.features) - 1
    head = key.split('.', 1)
    if head[0] == '_conv_stem':
        return f'features.0.0.{head[1]}'
    if head[0] == '_bn0':
        return f'features.0.1.{head[1]}'
    if head[0] == '_conv_head':
        return f'features.{last}.0.{head[1]}'
    if head[0] == '_bn1':
        return f'features.{last}.1.{head[1]}'
    m = _EFFNET_BLOCK.match(key)
    if m is None:
        raise KeyError(key)
    j, part, leaf = int(m.group(1)), m.group(2), m.group(3)
    for s in range(1, last):  # the global block index j -> (stage, block within the stage)
        if j < len(net.features[s]):
            break
        j -= len(net.features[s])
    else:
        raise KeyError(key)
    e = 1 if len(net.features[s][j].block) == 4 else 0  # an expansion conv comes first
    sub = {'_expand_conv': '0.0', '_bn0': '0.1', '_depthwise_conv': f'{e}.0', '_bn1': f'{e}.1',
           '_se_reduce': f'{e + 1}.fc1', '_se_expand': f'{e + 1}.fc2',
           '_project_conv': f'{e + 2}.0', '_bn2': f'{e + 2}.1'}.get(part)
    if sub is None:
        raise KeyError(key)
    return f'features.{s}.{j}.block.{sub}.{leaf}'
