"""The ADE20K reader on a tiny folder in the official layout."""
import numpy as np

from graphseg.data import ADE20K
from tests.helpers import _check_sample, _img, _label


def test_ade20k(tmp_path):
    base = tmp_path / 'ADEChallengeData2016'
    lab = np.array([[0, 1, 150, 37]] * 3)
    _img(str(base / 'images' / 'validation' / 'ADE_val_00000001.jpg'), 3, 4)
    _label(str(base / 'annotations' / 'validation' / 'ADE_val_00000001.png'), lab)
    ds = ADE20K(str(tmp_path), 'val')
    _check_sample(ds, 0, np.array([[255, 0, 149, 36]] * 3))
    assert len(ADE20K(str(base), 'val')) == 1  # root may be the ADEChallengeData2016 folder itself
