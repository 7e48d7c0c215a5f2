r"""Quadtree Generating Network: an in-house ResNet encoder and the sparse QGN decoder.

Chitta, Alvarez, Hebert, *Quadtree Generating Networks: Efficient Hierarchical
Scene Parsing with Sparse Convolutions*, WACV 2020. The encoder is
:class:`~graphseg.models.ResNet` (``forward_features``: strides 4, 8, 16,
32); the decoder (:class:`~graphseg.nn.qgn.QGNDecoder`) generates a 6-level
quadtree :math:`\hat Q_5 \dots \hat Q_0`. Train with the ground-truth
composite scheme and :class:`~graphseg.nn.qgn.QGNLoss`::

    model = create_model('qgn_resnet18', num_classes=19)
    pyramid = t_pyramid(labels, model.num_levels, 19)       # labels (B, H, W), H, W divisible by 32
    loss = QGNLoss(model.num_levels)(model(image, 'gt', pyramid)['levels'], pyramid)
    loss = model.compute_loss(image, labels)                 # the same, as the training loop calls it
    logits = model(image)['out']                             # inference, (B, 19, H, W)

Difference to the official code: its deep-stem ResNet has a stride-2 map that
feeds a skip at level 1; torchvision-style ResNets have none, so level 1 is
decoded without a skip here.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

from torch import Tensor, nn

from ..check import check_image_batch, check_index, check_int, check_ndim
from ..graphs.quadtree import t_pyramid
from ..nn.qgn import QGNDecoder, QGNLoss
from .registry import create_model, list_models, register_model


class QGN(nn.Module):
    r"""ResNet encoder + QGN decoder.

    Args:
        num_classes (int): :math:`k`. (default: ``19``)
        backbone (str): a registered ResNet (``'resnet18'``, ``'resnet34'``,
            ``'resnet50'``, ``'resnet101'``). (default: ``'resnet18'``)
        widths, blocks, final_blocks, sparse: of :class:`~graphseg.nn.qgn.QGNDecoder`.
        in_channels (int): image channels. (default: ``3``)

    Shapes:
        - **input:** image :math:`(B, C, H, W)`, :math:`H, W` divisible by 32
        - **output:** ``{'out': logits (B, K, H, W), 'levels': QGNOutput}``: ``'out'`` paints every pixel
          with the class logits of the finest decoded cell covering it
          (:meth:`~graphseg.nn.qgn.QGNOutput.dense_logits`, arg-max = QGN Sec. 3.2 inference);
          ``'levels'`` holds the quadtree :math:`\hat Q_l`, ``l = 5 ... min_level``
    """

    def __init__(self, num_classes: int = 19, backbone: str = 'resnet18',
                 widths: Sequence[int] = (512, 256, 128, 64, 64), blocks: Sequence[int] = (6, 4, 3, 3),
                 final_blocks: int = 3, sparse: bool = True, in_channels: int = 3, ignore_index: int = 255) -> None:
        super().__init__()
        check_int(num_classes, 'num_classes', 1)
        resnets = [n for n in list_models('resnet*', task='backbone')]
        if backbone not in resnets:
            raise ValueError(f"backbone must be a ResNet with feature strides (4, 8, 16, 32), one of {resnets}, "
                             f"got {backbone!r}")
        self.encoder = create_model(backbone, in_channels=in_channels)
        if not hasattr(self.encoder, 'forward_features') or list(self.encoder.feature_strides) != [4, 8, 16, 32]:
            raise ValueError(f"backbone must be a ResNet with feature strides (4, 8, 16, 32), got {backbone!r}")
        self.encoder.fc = nn.Identity()  # classification head unused (load_pretrained(..., strict=False) skips it)
        self.decoder = QGNDecoder(self.encoder.feature_channels, num_classes, widths, blocks, final_blocks, sparse)
        self.num_classes, self.num_levels = num_classes, self.decoder.num_levels
        self.ignore_index = ignore_index
        self.criterion = QGNLoss(self.num_levels, ignore_index=ignore_index)

    def forward(self, image: Tensor, scheme: str = 'predicted', pyramid: Optional[Sequence[Tensor]] = None,
                min_level: int = 0) -> Dict[str, object]:
        """Encode, then decode the quadtree with a propagation ``scheme`` (``'all'``, ``'gt'``, ``'predicted'``)
        down to ``min_level`` (the anytime budget)."""
        check_image_batch(image, 'image', self.encoder.conv1.in_channels, self)
        H, W = image.shape[-2:]
        m = 2 ** (self.num_levels - 1)
        if H % m or W % m:
            raise ValueError(f"image height and width must be divisible by {m}, got ({H}, {W}); "
                             f"pad with graphseg.graphs.pad_to_multiple(image, {m})")
        levels = self.decoder(self.encoder.forward_features(image), scheme, pyramid, min_level)
        return {'out': levels.dense_logits(), 'levels': levels}

    def compute_loss(self, image: Tensor, labels: Tensor) -> Tensor:
        """Training objective: decode with the ground-truth composite scheme and apply the level loss
        (Eq. 4, 6) against the T-pyramid of ``labels`` :math:`(B, H, W)` (values in ``[0, K)`` or ignore)."""
        check_index(labels, 'labels')
        check_ndim(labels, 'labels', 3, '(B, H, W)')
        if labels.shape[-2:] != image.shape[-2:]:
            raise ValueError(f"labels must have the image size {tuple(image.shape[-2:])}, got {tuple(labels.shape[-2:])}")
        pyramid = t_pyramid(labels, self.num_levels, self.num_classes, self.ignore_index)
        return self.criterion(self.forward(image, 'gt', pyramid)['levels'], pyramid)

    def predict(self, image: Tensor, scheme: str = 'predicted', pyramid: Optional[Sequence[Tensor]] = None,
                min_level: int = 0) -> Tensor:
        """The label map :math:`(B, H, W)` (QGN Sec. 3.2 inference)."""
        return self.forward(image, scheme, pyramid, min_level)['levels'].labels()


def _no_backbone(kwargs: dict, name: str) -> None:
    if 'backbone' in kwargs:
        raise TypeError(f"{name} fixes the backbone; got backbone={kwargs['backbone']!r}: build "
                        f"QGN(num_classes, backbone=...) for another one")


@register_model
def qgn_resnet18(num_classes: int = 19, **kwargs) -> QGN:
    """QGN with a ResNet-18 encoder and the official decoder widths (512, 256, 128, 64, 64)."""
    _no_backbone(kwargs, 'qgn_resnet18')
    return QGN(num_classes, 'resnet18', **kwargs)


@register_model
def qgn_resnet34(num_classes: int = 19, **kwargs) -> QGN:
    """QGN with a ResNet-34 encoder."""
    _no_backbone(kwargs, 'qgn_resnet34')
    return QGN(num_classes, 'resnet34', **kwargs)


@register_model
def qgn_resnet50(num_classes: int = 19, **kwargs) -> QGN:
    """QGN with a ResNet-50 encoder."""
    _no_backbone(kwargs, 'qgn_resnet50')
    return QGN(num_classes, 'resnet50', **kwargs)


__all__ = ['QGN', 'qgn_resnet18', 'qgn_resnet34', 'qgn_resnet50']
