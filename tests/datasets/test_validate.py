"""check_labels: a split in which no pixel has a valid label is refused before training
(graphseg/data/validate.py)."""
import numpy as np
import pytest
import torch

from graphseg.data import CamVid, Cityscapes, MNISTSegmentation, SegmentationFolder, check_labels
from tests.datasets.files import rgb_image, save


def _camvid(root, labels):
    for i, lab in enumerate(labels):
        rgb_image(root / 'train' / f'{i:03d}.png', 2, 3, seed=i)
        save(root / 'trainannot' / f'{i:03d}.png', lab, 'L')
    return CamVid(str(root))


def test_counts_of_a_labelled_split(tmp_path):
    ds = _camvid(tmp_path, [[[0, 0, 3], [11, 11, 11]], [[11] * 3] * 2, [[10, 3, 3]] * 2])
    out = check_labels(ds)
    assert out['files'] == 3 and out['of'] == 3 and out['pixels'] == 18
    assert out['valid_pixels'] == 9
    assert out['class_pixels'][0] == 2 and out['class_pixels'][3] == 5
    assert out['class_pixels'][10] == 2 and sum(out['class_pixels']) == 9
    assert out['num_without_valid'] == 1 and out['without_valid'][0].endswith('001.png')


def test_a_split_without_valid_pixels_is_refused(tmp_path):
    """Every label void (CamVid 11): the loss would be 0 and training would 'complete'."""
    ds = _camvid(tmp_path, [[[11] * 3] * 2] * 3)
    with pytest.raises(ValueError, match=r"CamVid\(root='.*', split='train'\): no pixel of all 3 "
                                         r"label files has a valid label \(a class in \[0, 10\]\); "
                                         r"every pixel is ignore_index=255, so training would "
                                         r"learn nothing; CamVid annotations hold"):
        check_labels(ds)


def test_labels_outside_the_label_table(tmp_path):
    """Cityscapes ids that are no train class (0 unlabeled, 4 static, 9 parking) only."""
    for i in range(5):
        stem = f'aachen_{i:06d}_000019'
        rgb_image(tmp_path / 'leftImg8bit' / 'train' / 'aachen' / f'{stem}_leftImg8bit.png', 2, 3)
        lab = [[0, 4, 9]] * 2 if i != 3 else [[0, 4, 7]] * 2  # file 3: one road column
        save(tmp_path / 'gtFine' / 'train' / 'aachen' / f'{stem}_gtFine_labelIds.png', lab, 'L')
    ds = Cityscapes(str(tmp_path))
    assert check_labels(ds)['valid_pixels'] == 2
    with pytest.raises(ValueError, match=r"no pixel of 2 \(evenly spaced\) of the 5 label files "
                                         r"has a valid label"):
        check_labels(ds, max_files=2)  # files 0 and 4


def test_decoding_errors_surface_before_training(tmp_path):
    ds = _camvid(tmp_path, [[[0, 3, 3]] * 2])
    save(tmp_path / 'trainannot' / '000.png', np.full((2, 3, 3), 7), 'RGB')
    with pytest.raises(ValueError, match=r"label '.*000.png' holds 1 colour\(s\) outside the "
                                         r"dataset's colour table"):
        check_labels(ds)


def test_unlabelled_and_generic_datasets(tmp_path):
    rgb_image(tmp_path / 'leftImg8bit' / 'test' / 'berlin' / 'berlin_000000_000019_leftImg8bit.png')
    with pytest.raises(ValueError, match=r"Cityscapes\(root=.*, split='test'\) has no label files "
                                         r"\(an unlabelled split\); it cannot be trained on"):
        check_labels(Cityscapes(str(tmp_path), 'test'))
    out = check_labels(MNISTSegmentation('val', 3, size=32), max_files=2)
    assert out['files'] == 2 and out['valid_pixels'] > 0

    class Bad(torch.utils.data.Dataset):
        num_classes = 3

        def __len__(self):
            return 2

        def __getitem__(self, i):
            return torch.zeros(3, 2, 2), torch.tensor([[0, 1], [2, 7]])

    with pytest.raises(ValueError, match=r"Bad\(\): the target of 'dataset\[0\]' holds values "
                                         r"outside \[0, 2\] and ignore_index=255: \[7\]"):
        check_labels(Bad())
    with pytest.raises(TypeError, match=r"dataset must be a graphseg reader with num_classes"):
        check_labels([1, 2])
    with pytest.raises(ValueError, match=r"max_files must be an int >= 1, got 0"):
        check_labels(Bad(), 0)
    folder = SegmentationFolder([(str(tmp_path / 'x.png'), None)])
    folder.num_classes = 2
    with pytest.raises(ValueError, match=r"has no label files"):
        check_labels(folder)
