"""Salient object detection datasets as folders of images and binary masks (DUTS, ECSSD, HKU-IS,
...).

Official layouts recognised under ``root`` (the first that exists is used)::

    DUTS (Wang et al., CVPR 2017):
        DUTS-TR/DUTS-TR-Image/*.jpg + DUTS-TR/DUTS-TR-Mask/*.png   (split 'train')
        DUTS-TE/DUTS-TE-Image/*.jpg + DUTS-TE/DUTS-TE-Mask/*.png   (split 'test')
    ECSSD (Shi et al., TPAMI 2016):
        images/*.jpg + ground_truth_mask/*.png                     (any split)
    HKU-IS (Li & Yu, CVPR 2015):
        imgs/*.png + gt/*.png                                      (any split)

or give ``image_dir`` / ``mask_dir`` explicitly. Masks are read as binary masks
(:func:`~graphseg.data.decode.read_mask`): 0/255, 0/1 and 1-bit masks, and grey levels near black
and white (DUTS' masks are not entirely binary), in which pixels > 128 are salient (class 1), the
convention of the standard evaluation code (pysodmetrics); any other value set is refused by file.
"""
from __future__ import annotations

import os
from typing import Callable, Optional, Tuple

from .folder import SegmentationFolder
from .layout import pair_by_stem

_LAYOUTS: Tuple[Tuple[str, str, str, str], ...] = (
    # (image dir, mask dir, image suffix, mask suffix); {S} = TR / TE
    ('DUTS-{S}/DUTS-{S}-Image', 'DUTS-{S}/DUTS-{S}-Mask', '.jpg', '.png'),
    ('images', 'ground_truth_mask', '.jpg', '.png'),
    ('imgs', 'gt', '.png', '.png'),
)


class SaliencyFolder(SegmentationFolder):
    """Binary saliency masks: 1 = salient object, 0 = background.

    Args:
        root (str): dataset folder (see the module docstring for the layouts recognised).
        split (str): ``'train'`` or ``'test'`` (selects DUTS-TR / DUTS-TE). (default: ``'train'``)
        transform (callable, optional): joint transform.
        image_dir, mask_dir (str, optional): explicit folders relative to ``root``.
        image_suffix, mask_suffix (str): file endings with ``image_dir``/``mask_dir``.
            (default: ``.jpg``, ``.png``)
    """

    num_classes = 2
    classes = ('background', 'salient')
    task = 'saliency'
    label_kind = 'mask'
    mask_threshold = 129  # salient where > 128

    def __init__(self, root: str, split: str = 'train', transform: Optional[Callable] = None,
                 image_dir: Optional[str] = None, mask_dir: Optional[str] = None,
                 image_suffix: str = '.jpg', mask_suffix: str = '.png') -> None:
        if (image_dir is None) != (mask_dir is None):
            raise ValueError(f"image_dir and mask_dir must be given together, got {image_dir!r}, "
                             f"{mask_dir!r}")
        if image_dir is not None:
            layouts = ((image_dir, mask_dir, image_suffix, mask_suffix),)
        else:
            tag = {'train': 'TR', 'test': 'TE', 'val': 'TE'}.get(split, split)
            layouts = tuple((i.replace('{S}', tag), m.replace('{S}', tag), a, b) for i, m, a,
                            b in _LAYOUTS)
        for img, msk, a, b in layouts:
            if os.path.isdir(os.path.join(root, img)):
                pairs = pair_by_stem(os.path.join(root, img), os.path.join(root, msk), a, b,
                                     f'saliency {split}')
                break
        else:
            tried = ', '.join(os.path.join(root, i) for i, *_ in layouts)
            raise FileNotFoundError(f"SaliencyFolder: no image folder found for split {split!r}; "
                                    f"tried {tried}")
        super().__init__(pairs, transform, root, split)


__all__ = ['SaliencyFolder']
