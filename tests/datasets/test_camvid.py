"""The CamVid reader on a tiny folder in the official layout: SegNet ids, or colour annotations in
the release's colours of the 11 classes."""
import numpy as np
import pytest

from graphseg.data import CamVid
from graphseg.data.camvid import CAMVID_32_COLORS, CAMVID_COLORS
from tests.datasets.files import colour_label, rgb_image, save
from tests.helpers import _check_sample, _img, _label


def test_camvid(tmp_path):
    lab = np.array([[0, 3, 10, 11, 255, 5]] * 4)
    for s in ('train', 'val'):
        _img(str(tmp_path / s / '0001TP_006690.png'), 4, 6)
        _label(str(tmp_path / f'{s}annot' / '0001TP_006690.png'), lab)
    ds = CamVid(str(tmp_path), 'train')
    _check_sample(ds, 0, np.where(lab >= 11, 255, lab))
    assert len(CamVid(str(tmp_path), 'trainval')) == 2 and ds.num_classes == 11


def test_camvid_values_outside_the_segnet_ids_are_refused(tmp_path):
    rgb_image(tmp_path / 'train' / 'a.png', 2, 3)
    save(tmp_path / 'trainannot' / 'a.png', [[0, 12, 31], [0, 1, 2]], 'L')
    with pytest.raises(ValueError, match=r"label '.*trainannot/a.png' holds values the dataset "
                                         r"does not define \(12, 31\); expected 0-11, 255; "
                                         r"CamVid annotations hold the SegNet ids"):
        CamVid(str(tmp_path))[0]


def test_camvid_colour_annotations(tmp_path):
    """Colour annotations go through the release's colour table: void (0, 0, 0) is ignored (it
    was read as grey level 0 = sky before), sky (128, 128, 128) is sky, not id 128."""
    names = ('Sky', 'Void', 'Road', 'Bicyclist', 'Column_Pole')
    colours = [CAMVID_32_COLORS[n] for n in names]
    rgb_image(tmp_path / 'train' / 'a.png', 2, 5)
    save(tmp_path / 'trainannot' / 'a.png', colour_label(2, 5, colours), 'RGB')
    _check_sample(CamVid(str(tmp_path)), 0, np.array([[0, 255, 3, 10, 2]] * 2))
    assert len(CAMVID_COLORS) == 12 and len(CAMVID_32_COLORS) == 32


def test_camvid_32_class_colours_are_refused_by_name(tmp_path):
    colours = [CAMVID_32_COLORS['Road'], CAMVID_32_COLORS['LaneMkgsDriv']]
    rgb_image(tmp_path / 'train' / 'a.png', 2, 4)
    save(tmp_path / 'trainannot' / 'a.png', colour_label(2, 4, colours), 'RGB')
    with pytest.raises(ValueError, match=r"label '.*trainannot/a.png' holds 1 colour\(s\) outside "
                                         r"the dataset's colour table of 12 colours "
                                         r"\(\(128, 0, 192\) = LaneMkgsDriv, a class of the "
                                         r"32-class release outside the 11 x4\)"):
        CamVid(str(tmp_path))[0]
