"""The DeepGlobe roads reader on a tiny folder in the official layout."""
import numpy as np
import pytest
from PIL import Image

from graphseg.data import DeepGlobeRoads
from tests.datasets.files import rgb_image, save
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


@pytest.mark.parametrize('mode, values', [('1', (0, 1)), ('L', (0, 1)), ('L', (3, 250))])
def test_deepglobe_masks(tmp_path, mode, values):
    """1-bit and 0/1 masks (all background before), and the release's 'not pure 0 and 255'
    masks binarised at 128."""
    mask = np.where(np.eye(6, dtype=bool), values[1], values[0])
    rgb_image(tmp_path / 'train' / '7_sat.jpg', 6, 6)
    save(tmp_path / 'train' / '7_mask.png', mask, mode)
    _check_sample(DeepGlobeRoads(str(tmp_path)), 0, np.eye(6, dtype=np.int64))


def test_deepglobe_layout_differences_are_refused(tmp_path):
    rgb_image(tmp_path / 'train' / '7_sat.jpg')
    save(tmp_path / 'train' / '7_mask.png', np.zeros((4, 6)), 'L')
    (tmp_path / 'ids.txt').write_text('7\n8\n9\n')  # ids 8 and 9 were dropped silently
    with pytest.raises(FileNotFoundError, match=r"DeepGlobe ids_file '.*ids.txt' lists '8' \(and "
                                                r"1 more\), which has no tile '8_sat.jpg' in "
                                                r"'.*train'"):
        DeepGlobeRoads(str(tmp_path), ids_file=str(tmp_path / 'ids.txt'))
    save(tmp_path / 'train' / '8_mask.png', np.zeros((4, 6)), 'L')  # a mask without its tile
    with pytest.raises(FileNotFoundError, match=r"no image '\*_sat.jpg' under '.*train' for the "
                                                r"label file '.*8_mask.png'"):
        DeepGlobeRoads(str(tmp_path))
    rgb_image(tmp_path / 'valid' / '1_sat.jpg')
    rgb_image(tmp_path / 'valid' / '2_sat.jpg')
    save(tmp_path / 'valid' / '1_mask.png', np.zeros((4, 6)), 'L')
    with pytest.raises(FileNotFoundError, match=r"no label file '.*valid/2_mask.png' for image"):
        DeepGlobeRoads(str(tmp_path), 'valid')  # some tiles with masks, some without
