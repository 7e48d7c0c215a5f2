"""The saliency reader (DUTS, ECSSD, HKU-IS) on tiny folders in the official layouts."""
import numpy as np
import pytest

from graphseg.data import SaliencyFolder
from tests.datasets.files import rgb_image, save
from tests.helpers import _check_sample, _img, _label


def test_saliency_duts_and_ecssd(tmp_path):
    mask = np.zeros((4, 10), np.uint8)
    mask[:, 5:] = 255
    mask[0, 4], mask[1, 5] = 128, 200  # DUTS' anti-aliased edges: salient where > 128
    _img(str(tmp_path / 'DUTS-TE' / 'DUTS-TE-Image' / 'ILSVRC2012_test_00000003.jpg'), 4, 10)
    _label(str(tmp_path / 'DUTS-TE' / 'DUTS-TE-Mask' / 'ILSVRC2012_test_00000003.png'), mask)
    ds = SaliencyFolder(str(tmp_path), 'test')
    assert ds.task == 'saliency' and ds.num_classes == 2
    _check_sample(ds, 0, (mask > 128).astype(np.int64))
    ecssd = tmp_path / 'ECSSD'
    _img(str(ecssd / 'images' / '0001.jpg'), 4, 10)
    _label(str(ecssd / 'ground_truth_mask' / '0001.png'), mask)
    assert len(SaliencyFolder(str(ecssd))) == 1
    with pytest.raises(FileNotFoundError,
                       match="no image folder found for split 'train'; tried .*DUTS-TR"):
        SaliencyFolder(str(tmp_path), 'train')


@pytest.mark.parametrize('mode, fg', [('L', 1), ('1', 1), ('L', 255), ('P', 1)])
def test_saliency_binary_masks(tmp_path, mode, fg):
    """0/1 masks and 1-bit PNGs were all background before (> 128)."""
    mask = np.array([[0, 1, 1, 0, 1, 0]] * 2)
    rgb_image(tmp_path / 'imgs' / '0004.png', 2, 6)
    save(tmp_path / 'gt' / '0004.png', mask * fg, mode)  # HKU-IS
    _check_sample(SaliencyFolder(str(tmp_path)), 0, mask)


def test_saliency_other_masks_are_refused(tmp_path):
    rgb_image(tmp_path / 'imgs' / '0004.png', 2, 6)
    save(tmp_path / 'gt' / '0004.png', [[0, 128, 128, 0, 0, 128]] * 2, 'L')  # foreground 128
    with pytest.raises(ValueError, match=r"mask '.*gt/0004.png' is not a binary mask: expected "
                                         r"0/1, 0/255, .*got values \[0, 128\]"):
        SaliencyFolder(str(tmp_path))[0]
