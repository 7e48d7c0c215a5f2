"""ResNet backbones (He et al., CVPR 2016) with torchvision-compatible ``state_dict`` keys.

torchvision cannot be installed next to the CPU torch this project is built
with, so the backbone is written here. Parameter and buffer names match
``torchvision.models.resnet`` exactly (``conv1``, ``bn1``, ``layer1.0.conv1``,
``layer2.0.downsample.0``, ``fc`` ...), so ImageNet weights saved with
``torch.save(torchvision_model.state_dict(), path)`` on another machine load
with :func:`load_pretrained`. ``replace_stride_with_dilation`` gives output
stride 8 or 16 for segmentation, as in torchvision.

``deep_stem=True`` replaces the 7x7 stem by three 3x3 convolutions (64, 64, 128
channels, the first with stride 2), the "ResNet-50" of the MIT CSAIL
scene-parsing code that the official QGN uses as its encoder
(:func:`resnet50_deepstem`; its module names ``conv1..3``, ``bn1..3`` are those
of that code).
"""
from __future__ import annotations

import os
import pickle
from typing import List, Optional, Sequence, Type, Union

import torch
from torch import Tensor, nn

from ...check import check_image_batch, check_int
from ..registry import register_model

#: the classes and helpers; every @register_model factory below is appended by the registry
__all__ = ['ResNet', 'BasicBlock', 'Bottleneck', 'load_pretrained']


