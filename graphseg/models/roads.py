r"""The road-extraction orientation network (Batra et al., *Improved Road Connectivity by Joint
Learning of Orientation and Segmentation*, CVPR 2019) and its HG versions (Hamaguchi et al., CVPR
2021, Sec. 5.3, Table 10, Table 12 "Orientation").

**Orientation** (:func:`orientation`) is the authors' ``StackHourglassNetMTL``
(anilbatra2185/road_connectivity, ``model/stack_module.py``): a 7x7 stem and
three residual units to stride 4, then 2 stacked multi-task hourglasses. Each
hourglass (depth 3, max-pooling down, nearest upsampling up) has one shared
encoder and two decoders, one per task; each stack predicts the road
segmentation and the orientation (37 bins: 36 angles of 10 degrees and
background) at stride 4, and the first stack's features and predictions are
fed back into the second. Two decoder heads (a LinkNet decoder block and a
transposed-convolution head) bring the last stack's two outputs to stride 2
and to the input size. Keys, initialisation and forward pass are the
authors' (their checkpoints load directly); 29,002,012 parameters with 2 and
37 classes, measured with their code.

**Orientation+** (``plus=True``, HG-Conv Sec. 5.3): "the stride of the first
7x7 convolution is decreased to 1, and the max-pooling layer is removed", so
the stacks run at the input resolution. The paper does not say how the
decoder heads were adapted; here they keep their layers (and parameters) with
stride 1 instead of 2, so that the outputs stay at the input size.

**HG-Orientation** (:class:`HGHourglass`; HG-Conv Appendix A: "hourglass
module is replaced by multiple branches of small hourglass modules, HG-Conv is
applied on the encoder and decoders in each branch, and active focus is
introduced on the second stack"). Table 12 lists one HG row with three
ratios, 1/4, 1/16 and 1/64 (top-k + random sampling with k = 4, 16, 64, one
clustering iteration, no auxiliary loss); they are read here as the ratios of
the branches -- the pixel ratios of the hourglass's three pooling levels
(1/2, 1/4, 1/8 per side). Each branch clusters the hourglass input at its
ratio, runs the encoder units on the groups and each task's decoder units on
the same groups (as HG-ResUNet's decoder block), and the unpooled outputs of
all branches are added to the full-resolution skip units, as the hourglass
adds its upsampled lower levels. ``ratios=(1/16,)`` gives a single-branch
variant. With ``attention='object'`` the first stack's road probability
steers the second stack's centre sampling (active focus, Eq. 11-12).
Deviation: Sec. 5.3 adds "a coarse segmentation head ... on the input feature of
the HG-Conv module" for the attention map; the network already has one there (the
first stack's road score, which the authors' code adds into the second stack's
input), so it is reused and no new head or loss is added.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_choice, check_image_batch, check_int, check_number
from ..nn.hgconv import ActiveFocus
from .backbones.resnet import BasicBlock
from .hgresnet import DirectionalConv3x3, GraphBasicBlock, HGStage, NodeLinear
from .registry import register_model

#: the classes and helpers; every @register_model factory below is appended by the registry
__all__ = ['StackHourglassMTL', 'HourglassMTL', 'HGHourglass', 'DecoderBlock', 'HG_RATIOS',
           'check_ratios']

#: the ratios of the HG branches (Table 12): the pixel ratios of the hourglass's pooling levels
HG_RATIOS = (1 / 4, 1 / 16, 1 / 64)


def _units(inplanes: int, planes: int, num: int) -> nn.Sequential:
    """The authors' ``_make_residual``: ``num`` basic units, a biased 1x1 projection (no BN) in the
    first when the widths differ."""
    down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, bias=True)) if inplanes != planes else None
    return nn.Sequential(BasicBlock(inplanes, planes, 1, down),
                         *(BasicBlock(planes, planes) for _ in range(1, num)))


class DecoderBlock(nn.Module):
    r"""LinkNet's decoder block (the authors' ``DecoderBlock``): 1x1 CBR to :math:`C/4`, 3x3
    transposed CBR (stride 2), 1x1 CBR to ``out_channels``.

    Shapes:
        - **input:** :math:`(B, C, H, W)`
        - **output:** :math:`(B, C_{out}, sH, sW)` (``s`` the stride)
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 2) -> None:
        super().__init__()
        mid = in_channels // 4
        self.conv1 = nn.Conv2d(in_channels, mid, 1)
        self.norm1 = nn.BatchNorm2d(mid)
        self.relu1 = nn.ReLU(inplace=True)
        self.deconv2 = nn.ConvTranspose2d(mid, mid, 3, stride=stride, padding=1,
                                          output_padding=stride - 1)
        self.norm2 = nn.BatchNorm2d(mid)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(mid, out_channels, 1)
        self.norm3 = nn.BatchNorm2d(out_channels)
        self.relu3 = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu1(self.norm1(self.conv1(x)))
        x = self.relu2(self.norm2(self.deconv2(x)))
        return self.relu3(self.norm3(self.conv3(x)))


