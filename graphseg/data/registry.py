"""Dataset names for configs (``data.dataset``) -> reader classes, and a builder."""
from __future__ import annotations

import inspect
from typing import Any, Dict, Optional, Type

from torch.utils.data import Dataset

from .ade20k import ADE20K
from .camvid import CamVid
from .cityscapes import Cityscapes
from .deepglobe import DeepGlobeRoads
from .mnist_seg import MNISTSegmentation
from .pascal import PascalContext, VOCSegmentation
from .saliency import SaliencyFolder
from .sunrgbd import SUNRGBD

#: config name -> reader. ``digits`` (the bundled MNIST-digit scenes) needs no ``root``.
DATASETS: Dict[str, Type[Dataset]] = {
    'digits': MNISTSegmentation,
    'cityscapes': Cityscapes,
    'camvid': CamVid,
    'voc': VOCSegmentation,
    'pascal_context': PascalContext,
    'ade20k': ADE20K,
    'deepglobe_roads': DeepGlobeRoads,
    'saliency': SaliencyFolder,
    'sunrgbd': SUNRGBD,
}


def build_dataset(name: str, root: Optional[str], split: str, **kwargs: Any) -> Dataset:
    """The reader ``DATASETS[name]`` for ``split`` (``root`` is required except for ``digits``)."""
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {sorted(DATASETS)}, got {name!r}")
    cls = DATASETS[name]
    params = inspect.signature(cls.__init__).parameters
    unknown = sorted(set(kwargs) - set(params))
    if unknown and not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        raise ValueError(
            f"dataset {name!r} takes no argument {unknown[0]!r}; it takes "
            f"{[p for p in params if p not in ('self', 'root', 'split', 'transform')]}"
        )
    if 'root' in params:
        if not root:
            raise ValueError(f"dataset {name!r} needs data.root (the dataset folder), got {root!r}")
        return cls(root, split, **kwargs)
    return cls(split=split, **kwargs)


def dataset_info(dataset: Dataset) -> Dict[str, Any]:
    """``num_classes``, ``ignore_index``, ``task`` of a reader (``task`` defaults to
    ``'semantic'``)."""
    if not hasattr(dataset, 'num_classes'):
        raise TypeError(f"dataset must be a graphseg reader with num_classes (see DATASETS), got "
                        f"{type(dataset).__name__}")
    return {'num_classes': int(getattr(dataset, 'num_classes')),
            'ignore_index': int(getattr(dataset, 'ignore_index', 255)),
            'task': getattr(dataset, 'task', 'semantic')}


__all__ = ['DATASETS', 'build_dataset', 'dataset_info']
