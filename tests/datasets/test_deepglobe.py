"""The DeepGlobe roads reader on a tiny folder in the official layout."""
import numpy as np
from PIL import Image

from graphseg.data import DeepGlobeRoads
from tests.helpers import _check_sample, _img


def test_deepglobe_roads(tmp_path):
    for i in ('100034', '100081'):
        _img(str(tmp_path / 'train' / f'{i}_sat.jpg'), 4, 4)
        mask = np.zeros((4, 4, 3), np.uint8)
        mask[1] = 255
        Image.fromarray(mask).save(tmp_path / 'train' / f'{i}_mask.png')
    _img(str(tmp_path / 'valid' / '100099_sat.jpg'), 4, 4)
    want = np.zeros((4, 4), np.int64)
    want[1] = 1
    ds = DeepGlobeRoads(str(tmp_path), 'train')
    assert len(ds) == 2 and ds.task == 'road'
    _check_sample(ds, 0, want)
    (tmp_path / 'ids.txt').write_text('100081\n')
    assert len(DeepGlobeRoads(str(tmp_path), 'train', ids_file=str(tmp_path / 'ids.txt'))) == 1
    # no masks in the release
    _check_sample(DeepGlobeRoads(str(tmp_path), 'valid'), 0, np.full((4, 4), 255))
