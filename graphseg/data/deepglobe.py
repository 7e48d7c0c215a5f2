"""DeepGlobe Road Extraction (Demir et al., CVPR-W 2018): binary road masks on 1024 x 1024 satellite
tiles.

Official layout (the challenge's ``road`` archive)::

    root/{train,valid,test}/<id>_sat.jpg     RGB tile
    root/train/<id>_mask.png                  road = white (>= 128), background = black

Only ``train`` has masks in the release; papers (HG-Conv Sec. 4.3 among them) split it
themselves, so ``ids_file`` (one ``<id>`` per line) selects a subset of a folder; an id without
a tile is refused. Unlabelled tiles (``valid``/``test``) get an all-ignore target.

Masks are read as binary masks (:func:`~graphseg.data.decode.read_mask`): 0/255 (the release's,
stored as grey or as RGB with equal channels), 0/1 and 1-bit masks, and grey levels near black and
white, which the challenge's instructions binarise at 128 ("the values of the mask image may not
be pure 0 and 255"); any other value set is refused by file.
"""
from __future__ import annotations

import os
from typing import Callable, List, Optional, Tuple

from ..check import check_choice
from .folder import SegmentationFolder
from .layout import name_key, pair_by_stem, read_lines


class DeepGlobeRoads(SegmentationFolder):
    """DeepGlobe roads: class 1 = road, 0 = background.

    Args:
        root (str): the folder holding ``train/`` (and ``valid/``, ``test/``).
        split (str): the sub-folder, ``'train'``, ``'valid'`` or ``'test'``.
        transform (callable, optional): joint transform.
        ids_file (str, optional): keep only the tile ids listed in this file.
    """

    num_classes = 2
    classes = ('background', 'road')
    task = 'road'
    label_kind = 'mask'
    mask_threshold = 128

    def __init__(self, root: str, split: str = 'train', transform: Optional[Callable] = None,
                 ids_file: Optional[str] = None) -> None:
        check_choice(split, 'split', ('train', 'valid', 'test'))
        folder = os.path.join(root, split)
        pairs = pair_by_stem(folder, folder, '_sat.jpg', '_mask.png', f'DeepGlobe roads {split}',
                             require_labels=split == 'train')
        if ids_file is not None:
            pairs = _select(pairs, read_lines(ids_file, 'DeepGlobe ids_file'), ids_file, folder)
        super().__init__(pairs, transform, root, split)


def _select(pairs: List[Tuple[str, Optional[str]]], ids: List[str], ids_file: str,
            folder: str) -> List[Tuple[str, Optional[str]]]:
    """The pairs of the tiles listed in ``ids_file`` (in the folder's order); an id without a
    tile is refused."""
    by_id = {name_key(os.path.basename(p[0])[:-len('_sat.jpg')]): p for p in pairs}
    missing = [i for i in ids if name_key(i) not in by_id]
    if missing:
        more = f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''
        raise FileNotFoundError(f"DeepGlobe ids_file {ids_file!r} lists {missing[0]!r}{more}, "
                                f"which has no tile {missing[0] + '_sat.jpg'!r} in {folder!r}")
    keep = {name_key(i) for i in ids}
    return [p for k, p in by_id.items() if k in keep]


__all__ = ['DeepGlobeRoads']
