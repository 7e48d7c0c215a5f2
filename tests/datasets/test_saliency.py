"""The saliency reader (DUTS, ECSSD) on tiny folders in the official layouts."""
import numpy as np
import pytest

from graphseg.data import SaliencyFolder
from tests.helpers import _check_sample, _img, _label


def test_saliency_duts_and_ecssd(tmp_path):
    mask = np.array([[0, 0, 255, 255, 128, 200]] * 2)
    _img(str(tmp_path / 'DUTS-TE' / 'DUTS-TE-Image' / 'ILSVRC2012_test_00000003.jpg'), 2, 6)
    _label(str(tmp_path / 'DUTS-TE' / 'DUTS-TE-Mask' / 'ILSVRC2012_test_00000003.png'), mask)
    ds = SaliencyFolder(str(tmp_path), 'test')
    assert ds.task == 'saliency' and ds.num_classes == 2
    _check_sample(ds, 0, (mask > 128).astype(np.int64))
    ecssd = tmp_path / 'ECSSD'
    _img(str(ecssd / 'images' / '0001.jpg'), 2, 6)
    _label(str(ecssd / 'ground_truth_mask' / '0001.png'), mask)
    assert len(SaliencyFolder(str(ecssd))) == 1
    with pytest.raises(FileNotFoundError,
                       match="no image folder found for split 'train'; tried .*DUTS-TR"):
        SaliencyFolder(str(tmp_path), 'train')
