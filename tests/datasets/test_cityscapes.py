"""The Cityscapes reader on a tiny folder in the official layout."""
import os

import numpy as np
import pytest

from graphseg.data import Cityscapes, build_dataset
from tests.datasets.files import rgb_image, save
from tests.helpers import _check_sample, _img, _label


def test_cityscapes(tmp_path):
    # road, sidewalk, car, unlabeled, bicycle, parking, person, sky
    ids = np.array([[7, 8, 26, 0, 33, 9, 24, 23]] * 6)
    # train ids typed from the Cityscapes paper's table
    want = np.array([[0, 1, 13, 255, 18, 255, 11, 10]] * 6)
    for split, city in (('train', 'aachen'), ('val', 'frankfurt')):
        stem = f'{city}_000000_000019'
        _img(str(tmp_path / 'leftImg8bit' / split / city / f'{stem}_leftImg8bit.png'))
        _label(str(tmp_path / 'gtFine' / split / city / f'{stem}_gtFine_labelIds.png'), ids)
    ds = Cityscapes(str(tmp_path), 'train')
    assert (
        len(ds) == 1
        and ds.num_classes == 19
        and ds.classes[0] == 'road'
        and ds.classes[18] == 'bicycle'
    )
    _check_sample(ds, 0, want)
    assert len(build_dataset('cityscapes', str(tmp_path), 'val')) == 1
    with pytest.raises(FileNotFoundError,
                       match=r"Cityscapes test: expected the folder .*leftImg8bit/test"):
        Cityscapes(str(tmp_path), 'test')
    os.remove(
        tmp_path / 'gtFine' / 'val' / 'frankfurt' / 'frankfurt_000000_000019_gtFine_labelIds.png'
    )
    with pytest.raises(FileNotFoundError,
                       match='no label file .*frankfurt_000000_000019_gtFine_labelIds.png'):
        Cityscapes(str(tmp_path), 'val')
    with pytest.raises(ValueError, match="split must be one of"):
        Cityscapes(str(tmp_path), 'training')


def test_cityscapes_colour_labels_and_unknown_ids_are_refused(tmp_path):
    """A colour label read as grey levels made truck (0, 0, 70) the id 8, sidewalk."""
    stem = 'aachen_000000_000019'
    rgb_image(tmp_path / 'leftImg8bit' / 'train' / 'aachen' / f'{stem}_leftImg8bit.png', 2, 3)
    label = tmp_path / 'gtFine' / 'train' / 'aachen' / f'{stem}_gtFine_labelIds.png'
    truck = np.tile(np.array([0, 0, 70, 255]), (2, 3, 1))  # *_color.png are RGBA
    save(label, truck, 'RGBA')
    with pytest.raises(ValueError, match=r"label '.*_gtFine_labelIds.png' is a colour \(RGB\) "
                                         r"image, not a label file of class ids .*; Cityscapes "
                                         r"labels are the 8-bit \*_gtFine_labelIds.png files of "
                                         r"the release \(the \*_color.png files are a "
                                         r"visualisation, not label ids\)$"):
        Cityscapes(str(tmp_path))[0]
    save(label, [[7, 26, 40], [34, 0, 255]], 'L')
    with pytest.raises(ValueError, match=r"holds values the dataset does not define \(34, 40, "
                                         r"255\); expected 0-33"):
        Cityscapes(str(tmp_path))[0]
    save(label, [[7, 26, 27], [33, 0, 8]], 'P')  # ids in a palette image: read as ids
    _check_sample(Cityscapes(str(tmp_path)), 0, np.array([[0, 13, 14], [18, 255, 1]]))