class HourglassMTL(nn.Module):
    r"""The multi-task hourglass (the authors' ``HourglassModuleMTL``): one encoder, two decoders.

    Level :math:`n` (``depth`` at the top): ``up1 = hg[n-1][0](x)``,
    ``low1 = hg[n-1][1](maxpool(x))``,
    the level below (or, at the bottom, ``hg[0][4]`` / ``hg[0][5]``) gives one map per task,
    ``hg[n-1][2]`` / ``hg[n-1][3]`` refine them, and each output is ``up1`` plus its map upsampled
    (nearest, x2, cropped to ``x``'s size).

    Shapes:
        - **input:** :math:`(B, C, H, W)`
        - **output:** two maps :math:`(B, C, H, W)` (segmentation, orientation)
    """

    def __init__(self, planes: int = 128, num_blocks: int = 3, depth: int = 3) -> None:
        super().__init__()
        check_int(depth, 'depth', 1)
        self.depth = depth
        self.hg = nn.ModuleList(
            nn.ModuleList(_units(planes, planes, num_blocks) for _ in range(6 if i == 0 else 4))
            for i in range(depth)
        )

    def _level(self, n: int, x: Tensor) -> Tuple[Tensor, Tensor]:
        res = self.hg[n - 1]
        up1 = res[0](x)
        low1 = res[1](F.max_pool2d(x, 2, stride=2, ceil_mode=True))
        if n > 1:
            low2_1, low2_2 = self._level(n - 1, low1)
        else:
            low2_1, low2_2 = res[4](low1), res[5](low1)
        rows, cols = x.shape[-2:]
        out_1 = up1 + F.interpolate(res[2](low2_1), scale_factor=2.0)[:, :, :rows, :cols]
        out_2 = up1 + F.interpolate(res[3](low2_2), scale_factor=2.0)[:, :, :rows, :cols]
        return out_1, out_2

    def forward(self, x: Tensor, attention: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        return self._level(self.depth, x)


def check_ratios(ratios: Sequence[float]) -> Tuple[float, ...]:
    """``ratios`` as a tuple if it holds at least one number in (0, 1], else ``ValueError``."""
    ratios = tuple(ratios) if isinstance(ratios, (tuple, list)) else ratios
    if not isinstance(ratios, tuple) or not ratios or any(
            isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 < r <= 1
            for r in ratios):
        raise ValueError(f"ratios must be a non-empty sequence of numbers in (0, 1], got "
                         f"{ratios!r}")
    return ratios


class HGHourglass(nn.Module):
    r"""The multi-task hourglass with HG-Conv branches (HG-Orientation, HG-Conv Appendix A).

    .. code-block:: text

        out_t = up(x) + sum_b  unpool(dec_t^b(groups_b)),   groups_b: x clustered at ratios[b]
        enc^b = the encoder units on groups_b (pool, units, unpool; Eq. 8-10)
        dec_t^b = task t's decoder units on the same groups

    ``up`` are dense units at the input resolution (the hourglass's skip); each branch is an
    :class:`~graphseg.models.HGStage` encoder and two :class:`~graphseg.models.HGStage` decoders
    sharing its group graph.

    Args:
        planes (int): channels. (default: ``128``)
        num_blocks (int): residual units per encoder / decoder. (default: ``3``)
        ratios (sequence of float): groups per pixel of each branch. (default: :data:`HG_RATIOS`)
        oversample (sequence of float, optional): top-k + random :math:`k` per branch (default:
            ``1 / ratio``, Table 12).
        iters (int): differentiable-SLIC rounds. (default: ``1``)
        **kwargs: other clustering options of :class:`~graphseg.nn.hgconv.HGClustering`.

    Shapes:
        - **input:** :math:`(B, C, H, W)`, attention :math:`(B, H, W)` (optional, active focus)
        - **output:** two maps :math:`(B, C, H, W)`
    """

    def __init__(self, planes: int = 128, num_blocks: int = 3, ratios: Sequence[float] = HG_RATIOS,
                 oversample: Optional[Sequence[float]] = None, iters: int = 1, **kwargs) -> None:
        super().__init__()
        ratios = check_ratios(ratios)
        oversample = tuple(oversample) if oversample is not None else tuple(1 / r for r in ratios)
        if len(oversample) != len(ratios):
            raise ValueError(f"oversample must have one entry per ratio ({len(ratios)}), got "
                             f"{len(oversample)}")
        self.ratios = ratios
        self.up = _units(planes, planes, num_blocks)

        def stage(ratio: float, k: float) -> HGStage:
            return HGStage([GraphBasicBlock(planes, planes) for _ in range(num_blocks)],
                           ratio=ratio, iters=iters, oversample=max(1., k), **kwargs)

        self.branches = nn.ModuleList(
            nn.ModuleDict({'encoder': stage(r, k), 'decoder1': stage(r, k),
                           'decoder2': stage(r, k)})
            for r, k in zip(ratios, oversample)
        )

    def forward(self, x: Tensor, attention: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        up = self.up(x)
        out_1, out_2 = up, up
        for branch in self.branches:
            enc, graph = branch['encoder'](x, attention, return_graph=True)
            out_1 = out_1 + branch['decoder1'](enc, graph=graph)
            out_2 = out_2 + branch['decoder2'](enc, graph=graph)
        return out_1, out_2


class StackHourglassMTL(nn.Module):
    r"""The stacked multi-task hourglass network of the orientation paper (Batra et al., CVPR 2019),
    with the HG-Conv paper's "+" and HG modifications.

    .. code-block:: text

        x -> 7x7 CBR (stride 2; 1 with plus) -> layer1 -> maxpool (none with plus) -> layer2, layer3
          -> stack i: hourglass -> res -> fc -> score (road / orientation at this stride)
                      (+ fed back: x += _fc(y) + _score(score), both tasks)
          -> road: decoder1 (x2, 128 channels) -> score;
                   finaldeconv1 (x2), finalconv2, finalconv3 -> 'out'
          -> orientation: the same angle_* head -> 'orientation'

    Args:
        num_classes (int): road segmentation classes (``task1_classes``). (default: ``2``)
        orientation_classes (int): orientation bins (``task2_classes``). (default: ``37``)
        in_channels (int): image channels. (default: ``3``)
        num_stacks (int): stacked hourglasses. (default: ``2``)
        num_blocks (int): units of ``layer2`` / ``layer3``. (default: ``1``)
        hg_num_blocks (int): units per hourglass part. (default: ``3``)
        depth (int): hourglass depth. (default: ``3``)
        plus (bool): Orientation+: stride-1 stem, no max-pooling. (default: ``False``)
        hg (bool): HG-Orientation: :class:`HGHourglass` stacks. (default: ``False``)
        ratios (sequence of float): the HG branches' ratios. (default: :data:`HG_RATIOS`)
        attention (str, optional): active focus of the stacks after the first: ``'object'``
            (Eq. 12, the road probability of the previous stack, ``focus_class``) or
            ``'uncertainty'`` (Eq. 13). (default: ``None``)
        focus_class (int): the attended class of ``'object'``. (default: ``1``, road)
        alpha (float): :math:`\alpha` of Eq. 11. (default: ``10``)
        **kwargs: clustering options of :class:`HGHourglass`.

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`, :math:`H, W` even
        - **output:** ``{'out': road logits (B, K, H, W), 'orientation': (B, K_o, H, W),
          'stacks': [per-stack road logits at stride 4 (1 with plus), the decoder's at stride 2],
          'orientation_stacks': the same for the orientation}``, plus ``'attention'`` (the maps
          that steered the sampling) with active focus
    """

    def __init__(self, num_classes: int = 2, orientation_classes: int = 37, in_channels: int = 3,
                 num_stacks: int = 2, num_blocks: int = 1, hg_num_blocks: int = 3, depth: int = 3,
                 plus: bool = False, hg: bool = False, ratios: Sequence[float] = HG_RATIOS,
                 attention: Optional[str] = None, focus_class: int = 1, alpha: float = 10.,
                 **kwargs) -> None:
        super().__init__()
        check_int(num_classes, 'num_classes', 1)
        check_int(orientation_classes, 'orientation_classes', 1)
        check_int(in_channels, 'in_channels', 1)
        check_int(num_stacks, 'num_stacks', 1)
        check_int(num_blocks, 'num_blocks', 1)
        check_int(hg_num_blocks, 'hg_num_blocks', 1)
        if attention is not None:
            check_choice(attention, 'attention', ('object', 'uncertainty'))
            if not hg:
                raise ValueError("attention steers HG-Conv's sampling: it needs hg=True")
            if attention == 'object':
                check_int(focus_class, 'focus_class', 0, num_classes - 1)
        check_number(alpha, 'alpha', 0.)
        if hg:
            check_ratios(ratios)
        if kwargs and not hg:
            raise TypeError(f"{sorted(kwargs)[0]!r} is a clustering option; it needs hg=True")
        self.num_stacks, self.plus, self.hg_stacks = num_stacks, plus, hg
        self.inplanes, self.num_feats = 64, 128
        ch = self.num_feats
        self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=1 if plus else 2, padding=3, bias=True)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = _units(64, 64, 1)
        self.layer2 = _units(64, 64, num_blocks)
        self.layer3 = _units(64, ch, num_blocks)
        self.maxpool = nn.Identity() if plus else nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.hg = nn.ModuleList(
            HGHourglass(ch, hg_num_blocks, ratios, alpha=alpha, **kwargs) if hg
            else HourglassMTL(ch, hg_num_blocks, depth) for _ in range(num_stacks)
        )
        for t, k in (('1', num_classes), ('2', orientation_classes)):
            setattr(self, f'res_{t}', nn.ModuleList(_units(ch, ch, hg_num_blocks)
                                                    for _ in range(num_stacks)))
            setattr(self, f'fc_{t}', nn.ModuleList(self._fc(ch) for _ in range(num_stacks)))
            setattr(self, f'score_{t}', nn.ModuleList(nn.Conv2d(ch, k, 1)
                                                      for _ in range(num_stacks)))
            setattr(self, f'_fc_{t}', nn.ModuleList(nn.Conv2d(ch, ch, 1)
                                                    for _ in range(num_stacks - 1)))
            setattr(self, f'_score_{t}', nn.ModuleList(nn.Conv2d(k, ch, 1)
                                                       for _ in range(num_stacks - 1)))
        s = 1 if plus else 2
        # (the released heads are built with self.inplanes, which _make_residual has set to 128)
        for prefix, k in (('', num_classes), ('angle_', orientation_classes)):
            setattr(self, f'{prefix}decoder1', DecoderBlock(ch, ch, s))
            setattr(self, f'{prefix}decoder1_score', nn.Conv2d(ch, k, 1))
            setattr(self, f'{prefix}finaldeconv1', nn.ConvTranspose2d(ch, 32, 3, stride=s))
            setattr(self, f'{prefix}finalrelu1', nn.ReLU(inplace=True))
            setattr(self, f'{prefix}finalconv2', nn.Conv2d(32, 32, 3))
            setattr(self, f'{prefix}finalrelu2', nn.ReLU(inplace=True))
            setattr(self, f'{prefix}finalconv3', nn.Conv2d(32, k, 2, padding=1))
        self.focus = (ActiveFocus(attention, focus_class if attention == 'object' else None)
                      if attention else None)
        self.reset_parameters()

    def _fc(self, ch: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(ch, ch, 1, bias=True), nn.BatchNorm2d(ch), self.relu)

    def reset_parameters(self) -> None:
        """The authors' ``weights_init``: (transposed) convolutions
        :math:`\\mathcal N(0, 2 / (k^2 C_{out}))`, BatchNorm scale 1 and shift 0; biases keep
        PyTorch's default. The HG units' 3x3 graph convolutions get the same law (9 taps)."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, 0., math.sqrt(2. / n))
            elif isinstance(m, DirectionalConv3x3):  # weight (9, C_in, C_out)
                nn.init.normal_(m.weight, 0., math.sqrt(2. / (9 * m.out_channels)))
            elif isinstance(m, NodeLinear):  # a 1x1 convolution on the nodes
                nn.init.normal_(m.weight, 0., math.sqrt(2. / m.out_channels))
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    @property
    def in_channels(self) -> int:
        return self.conv1.in_channels

    @property
    def stride(self) -> int:
        """The stride of the stacks."""
        return 1 if self.plus else 4

    def check_input(self, x: Tensor) -> None:
        """Raise a clear error unless ``x`` is a floating ``(B, C_in, H, W)`` batch of even sides
        (the decoder heads double ``ceil(H / 2)``)."""
        check_image_batch(x, 'x', self.in_channels, 2, 'the output stride', module=self)
        if x.size(-2) % 2 or x.size(-1) % 2:
            raise ValueError(f"x must have even height and width (the decoder heads double "
                             f"ceil(H / 2)), got {tuple(x.shape[-2:])}")

    def _stacks(self, x: Tensor, result: Dict[str, object]) -> Tuple[Tensor, Tensor]:
        rows, cols = (-(-s // self.stride) for s in x.shape[-2:])
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.maxpool(self.layer1(x))))
        attention: Optional[Tensor] = None
        for i in range(self.num_stacks):
            y1, y2 = self.hg[i](x, attention) if self.hg_stacks else self.hg[i](x)
            y1, y2 = self.fc_1[i](self.res_1[i](y1)), self.fc_2[i](self.res_2[i](y2))
            score1, score2 = self.score_1[i](y1), self.score_2[i](y2)
            result['stacks'].append(score1[:, :, :rows, :cols])
            result['orientation_stacks'].append(score2[:, :, :rows, :cols])
            if i < self.num_stacks - 1:
                x = (x + self._fc_1[i](y1) + self._score_1[i](score1) + self._fc_2[i](y2)
                     + self._score_2[i](score2))
                if self.focus is not None:  # Eq. 12 / 13 from this stack's road prediction
                    attention = self.focus(score1.detach().softmax(1))
                    result.setdefault('attention', []).append(attention)
        return y1, y2

    def _head(self, y: Tensor, prefix: str, size: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
        h, w = (-(-s // 2) for s in size) if not self.plus else size
        d1 = getattr(self, f'{prefix}decoder1')(y)[:, :, :h, :w]
        f = getattr(self, f'{prefix}finalrelu1')(getattr(self, f'{prefix}finaldeconv1')(d1))
        f = getattr(self, f'{prefix}finalrelu2')(getattr(self, f'{prefix}finalconv2')(f))
        out = getattr(self, f'{prefix}finalconv3')(f)
        return getattr(self, f'{prefix}decoder1_score')(d1), out[:, :, :size[0], :size[1]]

    def forward(self, x: Tensor) -> Dict[str, object]:
        self.check_input(x)
        size = tuple(x.shape[-2:])
        result: Dict[str, object] = {'stacks': [], 'orientation_stacks': []}
        y1, y2 = self._stacks(x, result)
        d1_score, out = self._head(y1, '', size)
        a_d1_score, angle = self._head(y2, 'angle_', size)
        result['stacks'].append(d1_score)
        result['orientation_stacks'].append(a_d1_score)
        return {'out': out, 'orientation': angle, **result}

    def released_outputs(self, x: Tensor) -> Tuple[List[Tensor], List[Tensor]]:
        """The two lists the authors' ``forward`` returns: per task, the stacks' logits, the
        decoder's and the final ones."""
        r = self.forward(x)
        return r['stacks'] + [r['out']], r['orientation_stacks'] + [r['orientation']]


@register_model(input_divisor=2)
def orientation(num_classes: int = 2, in_channels: int = 3, orientation_classes: int = 37,
                **kwargs) -> StackHourglassMTL:
    """Orientation (Batra et al., CVPR 2019; HG-Conv Table 10 "Orientation [2]"): the stacked
    multi-task hourglass, road + 37 orientation bins (29,002,012 parameters)."""
    return StackHourglassMTL(num_classes, orientation_classes, in_channels, **kwargs)


@register_model(input_divisor=2)
def orientation_plus(num_classes: int = 2, in_channels: int = 3, orientation_classes: int = 37,
                     **kwargs) -> StackHourglassMTL:
    """Orientation+ (HG-Conv Table 10): stride-1 stem, no max-pooling, the stacks at the input
    resolution."""
    return StackHourglassMTL(num_classes, orientation_classes, in_channels, plus=True, **kwargs)


@register_model(input_divisor=2)
def hg_orientation(num_classes: int = 2, in_channels: int = 3, orientation_classes: int = 37,
                   ratios: Sequence[float] = HG_RATIOS, **kwargs) -> StackHourglassMTL:
    """HG-Orientation: the stacks' hourglasses as HG-Conv branches at ``ratios`` (default 1/4,
    1/16, 1/64, Table 12), on the stride-4 stacks."""
    return StackHourglassMTL(num_classes, orientation_classes, in_channels, hg=True, ratios=ratios,
                             **kwargs)


@register_model(input_divisor=2)
def hg_orientation_plus_attn(num_classes: int = 2, in_channels: int = 3,
                             orientation_classes: int = 37, ratios: Sequence[float] = HG_RATIOS,
                             attention: str = 'object', **kwargs) -> StackHourglassMTL:
    """HG-Orientation+-Attn (HG-Conv Table 10, 68.3 IoU / 76.4 APLS): Orientation+ with HG-Conv
    branches, the second stack's centres focused on the first stack's road prediction."""
    return StackHourglassMTL(num_classes, orientation_classes, in_channels, plus=True, hg=True,
                             ratios=ratios, attention=attention, **kwargs)