def _conv3x3(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34)."""
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None, dilation: int = 1,
                 norm_layer: Type[nn.Module] = nn.BatchNorm2d) -> None:
        super().__init__()
        for name, v in (('inplanes', inplanes), ('planes', planes), ('stride', stride),
                        ('dilation', dilation)):
            check_int(v, name, 1)
        self.conv1 = _conv3x3(inplanes, planes, stride, dilation)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes, 1, dilation)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (stride here, as torchvision's "ResNet v1.5"), 1x1 expand (ResNet-50/101)."""
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None, dilation: int = 1,
                 norm_layer: Type[nn.Module] = nn.BatchNorm2d) -> None:
        super().__init__()
        for name, v in (('inplanes', inplanes), ('planes', planes), ('stride', stride),
                        ('dilation', dilation)):
            check_int(v, name, 1)
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = norm_layer(planes)
        self.conv2 = _conv3x3(planes, planes, stride, dilation)
        self.bn2 = norm_layer(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    r"""ResNet with torchvision's module names, returning multi-scale features for segmentation.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers (sequence of int): blocks per stage, e.g. ``(2, 2, 2, 2)`` for ResNet-18.
        num_classes (int): size of the ``fc`` classifier (kept so ImageNet weights load;
            unused by :meth:`forward_features`). (default: ``1000``)
        in_channels (int): input channels. (default: ``3``)
        replace_stride_with_dilation (sequence of bool): per stage 2-4, dilate
            instead of striding (``(False, True, True)`` gives output stride 8).
        norm_layer: normalisation class. (default: :class:`torch.nn.BatchNorm2d`)
        deep_stem (bool): three 3x3 stem convolutions to 128 channels (MIT CSAIL's
            scene-parsing ResNet) instead of one 7x7 to 64. (default: ``False``)

    Shapes:
        - **input:** :math:`(B, C_{in}, H, W)`
        - **forward_stem output:** the stride-2 stem map, :attr:`stem_channels` channels
        - **forward_pyramid output:** the stem map and the 4 maps of ``forward_features``
        - **forward_features output:** list of 4 maps (``layer1`` ... ``layer4``) with
          :attr:`feature_channels` channels and strides :attr:`feature_strides`.
        - **forward output:** :math:`(B, \text{num\_classes})` logits.
    """

    def __init__(self, block: Type[Union[BasicBlock, Bottleneck]], layers: Sequence[int],
                 num_classes: int = 1000, in_channels: int = 3,
                 replace_stride_with_dilation: Sequence[bool] = (False, False, False),
                 norm_layer: Type[nn.Module] = nn.BatchNorm2d, deep_stem: bool = False) -> None:
        super().__init__()
        check_int(num_classes, 'num_classes', 1)
        check_int(in_channels, 'in_channels', 1)
        if len(layers) != 4:
            raise ValueError(f"layers must have 4 entries (blocks per stage), got {len(layers)}")
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation must have 3 entries (stages 2-4), got "
                             f"{len(replace_stride_with_dilation)}")
        self._norm_layer = norm_layer
        self.deep_stem = deep_stem
        self.stem_channels = 128 if deep_stem else 64
        self.inplanes, self.dilation = self.stem_channels, 1
        if deep_stem:
            self.conv1 = _conv3x3(in_channels, 64, stride=2)
            self.bn1 = norm_layer(64)
            self.conv2 = _conv3x3(64, 64)
            self.bn2 = norm_layer(64)
            self.conv3 = _conv3x3(64, 128)
            self.bn3 = norm_layer(128)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
            self.bn1 = norm_layer(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2, replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], 2, replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], 2, replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self.feature_channels = [c * block.expansion for c in (64, 128, 256, 512)]
        self.feature_strides = [4]
        for dilate in replace_stride_with_dilation:
            self.feature_strides.append(self.feature_strides[-1] * (1 if dilate else 2))
        self.reset_parameters()

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1,
                    dilate: bool = False) -> nn.Sequential:
        norm_layer = self._norm_layer
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride=stride, bias=False),
                norm_layer(planes * block.expansion),
            )
        mods = [block(self.inplanes, planes, stride, downsample, previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        mods += [block(self.inplanes, planes, dilation=self.dilation, norm_layer=norm_layer)
                 for _ in range(1, blocks)]
        return nn.Sequential(*mods)

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward_stem(self, x: Tensor) -> Tensor:
        """The stride-2 map of the stem (before the max pooling)."""
        check_image_batch(x, 'x', self.conv1.in_channels, module=self)
        x = self.relu(self.bn1(self.conv1(x)))
        if self.deep_stem:
            x = self.relu(self.bn3(self.conv3(self.relu(self.bn2(self.conv2(x))))))
        return x

    def forward_pyramid(self, x: Tensor) -> List[Tensor]:
        """The stem map (stride 2) and the maps after ``layer1`` ... ``layer4`` (strides 4 ...
        32)."""
        feats = [self.forward_stem(x)]
        y = self.maxpool(feats[0])
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            y = layer(y)
            feats.append(y)
        return feats

    def forward_features(self, x: Tensor) -> List[Tensor]:
        """Feature maps after ``layer1`` ... ``layer4``."""
        x = self.maxpool(self.forward_stem(x))
        feats = []
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)
            feats.append(x)
        return feats

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(torch.flatten(self.avgpool(self.forward_features(x)[-1]), 1))


def load_pretrained(model: nn.Module, path: Union[str, os.PathLike],
                    strict: bool = True) -> nn.Module:
    """Load a ``state_dict`` saved from torchvision (or graphseg) into ``model``.

    With ``strict=False`` a mismatching ``fc`` (another ``num_classes``) is skipped. A
    classifier ``fc`` the model has dropped (``nn.Identity``, as in the segmentation
    networks' backbones) is skipped in either mode, so an ImageNet checkpoint loads
    strictly into ``model.backbone``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if os.path.isdir(path):
        raise ValueError(f"path {os.fspath(path)} is a folder, not a checkpoint file")
    try:
        # FileNotFoundError names the path
        state = torch.load(path, map_location='cpu', weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as e:
        raise ValueError(f"path {os.fspath(path)} is not a readable torch checkpoint (a "
                         f"state_dict saved with torch.save): {str(e).splitlines()[0]}") from e
    if not isinstance(state, dict):
        raise ValueError(f"path {os.fspath(path)} must hold a state_dict, got "
                         f"{type(state).__name__}")
    if isinstance(getattr(model, 'fc', None), nn.Identity):
        state = {k: v for k, v in state.items() if not k.startswith('fc.')}
    if not strict:
        own = model.state_dict()
        state = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(state, strict=strict)
    return model


@register_model(task='backbone')
def resnet18(**kwargs) -> ResNet:
    """ResNet-18 (11.7 M parameters with a 1000-way ``fc``)."""
    return ResNet(BasicBlock, (2, 2, 2, 2), **kwargs)


@register_model(task='backbone')
def resnet34(**kwargs) -> ResNet:
    """ResNet-34."""
    return ResNet(BasicBlock, (3, 4, 6, 3), **kwargs)


@register_model(task='backbone')
def resnet50(**kwargs) -> ResNet:
    """ResNet-50 (25.6 M parameters with a 1000-way ``fc``)."""
    return ResNet(Bottleneck, (3, 4, 6, 3), **kwargs)


@register_model(task='backbone')
def resnet101(**kwargs) -> ResNet:
    """ResNet-101."""
    return ResNet(Bottleneck, (3, 4, 23, 3), **kwargs)


@register_model(task='backbone')
def resnet50_deepstem(**kwargs) -> ResNet:
    """ResNet-50 with the deep 3x3 stem (64-64-128) of MIT CSAIL's scene-parsing code, the official
    QGN encoder (23.6 M parameters without ``fc``)."""
    return ResNet(Bottleneck, (3, 4, 6, 3), deep_stem=True, **kwargs)
