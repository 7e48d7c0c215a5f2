r"""Quadtree Generating Network: a ResNet encoder and the sparse QGN decoder.

Chitta, Alvarez, Hebert, *Quadtree Generating Networks: Efficient Hierarchical
Scene Parsing with Sparse Convolutions*, WACV 2020. The encoder is a
:class:`~graphseg.models.ResNet` seen as 5 maps (the stride-2 stem and
``layer1..4``, :meth:`~graphseg.models.ResNet.forward_pyramid`); by default the
official one, MIT CSAIL's deep-stem ResNet-50
(:func:`~graphseg.models.resnet50_deepstem`). The decoder
(:class:`~graphseg.nn.qgn.QGNDecoder`) generates a 6-level quadtree
:math:`\hat Q_5 \dots \hat Q_0`. As in the released code, the model names give
the *decoder* depth: :func:`qgn_resnet34` (transposed basic blocks, the
released ``QGN_resnet34``) and :func:`qgn_resnet50` (transposed bottleneck
blocks, ``QGN_resnet50``); ``skips='top'`` is the released ``..._noskip``
(the Cityscapes setting). Parameters (measured with the released code,
19 classes): decoders 34,111,736 (34) and 47,064,696 (50), encoder 23,631,808.
Train with the ground-truth composite scheme and :class:`~graphseg.nn.qgn.QGNLoss`::

    model = create_model('qgn_resnet34', num_classes=19)
    loss = model.compute_loss(image, labels)  # labels (B, H, W), H, W divisible by 32
    logits = model(image)['out']  # inference, (B, 19, H, W)
    logits = model(image, inference='bilinear', size=(1024, 2048))['out']  # the released inference
    # the released per-epoch class weighting
    model.update_class_weights(evaluate(model, val, 19)['iou'])

QGN Table 4 (ADE20K) inserts a **PSPNet module** between encoder and decoder
(``context='psp'``, :func:`qgn_resnet34_psp` / :func:`qgn_resnet50_psp`, the
released ``QGN_resnet34_ppm`` / ``QGN_resnet50_ppm``): the released
``PPMBilinear`` in context mode (:class:`PyramidPooling`: average pooling to
1, 2, 3, 6 cells, 1x1 Conv-BN-ReLU to 256 channels each, bilinear upsampling,
concatenation with the stride-32 map and a biased 1x1 convolution back to its
2048 channels; 8,392,704 parameters), whose output replaces the stride-32 map.
The ResNet-101 rows use the released ``resnet101`` encoder, MIT CSAIL's
deep-stem ResNet-101 (:func:`resnet101_deepstem`, 42,623,936 parameters
without ``fc``): ``qgn_resnet34_psp(encoder='resnet101_deepstem')``.

Released checkpoints (decoder and encoder state dicts) load with
:func:`graphseg.models.load_official`; the released label coding converts with
:func:`graphseg.graphs.to_official_labels` / :func:`~graphseg.graphs.from_official_labels`.
Not reproduced: the encoder's synchronized BatchNorm running statistics
(momentum 0.001 with bias correction, multi-GPU), and the image-pyramid test-time
averaging of the released ``test.py``.
"""
from __future__ import annotations

import re
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..check import check_choice, check_image_batch, check_index, check_int, check_ndim
from ..graphs.quadtree import t_pyramid
from ..nn.qgn import QGNDecoder, QGNLoss
from ..nn.sparse import SparseConvTranspose2d, SubmanifoldConv2d
from .backbones.resnet import Bottleneck, ResNet
from .registry import create_model, register_model

#: the classes and helpers; every @register_model factory below is appended by the registry
__all__ = ['QGN', 'PyramidPooling', 'INFERENCES', 'WIDTHS', 'CONTEXTS', 'convert_official']

INFERENCES = ('nearest', 'bilinear')
#: the official decoders' widths
WIDTHS = {'basic': (512, 256, 128, 64, 64), 'bottleneck': (2048, 1024, 512, 256, 256)}


#: the context modules QGN takes between encoder and decoder (QGN Table 4: PSPNet's)
CONTEXTS = ('psp',)


