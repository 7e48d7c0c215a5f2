"""The PASCAL VOC (with the SBD augmented list) and PASCAL-Context readers on tiny folders in the
official layouts."""
import os
import shutil

import numpy as np
import pytest

from graphseg.data import PascalContext, VOCSegmentation
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
