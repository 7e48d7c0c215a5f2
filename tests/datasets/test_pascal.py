"""The PASCAL VOC (with the SBD augmented list) and PASCAL-Context readers on tiny folders in the
official layouts."""
import os
import shutil
import unicodedata

import numpy as np
import pytest

from graphseg.data import PascalContext, VOCSegmentation
from tests.datasets.files import rgb_image, save, truncate
from tests.helpers import _check_sample, _img, _label


def test_voc_with_sbd_augmented_list(tmp_path):
    from scipy.io import savemat
    voc = tmp_path / 'VOCdevkit' / 'VOC2012'
    lab = np.array([[0, 1, 20, 255, 15]] * 3)
    for i in ('2007_000032', '2007_000033', '2007_000039'):
        _img(str(voc / 'JPEGImages' / f'{i}.jpg'), 3, 5)
        _label(str(voc / 'SegmentationClass' / f'{i}.png'), lab, mode='P')
    os.makedirs(voc / 'ImageSets' / 'Segmentation')
    (voc / 'ImageSets' / 'Segmentation' / 'train.txt').write_text('2007_000032\n2007_000039\n')
    (voc / 'ImageSets' / 'Segmentation' / 'val.txt').write_text('2007_000033\n')
    sbd = tmp_path / 'benchmark_RELEASE' / 'dataset'
    _img(str(sbd / 'img' / '2008_000002.jpg'), 3, 5)
    os.makedirs(sbd / 'cls')
    sbd_lab = np.array([[0, 7, 7, 0, 2]] * 3, dtype=np.uint8)
    savemat(str(sbd / 'cls' / '2008_000002.mat'),
            {'GTcls': {'Segmentation': sbd_lab, 'Boundaries': np.zeros(1)}})
    # 2007_000033 is VOC val: must be left out
    (sbd / 'train.txt').write_text('2008_000002\n2007_000033\n')
    (sbd / 'val.txt').write_text('2007_000039\n')
    ds = VOCSegmentation(str(tmp_path), 'train')
    assert len(ds) == 2
    _check_sample(ds, 0, lab)  # palette indices, 255 = void
    aug = VOCSegmentation(str(tmp_path), 'train_aug')
    names = [os.path.basename(p[0]) for p in aug.pairs]
    assert names == ['2007_000032.jpg', '2007_000039.jpg', '2008_000002.jpg']
    _check_sample(aug, 2, sbd_lab)  # label from SBD's cls/*.mat
    shutil.rmtree(tmp_path / 'benchmark_RELEASE')
    with pytest.raises(FileNotFoundError,
                       match=r'train_aug \(SBD\): expected the folder .*benchmark_RELEASE'):
        VOCSegmentation(str(tmp_path), 'train_aug')


def test_pascal_context_59(tmp_path):
    from scipy.io import savemat
    voc = tmp_path / 'VOCdevkit' / 'VOC2010'
    _img(str(voc / 'JPEGImages' / '2008_000002.jpg'), 2, 5)
    os.makedirs(voc / 'ImageSets' / 'Main')
    (voc / 'ImageSets' / 'Main' / 'train.txt').write_text('2008_000002\n')
    (tmp_path / 'labels.txt').write_text(''.join(f'{k}: c{k}\n' for k in range(1, 71)))
    (tmp_path / '59_labels.txt').write_text(''.join(f'{k - 1}: c{k}\n' for k in range(2, 61)))
    os.makedirs(tmp_path / 'trainval')
    savemat(str(tmp_path / 'trainval' / '2008_000002.mat'),
            {'LabelMap': np.array([[0, 1, 2, 60, 65]] * 2)})
    ds = PascalContext(str(tmp_path), 'train')
    assert ds.num_classes == 59 and ds.classes[0] == 'c2' and ds.classes[58] == 'c60'
    _check_sample(ds, 0, np.array([[255, 255, 0, 58, 255]] * 2))