class PyramidPooling(nn.Module):
    r"""PSPNet's pyramid pooling module as the released QGN uses it between encoder and decoder
    (``PPMBilinear(num_class=2048, context_mode=True)``; Zhao et al., CVPR 2017).

    .. math::
        y = W_{last} \big[x,\ \mathrm{up}(\mathrm{CBR}_s(\mathrm{avgpool}_s(x)))_{s = 1, 2, 3, 6}
        \big] + b

    Keys are the released ones (``ppm.<i>.1`` the 1x1 convolution, ``ppm.<i>.2`` its BatchNorm,
    ``conv_last``), so the ``context.*`` tensors of a released ``QGN_*_ppm`` decoder load as they
    are; upsampling is bilinear with ``align_corners=False`` (``F.upsample``'s default since torch
    0.4.1).

    Args:
        in_channels (int): channels of the stride-32 map. (default: ``2048``)
        out_channels (int): channels of the output (the released ``num_class=2048``). (default:
            ``2048``)
        channels (int): channels of each pooled branch. (default: ``256``)
        pool_scales (sequence of int): output sizes of the average poolings. (default:
            ``(1, 2, 3, 6)``)

    Shapes:
        - **input:** :math:`(B, C_{in}, h, w)`
        - **output:** :math:`(B, C_{out}, h, w)`
    """

    def __init__(self, in_channels: int = 2048, out_channels: int = 2048, channels: int = 256,
                 pool_scales: Sequence[int] = (1, 2, 3, 6)) -> None:
        super().__init__()
        for name, v in (('in_channels', in_channels), ('out_channels', out_channels),
                        ('channels', channels)):
            check_int(v, name, 1)
        if not pool_scales:
            raise ValueError("pool_scales must hold at least one output size")
        for scale in pool_scales:
            check_int(scale, 'pool_scales', 1)
        self.ppm = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(scale), nn.Conv2d(in_channels, channels, 1,
                                                                 bias=False),
                          nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
            for scale in pool_scales
        )
        self.conv_last = nn.Conv2d(in_channels + len(pool_scales) * channels, out_channels, 1)

    def released_init(self) -> 'PyramidPooling':
        """The released decoder's ``weights_init``: convolution weights Kaiming-normal (fan-in),
        BatchNorm scale 1 and shift 1e-4 (convolution biases keep PyTorch's default)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.constant_(m.bias, 1e-4)
        return self

    def forward(self, x: Tensor) -> Tensor:
        size = x.shape[-2:]
        out = [x] + [F.interpolate(stage(x), size=size, mode='bilinear', align_corners=False)
                     for stage in self.ppm]
        return self.conv_last(torch.cat(out, dim=1))


class QGN(nn.Module):
    r"""ResNet encoder + QGN decoder.

    Args:
        num_classes (int): :math:`k`. (default: ``19``)
        encoder (str or ResNet): a registered ResNet (``'resnet50_deepstem'`` -- the official
            encoder --, ``'resnet18'`` ...) or a :class:`~graphseg.models.ResNet`; its ``fc`` is
            removed. (default: ``'resnet50_deepstem'``)
        block (str): the decoder's blocks, ``'basic'`` (ResNet-34 decoder) or ``'bottleneck'``
            (ResNet-50 decoder). (default: ``'basic'``)
        widths (sequence of int, optional): decoder widths (default: the official ones of
            ``block``).
        blocks, final_blocks, sparse, skips, defaults, dense_up_kernel: of
            :class:`~graphseg.nn.qgn.QGNDecoder`.
        in_channels (int): image channels. (default: ``3``)
        ignore_index (int): the "no label" value of the label maps. (default: ``255``)
        weighting, gamma: of :class:`~graphseg.nn.qgn.QGNLoss`. (default: ``'fixed'``, ``1.0``)
        context (str, optional): a context module between encoder and decoder, ``'psp'``
            (:class:`PyramidPooling` on the stride-32 map, QGN Table 4). (default: ``None``)

    Shapes:
        - **input:** image :math:`(B, C, H, W)`, :math:`H, W` divisible by 32
        - **output:** ``{'out': logits (B, K, H', W'), 'levels': QGNOutput}``: with
          ``inference='nearest'`` every pixel takes the class logits of the cell where its quadtree
          path stopped (:meth:`~graphseg.nn.qgn.QGNOutput.dense_logits`, arg-max = QGN Sec. 3.2
          inference, at the image size); with ``'bilinear'`` the released multi-level bilinear merge
          at any ``size`` (:meth:`~graphseg.nn.qgn.QGNOutput.bilinear_logits`); ``'levels'`` holds
          the quadtree :math:`\hat Q_l`, ``l = 5 ... min_level``
    """

    def __init__(self, num_classes: int = 19, encoder: Union[str, ResNet] = 'resnet50_deepstem', *,
                 block: str = 'basic', widths: Optional[Sequence[int]] = None,
                 blocks: Sequence[int] = (6, 4, 3, 3), final_blocks: int = 3, sparse: bool = True,
                 skips: str = 'all', defaults: str = 'official', dense_up_kernel: int = 3,
                 in_channels: int = 3, ignore_index: int = 255, weighting: str = 'fixed',
                 gamma: float = 1.0, context: Optional[str] = None) -> None:
        super().__init__()
        check_int(num_classes, 'num_classes', 1)
        check_choice(block, 'block', tuple(WIDTHS))
        self.encoder = (
            create_model(encoder, in_channels=in_channels) if isinstance(encoder, str) else encoder
        )
        if not isinstance(self.encoder, ResNet) or list(self.encoder.feature_strides) != [4, 8, 16,
                                                                                          32]:
            raise ValueError("encoder must be a ResNet with feature strides (4, 8, 16, 32), got "
                             f"{encoder!r}")
        # classification head unused (load_pretrained(..., strict=False) skips it)
        self.encoder.fc = nn.Identity()
        channels = [self.encoder.stem_channels] + list(self.encoder.feature_channels)
        if context is not None:
            check_choice(context, 'context', CONTEXTS)
        # PSPNet's module on the stride-32 map (the released QGN_*_ppm, initialised as released)
        self.context = PyramidPooling(channels[-1], channels[-1]) if context == 'psp' else None
        if self.context is not None and defaults == 'official':
            self.context.released_init()
        self.decoder = QGNDecoder(channels, num_classes, tuple(widths or WIDTHS[block]), blocks,
                                  final_blocks, sparse, block=block, skips=skips, defaults=defaults,
                                  dense_up_kernel=dense_up_kernel)
        self.num_classes, self.num_levels = num_classes, self.decoder.num_levels
        self.ignore_index = ignore_index
        self.criterion = QGNLoss(self.num_levels, weighting, gamma, ignore_index=ignore_index,
                                 num_classes=num_classes)

    def forward(self, image: Tensor, scheme: str = 'predicted',
                pyramid: Optional[Sequence[Tensor]] = None, min_level: int = 0, *,
                inference: str = 'nearest',
                size: Optional[Tuple[int, int]] = None) -> Dict[str, object]:
        """Encode, then decode the quadtree with a propagation ``scheme`` (``'all'``, ``'gt'``,
        ``'predicted'``) down to ``min_level`` (the anytime budget); ``'out'`` by ``inference`` at
        ``size`` (bilinear only; default the image size)."""
        check_image_batch(image, 'image', self.encoder.conv1.in_channels, module=self)
        check_choice(inference, 'inference', INFERENCES)
        H, W = image.shape[-2:]
        m = 2 ** (self.num_levels - 1)
        if H % m or W % m:
            raise ValueError(f"image height and width must be divisible by {m}, got ({H}, {W}); "
                             f"pad with graphseg.graphs.pad_to_multiple(image, {m})")
        if inference == 'nearest' and size is not None and tuple(size) != (H, W):
            raise ValueError("inference='nearest' paints the quadtree at the image size "
                             f"{(H, W)}, got size={size}; use inference='bilinear' for other sizes")
        feats = self.encoder.forward_pyramid(image)
        if self.context is not None:
            feats[-1] = self.context(feats[-1])
        levels = self.decoder(feats, scheme, pyramid, min_level)
        out = levels.dense_logits() if inference == 'nearest' else levels.bilinear_logits(size)
        return {'out': out, 'levels': levels}

    def compute_loss(self, image: Tensor, labels: Tensor) -> Tensor:
        """Training objective: decode with the ground-truth composite scheme and apply the level
        loss (Eq. 4, 6) against the T-pyramid of ``labels`` :math:`(B, H, W)` (values in ``[0, K)``
        or ignore)."""
        check_index(labels, 'labels')
        check_ndim(labels, 'labels', 3, '(B, H, W)')
        if labels.shape[-2:] != image.shape[-2:]:
            raise ValueError(f"labels must have the image size {tuple(image.shape[-2:])}, "
                             f"got {tuple(labels.shape[-2:])}")
        pyramid = t_pyramid(labels, self.num_levels, self.num_classes, self.ignore_index)
        return self.criterion(self.forward(image, 'gt', pyramid)['levels'], pyramid)

    def update_class_weights(self, iou: Tensor, enhance_weight: float = 2.,
                             composite_weight: float = 2.) -> Tensor:
        """The released per-epoch class weighting of the level loss from the per-class IoU of the
        last evaluation (:meth:`~graphseg.nn.qgn.QGNLoss.update_class_weights`)."""
        return self.criterion.update_class_weights(iou, enhance_weight, composite_weight)

    def predict(self, image: Tensor, scheme: str = 'predicted',
                pyramid: Optional[Sequence[Tensor]] = None, min_level: int = 0) -> Tensor:
        """The label map :math:`(B, H, W)` (QGN Sec. 3.2 inference)."""
        return self.forward(image, scheme, pyramid, min_level)['levels'].labels()


def _no_backbone(kwargs: dict) -> None:
    if 'backbone' in kwargs:  # the name before the released names (qgn_resnet18(backbone=...))
        raise TypeError(f"QGN takes encoder=, not backbone=; got backbone={kwargs['backbone']!r} "
                        f"(the factory name is the decoder: qgn_resnet34(encoder='resnet18'))")


@register_model(input_divisor=32)
def qgn_resnet34(num_classes: int = 19, encoder: Union[str, ResNet] = 'resnet50_deepstem',
                 **kwargs) -> QGN:
    """QGN with the official "ResNet-34" decoder (transposed basic blocks, widths 512-256-128-64-64;
    34,111,736 parameters at 19 classes) on the official deep-stem ResNet-50 encoder."""
    _no_backbone(kwargs)
    return QGN(num_classes, encoder, block='basic', **kwargs)


@register_model(input_divisor=32)
def qgn_resnet50(num_classes: int = 19, encoder: Union[str, ResNet] = 'resnet50_deepstem',
                 **kwargs) -> QGN:
    """QGN with the official "ResNet-50" decoder (transposed bottleneck blocks, widths
    2048-1024-512-256-256; 47,064,696 parameters at 19 classes) on the official deep-stem ResNet-50
    encoder."""
    _no_backbone(kwargs)
    return QGN(num_classes, encoder, block='bottleneck', **kwargs)


@register_model(input_divisor=32)
def qgn_resnet34_psp(num_classes: int = 150, encoder: Union[str, ResNet] = 'resnet50_deepstem',
                     **kwargs) -> QGN:
    """QGN with a PSPNet module between encoder and decoder (QGN Table 4, ADE20K; the released
    ``QGN_resnet34_ppm``): :func:`qgn_resnet34` plus :class:`PyramidPooling` (42,504,440 decoder +
    context parameters at 19 classes). ``encoder='resnet101_deepstem'`` for the ResNet-101 row."""
    _no_backbone(kwargs)
    return QGN(num_classes, encoder, block='basic', context='psp', **kwargs)


@register_model(input_divisor=32)
def qgn_resnet50_psp(num_classes: int = 150, encoder: Union[str, ResNet] = 'resnet50_deepstem',
                     **kwargs) -> QGN:
    """:func:`qgn_resnet50` with a PSPNet module between encoder and decoder (the released
    ``QGN_resnet50_ppm``)."""
    _no_backbone(kwargs)
    return QGN(num_classes, encoder, block='bottleneck', context='psp', **kwargs)


@register_model(task='backbone')
def resnet101_deepstem(**kwargs) -> ResNet:
    """ResNet-101 with the deep 3x3 stem (64-64-128) of MIT CSAIL's scene-parsing code: the released
    QGN ``resnet101`` encoder of QGN Table 4 (42,623,936 parameters without ``fc``)."""
    return ResNet(Bottleneck, (3, 4, 23, 3), deep_stem=True, **kwargs)


# --- the released checkpoints
# --------------------------------------------------------------------------

_QGN_KEYS = ((r'out6_conv\.(.+)$', lambda m: f'head_top.{m.group(1)}'),
             (r'out([2-5])_conv\.(.+)$', lambda m: f'heads.{5 - int(m.group(1))}.{m.group(2)}'),
             (r'skip([0-4])\.(.+)$', lambda m: f'skips.{4 - int(m.group(1))}.{m.group(2)}'),
             (r'deconv([1-4])\.(.+)$', lambda m: f'stages.{int(m.group(1)) - 1}.{m.group(2)}'),
             (r'final_deconv\.(?:1\.)?(weight|bias)$', lambda m: f'final_deconv.{m.group(1)}'),
             (r'(final_conv\..+)$', lambda m: m.group(1)))
# inside the sparse blocks: the dense transposed convolutions are wrapped as (SparseToDense,
# ConvTranspose2d, DenseToSparse[, BN]); the dense decoder's blocks hold them directly
_QGN_SPARSE_PARTS = ((r'\.conv2\.1\.weight$', '.conv2.weight'),
                     (r'\.upsample\.1\.weight$', '.shortcut.0.weight'),  # upsampling shortcut
                     (r'\.upsample\.3\.', '.shortcut.1.'),
                     (r'\.upsample\.0\.', '.shortcut.0.'),  # (NetworkInNetwork, BN) shortcut
                     (r'\.upsample\.1\.', '.shortcut.1.'))
_QGN_DENSE_PARTS = ((r'\.upsample\.', '.shortcut.'),)
_SYNC_BN_BOOKKEEPING = ('_tmp_running_mean', '_tmp_running_var', '_running_iter')


def _qgn_decoder_key(key: str, value: Tensor, decoder: nn.Module) -> Optional[Tuple[str, Tensor]]:
    """A released QGN decoder key (``orig_resnet.`` stripped) -> (decoder key, value in graphseg's
    layout); ``None`` for the skip layers a ``skips='top'`` decoder does not build (the released
    noskip builds and ignores them) and for synchronized-BatchNorm bookkeeping."""
    if key.endswith(_SYNC_BN_BOOKKEEPING):
        return None  # the dense decoder's synchronized BatchNorm bookkeeping
    for pat, rep in _QGN_KEYS:
        m = re.match(pat, key)
        if m:
            new = rep(m)
            break
    else:
        raise KeyError(key)
    for pat, rep in (_QGN_SPARSE_PARTS if decoder.sparse else _QGN_DENSE_PARTS):
        new = re.sub(pat, rep, new)
    skip = re.match(r'skips\.(\d+)\.', new)
    if skip and int(skip.group(1)) >= len(decoder.skips):
        return None
    path, leaf = new.rsplit('.', 1)
    try:
        module = decoder.get_submodule(path)
    except AttributeError:
        raise KeyError(key) from None
    if (
        leaf == 'weight'
        and isinstance(module, SubmanifoldConv2d)
        and value.dim() == 4
        and value.size(1) == 1
    ):
        # SparseConvNet (k*k, 1, C_in, C_out), offset (dy, dx) at (dy + 1) k + dx + 1
        k = module.kernel_size
        value = value[:, 0].permute(2, 1, 0).reshape(module.out_channels, module.in_channels, k, k)
    elif leaf == 'weight' and isinstance(module, nn.Linear):
        # SparseConvNet NetworkInNetwork (C_in, C_out), or the dense 1x1 head on the top level
        value = value[:, :, 0, 0] if value.dim() == 4 else value.t()
    if re.match(r'(head_top|heads\.\d+|final_deconv)\.(weight|bias)$', new):
        # released class coding: channel 0 composite, class c at c + 1; graphseg: class c at c,
        # composite last
        dim = 1 if isinstance(module,
                              (nn.ConvTranspose2d,
                               SparseConvTranspose2d)) and leaf == 'weight' else 0
        value = value.roll(-1, dims=dim)
    return new, value


def convert_official(model: nn.Module, state: Optional[Dict[str, Tensor]], arch: str = '',
                     encoder: Optional[Dict[str, Tensor]] = None):
    """State dicts of the released QGN code (kashyap7x/QGN; the decoder and encoder are saved
    separately, ``decoder_epoch_N.pth`` / ``encoder_epoch_N.pth``) in the keys of ``model`` (a
    :class:`QGN` or a :class:`~graphseg.nn.qgn.QGNDecoder`), for
    :func:`~graphseg.models.load_official`: returns the converted state dict, the checkpoint keys
    with no place, and a predicate for the model keys the checkpoints may leave out.

    * decoder ``orig_resnet.``: ``out6_conv`` -> ``head_top``; ``out{5,4,3,2}_conv`` ->
      ``heads.{0..3}``; ``skip{4..0}`` -> ``skips.{0..4}``; ``deconv{1..4}`` -> ``stages.{0..3}``;
      ``final_conv``, ``final_deconv``; inside the blocks ``upsample`` -> ``shortcut`` and
      ``conv2.1`` (the dense transposed convolution wrapped by SparseToDense / DenseToSparse) ->
      ``conv2``;
    * SparseConvNet layouts: a ``SubmanifoldConvolution`` weight :math:`(k^2, 1, C_{in}, C_{out})`
      (offset :math:`(d_y, d_x)` at index :math:`(d_y + 1) k + d_x + 1`) -> ``nn.Conv2d``'s
      :math:`(C_{out}, C_{in}, k, k)`; a ``NetworkInNetwork`` weight :math:`(C_{in}, C_{out})` ->
      ``nn.Linear``'s :math:`(C_{out}, C_{in})`; SparseConvNet BatchNorms have no
      ``num_batches_tracked`` (kept at the model's value);
    * the class coding of the heads: the released channel 0 is *composite* and class :math:`c` is
      channel :math:`c + 1`; graphseg's class :math:`c` is channel :math:`c` and composite the last
      (the output channels of every head are rotated);
    * the context module of the released ``QGN_*_ppm`` (``context.ppm.*``, ``context.conv_last.*``)
      -> :attr:`QGN.context` as it is, synchronized-BatchNorm bookkeeping dropped (a model without
      a context module reports them as unknown);
    * encoder (MIT CSAIL's scene-parsing ResNet): the names of
      :func:`~graphseg.models.resnet50_deepstem`; the synchronized BatchNorm's extra buffers
      (``_tmp_running_mean``, ``_tmp_running_var``, ``_running_iter``) are dropped.
    """
    if state is None and not (isinstance(model, QGN) and encoder is not None):
        raise ValueError("checkpoint may be None only to load a QGN encoder alone (encoder=...)")
    if encoder is not None and not isinstance(model, QGN):
        raise ValueError("encoder needs a QGN model (a QGNDecoder holds no encoder)")
    decoder, prefix = (model.decoder, 'decoder.') if isinstance(model, QGN) else (model, '')
    state = dict(state or {})
    if any(k.startswith(('decoder.', 'encoder.')) for k in state):  # a SegmentationModule state
        enc = {k[8:]: v for k, v in state.items() if k.startswith('encoder.')}
        state = {k[8:]: v for k, v in state.items() if k.startswith('decoder.')}
        encoder = enc if encoder is None and enc else encoder
    converted, unknown = {}, []
    # the released QGN module's keys, or its orig_resnet's (ResNetTransposeSparse)
    for k, v in state.items():
        if k.startswith('context.') and getattr(model, 'context', None) is not None:
            if not k.endswith(_SYNC_BN_BOOKKEEPING):
                converted[k] = v  # the released PPMBilinear's keys are PyramidPooling's
            continue
        try:
            found = _qgn_decoder_key(k[len('orig_resnet.'):] if k.startswith('orig_resnet.') else k,
                                     v, decoder)
        except KeyError:
            unknown.append(k)
            continue
        if found is not None:
            converted[prefix + found[0]] = found[1]
    for k, v in (encoder or {}).items():
        if not k.endswith(_SYNC_BN_BOOKKEEPING):
            converted['encoder.' + k] = v
    skip_encoder = isinstance(model, QGN) and encoder is None
    skip_decoder = isinstance(model, QGN) and not state

    def optional(key: str) -> bool:  # the part of a QGN that was not given
        return (skip_encoder and key.startswith('encoder.')) or (
            skip_decoder and key.startswith(('decoder.', 'context.'))
        )

    return converted, unknown, optional
