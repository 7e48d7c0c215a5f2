"""CamVid (Brostow et al., 2009) with the 11 classes of the SegNet split (367 / 101 / 233 images).

Layout of the SegNet tutorial release that HyperSeg and most papers use::

    root/{train,val,test}/<name>.png          RGB frames (480 x 360)
    root/{train,val,test}annot/<name>.png     class ids 0..10, 11 = void (-> ignore 255)

An annotation may also be a colour image in the colours of the original release's table
(``label_colors.txt`` of Brostow et al.): it is decoded through :data:`CAMVID_COLORS`, the official
colours of the 11 classes and void. A colour of one of the release's 21 other classes (e.g.
``LaneMkgsDriv``) is refused, naming the class: how SegNet grouped them into the 11 classes is not
part of either release, so graphseg does not guess it. Values other than 0..11 (and 255, a void
some conversions write) are refused.
"""
from __future__ import annotations

import os
from typing import Callable, Dict, Optional, Tuple

import numpy as np

from ..check import check_choice
from .folder import SegmentationFolder
from .layout import pair_by_stem

CAMVID_CLASSES = ('sky', 'building', 'pole', 'road', 'sidewalk', 'tree', 'sign', 'fence', 'car',
                  'pedestrian', 'bicyclist')
VOID = 11

#: the colour table of the original release (``label_colors.txt``, 32 classes), name -> (r, g, b)
CAMVID_32_COLORS: Dict[str, Tuple[int, int, int]] = {
    'Animal': (64, 128, 64), 'Archway': (192, 0, 128), 'Bicyclist': (0, 128, 192),
    'Bridge': (0, 128, 64), 'Building': (128, 0, 0), 'Car': (64, 0, 128),
    'CartLuggagePram': (64, 0, 192), 'Child': (192, 128, 64), 'Column_Pole': (192, 192, 128),
    'Fence': (64, 64, 128), 'LaneMkgsDriv': (128, 0, 192), 'LaneMkgsNonDriv': (192, 0, 64),
    'Misc_Text': (128, 128, 64), 'MotorcycleScooter': (192, 0, 192), 'OtherMoving': (128, 64, 64),
    'ParkingBlock': (64, 192, 128), 'Pedestrian': (64, 64, 0), 'Road': (128, 64, 128),
    'RoadShoulder': (128, 128, 192), 'Sidewalk': (0, 0, 192), 'SignSymbol': (192, 128, 128),
    'Sky': (128, 128, 128), 'SUVPickupTruck': (64, 128, 192), 'TrafficCone': (0, 0, 64),
    'TrafficLight': (0, 64, 64), 'Train': (192, 64, 128), 'Tree': (128, 128, 0),
    'Truck_Bus': (192, 128, 192), 'Tunnel': (64, 0, 64), 'VegetationMisc': (192, 192, 0),
    'Void': (0, 0, 0), 'Wall': (64, 192, 0),
}
#: the release's classes that are the 11 SegNet classes (in SegNet's id order) and void
_SEGNET_NAMES = ('Sky', 'Building', 'Column_Pole', 'Road', 'Sidewalk', 'Tree', 'SignSymbol',
                 'Fence', 'Car', 'Pedestrian', 'Bicyclist', 'Void')
#: colour -> SegNet id (0..10, 11 = void) for colour annotations
CAMVID_COLORS: Dict[Tuple[int, int, int], int] = {
    CAMVID_32_COLORS[name]: i for i, name in enumerate(_SEGNET_NAMES)
}


class CamVid(SegmentationFolder):
    """CamVid, 11 classes; void (11) and anything larger is ignored.

    Args:
        root (str): the folder holding ``train/``, ``trainannot/``, ``val/``, ...
        split (str): ``'train'``, ``'val'``, ``'test'`` or ``'trainval'``.
        transform (callable, optional): joint transform.
    """

    num_classes = 11
    classes = CAMVID_CLASSES
    task = 'semantic'
    label_values = tuple(range(VOID + 1)) + (255,)
    label_colors = CAMVID_COLORS
    color_names = {rgb: f'= {name}, a class of the 32-class release outside the 11' for name,
                   rgb in CAMVID_32_COLORS.items() if name not in _SEGNET_NAMES}
    label_hint = ('CamVid annotations hold the SegNet ids 0..11 (11 = void) in a grey image, or '
                  'the colours of those 11 classes and void')

    def __init__(self, root: str, split: str = 'train',
                 transform: Optional[Callable] = None) -> None:
        check_choice(split, 'split', ('train', 'val', 'test', 'trainval'))
        pairs = []
        for s in (('train', 'val') if split == 'trainval' else (split,)):
            pairs += pair_by_stem(os.path.join(root, s), os.path.join(root, s + 'annot'), '.png',
                                  '.png', f'CamVid {s}')
        super().__init__(pairs, transform, root, split)

    def encode_target(self, label: np.ndarray) -> np.ndarray:
        return np.where(label < self.num_classes, label, self.ignore_index)  # void 11 / 255


__all__ = ['CamVid', 'CAMVID_CLASSES', 'CAMVID_COLORS', 'CAMVID_32_COLORS']
