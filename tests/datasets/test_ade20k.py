"""The ADE20K reader on a tiny folder in the official layout."""
import numpy as np
import pytest

from graphseg.data import ADE20K
from tests.datasets.files import rgb_image, save
from tests.helpers import _check_sample, _img, _label


def test_ade20k(tmp_path):
    base = tmp_path / 'ADEChallengeData2016'
    lab = np.array([[0, 1, 150, 37]] * 3)
    _img(str(base / 'images' / 'validation' / 'ADE_val_00000001.jpg'), 3, 4)
    _label(str(base / 'annotations' / 'validation' / 'ADE_val_00000001.png'), lab)
    ds = ADE20K(str(tmp_path), 'val')
    _check_sample(ds, 0, np.array([[255, 0, 149, 36]] * 3))
    assert len(ADE20K(str(base), 'val')) == 1  # root may be the ADEChallengeData2016 folder itself


def test_ade20k_refuses_what_it_does_not_define(tmp_path):
    base = tmp_path / 'ADEChallengeData2016'
    rgb_image(base / 'images' / 'training' / 'ADE_train_00000001.jpg', 2, 3)
    save(base / 'annotations' / 'training' / 'ADE_train_00000001.png', [[0, 151, 200]] * 2, 'L')
    with pytest.raises(ValueError, match=r"label '.*ADE_train_00000001.png' holds values the "
                                         r"dataset does not define \(151, 200\); expected 0-150"):
        ADE20K(str(tmp_path))[0]
    save(base / 'annotations' / 'training' / 'ADE_train_00000001.png', np.full((2, 3, 3), 9),
         'RGB')
    with pytest.raises(ValueError, match=r"is a colour \(RGB\) image, not a label file"):
        ADE20K(str(tmp_path))[0]
    rgb_image(base / 'images' / 'training' / 'ADE_train_00000002.jpeg', 2, 3)
    with pytest.raises(ValueError, match=r"the image file '.*ADE_train_00000002.jpeg' does not end "
                                         r"with '.jpg'"):
        ADE20K(str(tmp_path))
