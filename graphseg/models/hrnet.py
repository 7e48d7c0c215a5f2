r"""HRNetV2 (Wang et al., *Deep High-Resolution Representation Learning for Visual Recognition*,
TPAMI 2020) and HG-HRNetV2 (Hamaguchi et al., CVPR 2021, Sec. 4.4 and Table 1).

**HRNetV2** keeps a stride-4 branch through the whole network and adds a
branch at half the resolution (and twice the width) at the start of stages 2,
3 and 4; inside a stage, each *modularized block*
(:class:`HighResolutionModule`) runs residual units on every branch and then
exchanges information between all branches (sum of the upsampled /
stride-2-convolved maps, ReLU). The segmentation head (HRNetV2's, Sec. 3 of
the TPAMI paper) upsamples the 4 branch outputs to stride 4, concatenates them
and applies a 1x1 Conv-BN-ReLU and the 1x1 classifier; graphseg upsamples the
stride-4 logits to the input size (bilinear, ``align_corners=False``, as the
released Cityscapes configuration).

The module layout, ``state_dict`` keys, initialisation and forward pass are
those of the official code (HRNet/HRNet-Semantic-Segmentation,
``lib/models/seg_hrnet.py`` on the HRNet-OCR branch, commit 0bbb288): the
checkpoints of that repository, and the ImageNet ``hrnetv2_w48`` weights its
``init_weights`` loads key by key, load into :class:`HRNetV2`. Parameters at
19 classes, measured with the official code: W48 65,859,379; W18-Small-v1
1,540,819; W18-Small-v2 3,939,579 (the tests check these counts, the keys and
the outputs on shared weights against fixtures written by the official code).

**HG-HRNetV2** (HG-Conv paper, Sec. 4.4: "the HG-Conv module is applied to the
last part of HRNetV2, in particular, all the 4 branches at the last block of
stage 4"): in the last modularized block of stage 4, each branch's residual
units run on the group graph of that branch's input (:class:`~graphseg.models.HGStage`:
importance map, top-k + random centre sampling, differentiable SLIC, pooling,
the units as graph blocks, unpooling) at 1/64 as many groups as pixels, with 1
clustering iteration (Table 12); as in HG-ResNet the unpooled output is
concatenated with the branch input and refined by a 1x1 Conv-BN-ReLU
(``hg_fuse``); the exchange between branches is the dense one. The branches'
units keep HRNetV2's keys, so HRNetV2 weights load into HG-HRNetV2 (the new
keys are ``stage4.<last>.hg_fuse.*`` and the auxiliary head). Table 12 trains
it with an auxiliary segmentation head on the input of the HG-Conv modules
(coefficient 0.1): ``aux=True`` adds an HRNetV2 head on the 4 input maps of
the last block, returned as ``'aux'`` in training mode.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple, Type

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_choice, check_image_batch, check_int
from .backbones.resnet import BasicBlock, Bottleneck
from .baselines import ConvBNReLU
from .hgresnet import HGStage
from .registry import register_model

#: the classes and helpers; every @register_model factory below is appended by the registry
__all__ = ['HRNetV2', 'HGHRNetV2', 'HRNetConfig', 'StageConfig', 'HighResolutionModule',
           'HGHighResolutionModule',
           'HRNETV2_W48', 'HRNETV2_W18_SMALL_V1', 'HRNETV2_W18_SMALL_V2', 'BLOCKS']

#: the residual units of the official configurations (``BASIC`` / ``BOTTLENECK``)
BLOCKS: Dict[str, Type[nn.Module]] = {'basic': BasicBlock, 'bottleneck': Bottleneck}


@dataclass(frozen=True)
class StageConfig:
    """One stage of an HRNet (the official ``STAGE<n>`` entries).

    Attributes:
        num_modules: modularized blocks (:class:`HighResolutionModule`) in the stage.
        num_blocks: residual units per branch.
        channels: ``planes`` per branch (the width is ``planes * block.expansion``).
        block: ``'basic'`` or ``'bottleneck'``.
    """
    num_modules: int
    num_blocks: Tuple[int, ...]
    channels: Tuple[int, ...]
    block: str = 'basic'


@dataclass(frozen=True)
class HRNetConfig:
    """The four stages of an HRNetV2 (``MODEL.EXTRA`` of the official configurations); stage 1 has
    one branch and one module."""
    stage1: StageConfig
    stage2: StageConfig
    stage3: StageConfig
    stage4: StageConfig
    final_conv_kernel: int = 1

    @property
    def stages(self) -> Tuple[StageConfig, ...]:
        return (self.stage1, self.stage2, self.stage3, self.stage4)


def _config(c1: int, b1: int, modules: Sequence[int], blocks: int, width: int,
            block1: str = 'bottleneck') -> HRNetConfig:
    widths = [width * 2 ** i for i in range(4)]
    return HRNetConfig(StageConfig(1, (b1,), (c1,), block1),
                       *(StageConfig(m, (blocks,) * n, tuple(widths[:n]))
                         for m, n in zip(modules, (2, 3, 4))))


#: ``seg_hrnet_w48_train_512x1024_sgd_lr1e-2_wd5e-4_bs_12_epoch484.yaml``
HRNETV2_W48 = _config(64, 4, (1, 4, 3), 4, 48)
#: ``seg_hrnet_w18_small_v1_512x1024_sgd_lr1e-2_wd5e-4_bs_12_epoch484.yaml``
HRNETV2_W18_SMALL_V1 = _config(32, 1, (1, 1, 1), 2, 16)
#: ``seg_hrnet_w18_small_v2_512x1024_sgd_lr1e-2_wd5e-4_bs_12_epoch484.yaml``
HRNETV2_W18_SMALL_V2 = _config(64, 2, (1, 3, 2), 2, 18)


def _cbr(cin: int, cout: int, stride: int = 1, relu: bool = True) -> nn.Sequential:
    """3x3 Conv (no bias) - BN [- ReLU]: the official transition / fuse unit."""
    layers = [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU(inplace=True)) if relu else nn.Sequential(*layers)


def _make_units(block: Type[nn.Module], inplanes: int, planes: int, num: int) -> nn.Sequential:
    """``num`` residual units from ``inplanes`` channels to ``planes * expansion`` (a 1x1 Conv-BN
    projection in the first when the widths differ), the official ``_make_layer``."""
    out = planes * block.expansion
    down = (
        nn.Sequential(nn.Conv2d(inplanes, out, 1, bias=False), nn.BatchNorm2d(out))
        if inplanes != out
        else None
    )
    return nn.Sequential(block(inplanes, planes, 1, down),
                         *(block(out, planes) for _ in range(1, num)))


class HighResolutionModule(nn.Module):
    r"""A modularized block of HRNet: residual units on every branch, then the multi-resolution
    fusion.

    .. math::
        y_i = \mathrm{ReLU}\Big(\sum_j f_{ij}(x_j)\Big), \qquad
        f_{ij} = \begin{cases}
        \mathrm{up}_{2^{j-i}} \circ \mathrm{BN} \circ \mathrm{conv}_{1\times1}
        & j > i \\ \mathrm{id} & j = i \\ (i - j) \text{ stride-2 } 3\times3 \text{ Conv-BN
        (ReLU between)} & j < i \end{cases}

    Upsampling is bilinear to the size of branch :math:`i` (``align_corners`` as given). Keys are
    the official ``branches.<i>.<unit>`` and ``fuse_layers.<i>.<j>`` (the identity and the single
    branch hold no parameters).

    Args:
        block: the residual unit class.
        num_blocks (sequence of int): units per branch.
        in_channels (sequence of int): channels of the input branches.
        channels (sequence of int): ``planes`` per branch.
        align_corners (bool): of the bilinear upsampling. (default: ``False``)

    Shapes:
        - **input:** list of :math:`(B, C_i, H_i, W_i)`, :math:`H_{i+1} = \lceil H_i / 2 \rceil`
        - **output:** list of :math:`(B, \text{planes}_i \cdot \text{expansion}, H_i, W_i)`
    """

    def __init__(self, block: Type[nn.Module], num_blocks: Sequence[int],
                 in_channels: Sequence[int], channels: Sequence[int],
                 align_corners: bool = False) -> None:
        super().__init__()
        n = len(num_blocks)
        if not (len(in_channels) == len(channels) == n >= 1):
            raise ValueError("num_blocks, in_channels and channels must have one entry per branch, "
                             f"got {len(num_blocks)}, {len(in_channels)}, {len(channels)}")
        self.num_branches, self.align_corners = n, align_corners
        self.branches = nn.ModuleList(
            _make_units(block, cin, c, nb) for cin, c, nb in zip(in_channels, channels, num_blocks)
        )
        self.out_channels = [c * block.expansion for c in channels]
        self.fuse_layers = self._make_fuse_layers(self.out_channels) if n > 1 else None
        self.relu = nn.ReLU(inplace=True)

    @staticmethod
    def _make_fuse_layers(ch: List[int]) -> nn.ModuleList:
        n = len(ch)
        rows = []
        for i in range(n):
            row = []
            for j in range(n):
                if j > i:
                    row.append(nn.Sequential(nn.Conv2d(ch[j], ch[i], 1, bias=False),
                                             nn.BatchNorm2d(ch[i])))
                elif j == i:
                    row.append(nn.Identity())
                else:  # i - j stride-2 convolutions, the last to ch[i] without ReLU
                    row.append(nn.Sequential(*(_cbr(ch[j], ch[i] if k == i - j - 1 else ch[j], 2,
                                                    relu=k < i - j - 1) for k in range(i - j))))
            rows.append(nn.ModuleList(row))
        return nn.ModuleList(rows)

    def run_branches(self, xs: List[Tensor]) -> List[Tensor]:
        """The residual units of every branch."""
        return [branch(x) for branch, x in zip(self.branches, xs)]

    def fuse(self, xs: List[Tensor]) -> List[Tensor]:
        """The multi-resolution fusion (exchange between the branches)."""
        if self.fuse_layers is None:
            return xs
        out = []
        for i, row in enumerate(self.fuse_layers):
            y = xs[i]
            for j, layer in enumerate(row):
                if j > i:
                    y = y + F.interpolate(layer(xs[j]), size=xs[i].shape[-2:], mode='bilinear',
                                          align_corners=self.align_corners)
                elif j < i:
                    y = y + layer(xs[j])
            out.append(self.relu(y))
        return out

    def forward(self, xs: List[Tensor]) -> List[Tensor]:
        if len(xs) != self.num_branches:
            raise ValueError(f"xs must hold {self.num_branches} branch maps, got {len(xs)}")
        return self.fuse(self.run_branches(list(xs)))


class HRNetV2(nn.Module):
    r"""HRNetV2 for semantic segmentation (the official ``seg_hrnet.HighResolutionNet``).

    .. code-block:: text

        x -> 3x3 s2 CBR (64) -> 3x3 s2 CBR (64) -> layer1 (stage 1, stride 4)
          -> transition1 -> stage2 (2 branches) -> transition2 -> stage3 (3 branches)
          -> transition3 -> stage4 (4 branches, strides 4, 8, 16, 32)
          -> upsample to stride 4, concat -> 1x1 CBR -> 1x1 classifier (last_layer)
          -> bilinear upsampling to the input size

    Args:
        config (HRNetConfig): the stages (:data:`HRNETV2_W48`, :data:`HRNETV2_W18_SMALL_V1`, ...).
        num_classes (int): :math:`K`. (default: ``19``)
        in_channels (int): image channels. (default: ``3``)
        align_corners (bool): of every bilinear upsampling. (default: ``False``, the released
            Cityscapes configuration)

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`, :math:`H, W \geq 32`
        - **output:** ``{'out': (B, K, H, W)}``
    """

    #: the stride of the highest-resolution branch and of the logits before upsampling
    output_stride = 4
    min_side = 32

    def __init__(self, config: HRNetConfig = HRNETV2_W48, num_classes: int = 19,
                 in_channels: int = 3, align_corners: bool = False) -> None:
        super().__init__()
        if not isinstance(config, HRNetConfig):
            raise TypeError(f"config must be an HRNetConfig, got {type(config).__name__}")
        check_int(num_classes, 'num_classes', 1)
        check_int(in_channels, 'in_channels', 1)
        for s in config.stages:
            check_choice(s.block, 'block', tuple(BLOCKS))
        check_choice(config.final_conv_kernel, 'final_conv_kernel', (1, 3))
        self.config, self.num_classes, self.align_corners = config, num_classes, align_corners
        self.conv1 = nn.Conv2d(in_channels, 64, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 64, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        s1 = config.stage1
        block1 = BLOCKS[s1.block]
        self.layer1 = _make_units(block1, 64, s1.channels[0], s1.num_blocks[0])
        pre = [s1.channels[0] * block1.expansion]
        for n, stage in enumerate(config.stages[1:], start=2):
            block = BLOCKS[stage.block]
            cur = [c * block.expansion for c in stage.channels]
            setattr(self, f'transition{n - 1}', self._make_transition(pre, cur))
            modules, pre = [], cur
            for _ in range(stage.num_modules):
                modules.append(HighResolutionModule(block, stage.num_blocks, pre, stage.channels,
                                                    align_corners))
                pre = modules[-1].out_channels
            setattr(self, f'stage{n}', nn.Sequential(*modules))
        self.feature_channels = list(pre)
        self.last_layer = self._make_head(sum(pre), num_classes, config.final_conv_kernel)
        self.reset_parameters()

    @staticmethod
    def _make_transition(pre: List[int], cur: List[int]) -> nn.ModuleList:
        layers = []
        for i, c in enumerate(cur):
            if i < len(pre):
                layers.append(_cbr(pre[i], c) if pre[i] != c else nn.Identity())
            else:  # a new branch: stride-2 3x3 CBRs from the lowest-resolution map
                k = i + 1 - len(pre)
                layers.append(nn.Sequential(*(_cbr(pre[-1], c if j == k - 1 else pre[-1], 2)
                                              for j in range(k))))
        return nn.ModuleList(layers)

    @staticmethod
    def _make_head(channels: int, num_classes: int, kernel: int = 1) -> nn.Sequential:
        """HRNetV2's head (``last_layer``): 1x1 Conv-BN-ReLU on the concatenated branches, then the
        classifier."""
        return nn.Sequential(nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels),
                             nn.ReLU(inplace=True),
                             nn.Conv2d(channels, num_classes, kernel, padding=kernel // 2))

    def reset_parameters(self) -> None:
        """The official ``init_weights``: convolutions :math:`\\mathcal N(0, 0.001^2)`, BatchNorm
        scale 1 and shift 0 (convolution biases keep PyTorch's default)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.001)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    @property
    def in_channels(self) -> int:
        return self.conv1.in_channels

    def check_input(self, x: Tensor) -> None:
        """Raise a clear error unless ``x`` is a floating ``(B, C_in, H, W)`` batch with
        ``H, W >= 32``."""
        check_image_batch(x, 'x', self.in_channels, self.min_side,
                          'one pixel on the stride-32 branch', module=self)

    @staticmethod
    def _transit(transition: nn.ModuleList, ys: List[Tensor]) -> List[Tensor]:
        return [t(ys[i] if i < len(ys) else ys[-1]) for i, t in enumerate(transition)]

    def forward_stage4_input(self, x: Tensor) -> List[Tensor]:
        """The 4 branch maps entering stage 4 (strides 4, 8, 16, 32)."""
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        ys = [self.layer1(x)]
        ys = self.stage2(self._transit(self.transition1, ys))
        ys = self.stage3(self._transit(self.transition2, ys))
        return self._transit(self.transition3, ys)

    def forward_features(self, x: Tensor) -> List[Tensor]:
        """The 4 branch outputs of stage 4 (strides 4, 8, 16, 32; :attr:`feature_channels`)."""
        self.check_input(x)
        return self.stage4(self.forward_stage4_input(x))

    def head(self, head: nn.Sequential, xs: List[Tensor]) -> Tensor:
        """A head on the branches upsampled to the first one's size and concatenated."""
        size = xs[0].shape[-2:]
        up = [xs[0]] + [F.interpolate(t, size=size, mode='bilinear',
                                      align_corners=self.align_corners) for t in xs[1:]]
        return head(torch.cat(up, dim=1))

    def logits(self, x: Tensor) -> Tensor:
        """The stride-4 logits of the official forward, :math:`(B, K, \\lceil H/4 \\rceil,
        \\lceil W/4 \\rceil)`."""
        return self.head(self.last_layer, self.forward_features(x))

    def upsample(self, logits: Tensor, size) -> Tensor:
        return F.interpolate(logits, size=size, mode='bilinear', align_corners=self.align_corners)

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        return {'out': self.upsample(self.logits(x), x.shape[-2:])}


class HGHighResolutionModule(HighResolutionModule):
    r"""A :class:`HighResolutionModule` whose branches run on HG-Conv's group graph (HG-HRNetV2).

    Each branch :math:`i` is an :class:`~graphseg.models.HGStage` (the dense units' weights and
    keys) on the group graph of its own input :math:`X_i`; its unpooled output is concatenated with
    :math:`X_i` and refined by a 1x1 Conv-BN-ReLU (``hg_fuse.<i>``, as HG-ResNet's fusion); the
    multi-resolution fusion is the dense one.

    Args:
        module (HighResolutionModule): the dense module whose branches, fusion and weights are
            taken.
        **kwargs: clustering options of :class:`~graphseg.models.HGStage` (``ratio``, ``iters``,
            ``sampling`` ...).

    Shapes:
        - **input:** list of :math:`(B, C_i, H_i, W_i)`
        - **output:** list of :math:`(B, C_i, H_i, W_i)`
    """

    def __init__(self, module: HighResolutionModule, **kwargs) -> None:
        if not isinstance(module, HighResolutionModule) or isinstance(module,
                                                                      HGHighResolutionModule):
            raise TypeError("module must be a dense HighResolutionModule, got "
                            f"{type(module).__name__}")
        nn.Module.__init__(self)
        self.num_branches, self.align_corners = module.num_branches, module.align_corners
        self.out_channels = list(module.out_channels)
        # the dense units' weights and keys, on the group graph (kwargs: the clustering options)
        self.branches = nn.ModuleList(HGStage.from_layer(b, **kwargs) for b in module.branches)
        self.fuse_layers, self.relu = module.fuse_layers, module.relu
        self.hg_fuse = nn.ModuleList(ConvBNReLU(b.in_channels + b.out_channels, b.out_channels, 1)
                                     for b in self.branches)

    def run_branches(self, xs: List[Tensor]) -> List[Tensor]:
        # clustering, Eq. 8 pooling, the units on the groups, Eq. 10 unpooling; concat + 1x1 CBR
        return [fuse(torch.cat([x, hg(x)], dim=1))
                for x, hg, fuse in zip(xs, self.branches, self.hg_fuse)]


class HGHRNetV2(HRNetV2):
    r"""HG-HRNetV2 (`Hamaguchi et al., CVPR 2021 <https://arxiv.org/abs/2104.11176>`_, Sec. 4.4,
    Table 1): HRNetV2 whose last modularized block of stage 4 runs every branch on HG-Conv's group
    graph.

    .. code-block:: text

        stage-4 input of the last block: X_i, i = 1..4 -------------------> aux head (training)
        X_i -> clustering (ratio, 1 iteration) -> pool (Eq. 8) -> the branch's units on the groups
            -> unpool (Eq. 10) -> 1x1 CBR([X_i, .]) -> the dense multi-resolution fusion -> head

    Args:
        config, num_classes, in_channels, align_corners: as :class:`HRNetV2`.
        ratio (float): groups per pixel of each branch. (default: ``1/64``)
        iters (int): differentiable-SLIC rounds. (default: ``1``, Table 12)
        aux (bool): the auxiliary HRNetV2 head on the input maps of the HG block (Table 12 trains
            with coefficient 0.1). (default: ``False``)
        **kwargs: clustering options of :class:`~graphseg.nn.hgconv.HGClustering` (``sampling``
            ``'topk_random'`` with ``oversample=7``, ``beta=0.75`` by default, as Table 12).

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`, :math:`H, W \geq 32`
        - **output:** ``{'out': (B, K, H, W)}``, plus ``'aux'`` :math:`(B, K, H, W)` in training
          mode with ``aux=True``
    """

    def __init__(self, config: HRNetConfig = HRNETV2_W48, num_classes: int = 19,
                 in_channels: int = 3, align_corners: bool = False, ratio: float = 1 / 64,
                 iters: int = 1, aux: bool = False, **kwargs) -> None:
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
            raise ValueError(f"ratio must be a number in (0, 1], got {ratio!r}")  # before building
        super().__init__(config, num_classes, in_channels, align_corners)
        last = HGHighResolutionModule(self.stage4[-1], ratio=ratio, iters=iters, **kwargs)
        self.stage4[-1] = last
        ins = [b.in_channels for b in last.branches]
        self.aux_head = self._make_head(sum(ins), num_classes) if aux else None

    def forward_features(self, x: Tensor) -> List[Tensor]:
        return self._features(x)[0]

    def _features(self, x: Tensor) -> Tuple[List[Tensor], List[Tensor]]:
        self.check_input(x)
        xs = self.forward_stage4_input(x)
        for module in list(self.stage4)[:-1]:  # (not a slice: a new Sequential hides from hooks)
            xs = module(xs)
        return self.stage4[-1](xs), xs

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        feats, hg_inputs = self._features(x)
        result = {'out': self.upsample(self.head(self.last_layer, feats), x.shape[-2:])}
        if self.training and self.aux_head is not None:
            result['aux'] = self.upsample(self.head(self.aux_head, hg_inputs), x.shape[-2:])
        return result

    def hg_stages(self) -> List[HGStage]:
        """The four :class:`~graphseg.models.HGStage` branches of the last block."""
        return list(self.stage4[-1].branches)


def _hrnet(config: HRNetConfig, num_classes: int, in_channels: int, **kwargs) -> HRNetV2:
    return HRNetV2(config, num_classes, in_channels, **kwargs)


def _hg_hrnet(config: HRNetConfig, num_classes: int, in_channels: int, ratio: float,
              **kwargs) -> HGHRNetV2:
    return HGHRNetV2(config, num_classes, in_channels, ratio=ratio, **kwargs)


@register_model
def hrnetv2_w48(num_classes: int = 19, in_channels: int = 3, **kwargs) -> HRNetV2:
    """HRNetV2-W48 (65,859,379 parameters at 19 classes, as the official code): the non-HG
    counterpart of :func:`hg_hrnetv2_w48` (HG-Conv Table 1: 696 GFLOPs on Cityscapes)."""
    return _hrnet(HRNETV2_W48, num_classes, in_channels, **kwargs)


@register_model
def hrnetv2_w18_small_v1(num_classes: int = 19, in_channels: int = 3, **kwargs) -> HRNetV2:
    """HRNetV2-W18-Small-v1 (1,540,819 parameters at 19 classes): the smallest released width."""
    return _hrnet(HRNETV2_W18_SMALL_V1, num_classes, in_channels, **kwargs)


@register_model
def hrnetv2_w18_small_v2(num_classes: int = 19, in_channels: int = 3, **kwargs) -> HRNetV2:
    """HRNetV2-W18-Small-v2 (3,939,579 parameters at 19 classes)."""
    return _hrnet(HRNETV2_W18_SMALL_V2, num_classes, in_channels, **kwargs)


@register_model
def hg_hrnetv2_w48(num_classes: int = 19, in_channels: int = 3, ratio: float = 1 / 64,
                   **kwargs) -> HGHRNetV2:
    """HG-HRNetV2-W48 (HG-Conv Table 1: 632 vs 696 GFLOPs): the 4 branches of stage 4's last block
    on the group graph (1/64, 1 clustering iteration); ``aux=True`` for the paper's training
    head."""
    return _hg_hrnet(HRNETV2_W48, num_classes, in_channels, ratio, **kwargs)


@register_model
def hg_hrnetv2_w18_small_v2(num_classes: int = 19, in_channels: int = 3, ratio: float = 1 / 64,
                         **kwargs) -> HGHRNetV2:
    """HG-HRNetV2 on HRNetV2-W18-Small-v2: the CPU-sized HG-HRNetV2."""
    return _hg_hrnet(HRNETV2_W18_SMALL_V2, num_classes, in_channels, ratio, **kwargs)