def _voc(root, ids=('2007_000032',), lab=None, mode='P'):
    voc = root / 'VOCdevkit' / 'VOC2012'
    for i in ids:
        rgb_image(voc / 'JPEGImages' / f'{i}.jpg', 2, 3)
        save(voc / 'SegmentationClass' / f'{i}.png',
             lab if lab is not None else [[0, 1, 255]] * 2, mode)
    os.makedirs(voc / 'ImageSets' / 'Segmentation', exist_ok=True)
    (voc / 'ImageSets' / 'Segmentation' / 'train.txt').write_text(''.join(f'{i}\n' for i in ids))
    return voc


def test_voc_labels_refused_by_file(tmp_path):
    voc = _voc(tmp_path, lab=np.tile(np.array([128, 0, 0]), (2, 3, 1)), mode='RGB')
    with pytest.raises(ValueError, match=r"label '.*2007_000032.png' is a colour \(RGB\) image.*; "
                                         r"VOC labels are the palette PNGs of SegmentationClass"):
        VOCSegmentation(str(tmp_path))[0]  # aeroplane's colour: grey level 38 -> ignore before
    save(voc / 'SegmentationClass' / '2007_000032.png', [[0, 21, 254]] * 2, 'P')
    with pytest.raises(ValueError, match=r"holds values the dataset does not define \(21, 254\); "
                                         r"expected 0-20, 255"):
        VOCSegmentation(str(tmp_path))[0]


def test_voc_split_list_and_files(tmp_path):
    nfc, nfd = (unicodedata.normalize(f, '2007_00003ä') for f in ('NFC', 'NFD'))
    voc = _voc(tmp_path, ids=(nfd,))
    (voc / 'ImageSets' / 'Segmentation' / 'train.txt').write_text(f'{nfc}\n')
    assert len(VOCSegmentation(str(tmp_path))) == 1  # the list in NFC finds the NFD files
    (voc / 'ImageSets' / 'Segmentation' / 'train.txt').write_text(f'{nfc}\n2007_000099\n')
    with pytest.raises(FileNotFoundError, match=r"VOCSegmentation train: expected the file "
                                                r"'.*JPEGImages/2007_000099.jpg', which does not"):
        VOCSegmentation(str(tmp_path))
    (voc / 'ImageSets' / 'Segmentation' / 'train.txt').write_text(f'{nfc}\n{nfc}\n')
    with pytest.raises(ValueError, match=r"VOCSegmentation train list '.*train.txt' lists "
                                         r"'2007_00003ä' twice"):
        VOCSegmentation(str(tmp_path))


def test_mat_labels_refused_by_file(tmp_path):
    from scipy.io import savemat
    voc = tmp_path / 'VOCdevkit' / 'VOC2010'
    rgb_image(voc / 'JPEGImages' / '2008_000002.jpg', 2, 3)
    os.makedirs(voc / 'ImageSets' / 'Main')
    (voc / 'ImageSets' / 'Main' / 'train.txt').write_text('2008_000002\n')
    (tmp_path / 'labels.txt').write_text(''.join(f'{k}: c{k}\n' for k in range(1, 71)))
    (tmp_path / '59_labels.txt').write_text(''.join(f'{k - 1}: c{k}\n' for k in range(2, 61)))
    os.makedirs(tmp_path / 'trainval')
    mat = str(tmp_path / 'trainval' / '2008_000002.mat')
    savemat(mat, {'LabelMap': np.array([[0, 1, 2], [71, 500, 3]])})
    with pytest.raises(ValueError, match=r"label '.*2008_000002.mat' holds values the dataset does "
                                         r"not define \(71, 500\); expected 0-70; PASCAL-Context"):
        PascalContext(str(tmp_path))[0]
    savemat(mat, {'Other': np.zeros((2, 3))})
    with pytest.raises(ValueError, match=r"label '.*2008_000002.mat' has no variable 'LabelMap' "
                                         r"\(it holds \['Other'\]\)"):
        PascalContext(str(tmp_path))[0]
    savemat(mat, {'LabelMap': np.zeros((2, 3, 2), np.int32)})
    with pytest.raises(ValueError, match=r"LabelMap must be a 2-D integer label map, got shape "
                                         r"\(2, 3, 2\)"):
        PascalContext(str(tmp_path))[0]
    truncate(mat, 0.3)
    with pytest.raises(ValueError, match=r"label '.*2008_000002.mat' is not a readable MATLAB "
                                         r"file"):
        PascalContext(str(tmp_path))[0]
