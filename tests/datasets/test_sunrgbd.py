"""The SUN RGB-D reader (QGN Table 3) on tiny fake trees in the layout of the release QGN reads."""
import os

import numpy as np
import pytest
from PIL import Image

from graphseg.data import build_dataset, check_labels, dataset_info
from graphseg.data.sunrgbd import SUNRGBD, SUNRGBD13_CLASSES, SUNRGBD37_CLASSES
from tests.helpers import _check_sample, _img, _label

LAB37 = np.array([[0, 1, 37, 22, 5, 0]] * 4)
LAB13 = np.array([[0, 1, 13, 12, 3, 0]] * 4)


def _tree(root, splits=('train', 'test'), n=2):
    """``n`` images per split with their 37- and 13-class label files (and a depth map)."""
    for split in splits:
        for i in range(1, n + 1):
            _img(os.path.join(root, 'SUNRGBD', 'image', split, f'img-{i:06d}.jpg'), 4, 6)
            _label(os.path.join(root, 'SUNRGBD', 'label37', split, f'{i:08d}.png'), LAB37)
            _label(os.path.join(root, 'SUNRGBD', 'label13', split, f'img13labels-{i:06d}.png'),
                   LAB13)
            _label(os.path.join(root, 'SUNRGBD', 'depth', split, f'{i:08d}.png'), LAB37 * 5)
    return root


def test_37_and_13_class_sets(tmp_path):
    root = _tree(str(tmp_path))
    ds = SUNRGBD(root, 'train')
    assert len(ds) == 2 and ds.num_classes == 37 and ds.classes == SUNRGBD37_CLASSES
    assert ds.classes[0] == 'wall' and ds.classes[21] == 'ceiling' and len(ds.classes) == 37
    _check_sample(ds, 0, np.array([[255, 0, 36, 21, 4, 255]] * 4))
    ds13 = SUNRGBD(root, 'test', num_classes=13)
    assert ds13.num_classes == 13 and ds13.classes == SUNRGBD13_CLASSES
    _check_sample(ds13, 1, np.array([[255, 0, 12, 11, 2, 255]] * 4))
    # the pairs are image n with label n
    assert [os.path.basename(p[1]) for p in ds13.pairs] == ['img13labels-000001.png',
                                                            'img13labels-000002.png']
    assert [os.path.basename(p[1]) for p in ds.pairs] == ['00000001.png', '00000002.png']


def test_val_is_the_test_set_and_root_may_be_the_sunrgbd_folder(tmp_path):
    root = _tree(str(tmp_path), splits=('test',), n=3)
    assert SUNRGBD(root, 'val').pairs == SUNRGBD(root, 'test').pairs
    assert len(SUNRGBD(os.path.join(root, 'SUNRGBD'), 'test')) == 3
    ds = build_dataset('sunrgbd', root, 'val', num_classes=13)
    assert isinstance(ds, SUNRGBD) and dataset_info(ds) == {'num_classes': 13,
                                                           'ignore_index': 255,
                                                           'task': 'semantic'}


def test_missing_partners_are_refused_by_name(tmp_path):
    root = _tree(str(tmp_path))
    os.remove(os.path.join(root, 'SUNRGBD', 'label37', 'train', '00000002.png'))
    with pytest.raises(FileNotFoundError,
                       match=r"SUN RGB-D 37 train: no label file '.*label37/train/00000002.png' "
                             r"for image '.*image/train/img-000002.jpg'"):
        SUNRGBD(root, 'train')
    assert len(SUNRGBD(root, 'train', num_classes=13)) == 2  # the 13-class set is complete
    os.remove(os.path.join(root, 'SUNRGBD', 'image', 'test', 'img-000001.jpg'))
    with pytest.raises(FileNotFoundError,
                       match=r"SUN RGB-D 13 test: no image 'img-\{:06d\}.jpg' for the label file "
                             r"'.*label13/test/img13labels-000001.png'"):
        SUNRGBD(root, 'test', num_classes=13)


def test_files_outside_the_layout_names_are_refused(tmp_path):
    root = _tree(str(tmp_path))
    colour = os.path.join(root, 'SUNRGBD', 'label13', 'train', 'img13labels-000001_color.png')
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(colour)
    with pytest.raises(ValueError, match=r"the file '.*img13labels-000001_color.png' does not "
                                         r"follow the layout's names \('img13labels-000001.png'"):
        SUNRGBD(root, 'train', num_classes=13)
    os.remove(colour)
    # a notes file beside the images is not an image: ignored
    with open(os.path.join(root, 'SUNRGBD', 'image', 'train', 'README.txt'), 'w') as f:
        f.write('notes')
    assert len(SUNRGBD(root, 'train', num_classes=13)) == 2


def test_colour_labels_and_other_class_sets_are_refused_by_name(tmp_path):
    root = _tree(str(tmp_path))
    path = os.path.join(root, 'SUNRGBD', 'label37', 'train', '00000001.png')
    Image.fromarray(np.full((4, 6, 3), 40, np.uint8)).save(path)  # a colour rendering
    with pytest.raises(ValueError, match=r"label '.*label37/train/00000001.png' is a colour "
                                         r"\(RGB\) image, not a label file of class ids"):
        SUNRGBD(root, 'train')[0]
    # a 37-class map where the 13-class set belongs
    _label(os.path.join(root, 'SUNRGBD', 'label13', 'train', 'img13labels-000002.png'), LAB37)
    with pytest.raises(ValueError, match=r"label '.*img13labels-000002.png' holds values the "
                                         r"dataset does not define \(22, 37\); expected 0-13"):
        SUNRGBD(root, 'train', num_classes=13)[1]


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"num_classes must be one of \(13, 37\), got 40"):
        SUNRGBD(str(tmp_path), num_classes=40)
    with pytest.raises(ValueError, match=r"split must be one of \('train', 'test', 'val'\)"):
        SUNRGBD(str(tmp_path), 'training')
    with pytest.raises(FileNotFoundError, match=r"SUN RGB-D 37 train: expected the folder "
                                                r"'.*image/train', which does not exist"):
        SUNRGBD(str(tmp_path))


def test_letter_case_of_names_and_check_labels(tmp_path):
    root = _tree(str(tmp_path), splits=('train',), n=1)
    folder = os.path.join(root, 'SUNRGBD', 'image', 'train')
    os.rename(os.path.join(folder, 'img-000001.jpg'), os.path.join(folder, 'IMG-000001.JPG'))
    ds = SUNRGBD(root)
    assert len(ds) == 1 and ds.pairs[0][0].endswith('IMG-000001.JPG')
    stats = check_labels(ds)
    assert stats['valid_pixels'] == 16 and stats['class_pixels'][36] == 4  # value 37 -> class 36
    _label(os.path.join(root, 'SUNRGBD', 'label13', 'train', 'img13labels-000001.png'),
           np.zeros((4, 6)))  # every pixel unlabelled
    with pytest.raises(ValueError, match=r"SUNRGBD\(root='.*', split='train'\): no pixel of all 1 "
                                         r"label files has a valid label \(a class in \[0, 12\]\)"):
        check_labels(SUNRGBD(root, num_classes=13))
