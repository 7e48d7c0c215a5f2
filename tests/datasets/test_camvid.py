"""The CamVid reader on a tiny folder in the official layout."""
import numpy as np

from graphseg.data import CamVid
from tests.helpers import _check_sample, _img, _label


def test_camvid(tmp_path):
    lab = np.array([[0, 3, 10, 11, 12, 5]] * 4)
    for s in ('train', 'val'):
        _img(str(tmp_path / s / '0001TP_006690.png'), 4, 6)
        _label(str(tmp_path / f'{s}annot' / '0001TP_006690.png'), lab)
    ds = CamVid(str(tmp_path), 'train')
    _check_sample(ds, 0, np.where(lab >= 11, 255, lab))
    assert len(CamVid(str(tmp_path), 'trainval')) == 2 and ds.num_classes == 11
