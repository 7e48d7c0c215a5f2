"""Folder trees that differ from the official layout: read correctly or refused by file name,
never skipped silently (graphseg/data/layout.py, through the readers that use it)."""
import os
import unicodedata

import numpy as np
import pytest

from graphseg.data import CamVid, Cityscapes, SegmentationFolder
from graphseg.data.layout import FolderIndex, pair_by_stem, read_lines, scan_files
from tests.datasets.files import rgb_image, save

LAB = np.array([[0, 3, 10, 11]] * 2)


def camvid(root, names=('a', 'b'), split='train'):
    """A CamVid tree with the frames ``names`` and their annotations."""
    for n in names:
        rgb_image(root / split / f'{n}.png', 2, 4)
        save(root / f'{split}annot' / f'{n}.png', LAB, 'L')
    return str(root)


def test_symlinked_folder_is_read(tmp_path):
    """A city folder linked from elsewhere (os.walk skipped it before: 1 image instead of 2)."""
    root = tmp_path / 'cs'
    for split, city in (('train', 'aachen'), ('elsewhere', 'bremen')):
        stem = f'{city}_000000_000019'
        rgb_image(root / 'leftImg8bit' / split / city / f'{stem}_leftImg8bit.png', 2, 3)
        save(root / 'gtFine' / split / city / f'{stem}_gtFine_labelIds.png', np.full((2, 3), 7),
             'L')
    for top in ('leftImg8bit', 'gtFine'):
        os.symlink(root / top / 'elsewhere' / 'bremen', root / top / 'train' / 'bremen')
    ds = Cityscapes(str(root), 'train')
    assert len(ds) == 2 and 'bremen' in ds.pairs[1][0]
    assert int(ds[1][1][0, 0]) == 0  # road


def test_symlink_cycle_and_folder_twice_are_refused(tmp_path):
    root = tmp_path / 'cv'
    camvid(root)
    os.symlink(root / 'train', root / 'train' / 'loop')
    with pytest.raises(ValueError, match=r"CamVid train: the folder '.*train/loop' is the folder "
                                         r"'.*train' again \(a symbolic link\)"):
        CamVid(str(root))
    os.remove(root / 'train' / 'loop')
    os.makedirs(root / 'elsewhere')
    os.symlink(root / 'elsewhere', root / 'trainannot' / 'x')
    os.symlink(root / 'elsewhere', root / 'trainannot' / 'y')
    with pytest.raises(ValueError, match=r"the folder '.*trainannot/y' is the folder "
                                         r"'.*trainannot/x' again"):
        CamVid(str(root))


def test_links_to_files(tmp_path):
    root = tmp_path / 'cv'
    camvid(root)
    os.symlink(root / 'train' / 'a.png', root / 'train' / 'c.png')  # a link to a frame: read
    save(root / 'trainannot' / 'c.png', LAB, 'L')
    with pytest.raises(ValueError, match=r"'.*train/b.png' and '.*train/a.png' are the same file|"
                                         r"'.*train/c.png' and '.*train/a.png' are the same file"):
        CamVid(str(root))  # the same frame twice in a split
    os.remove(root / 'train' / 'c.png')
    os.symlink(tmp_path / 'gone.png', root / 'train' / 'c.png')
    with pytest.raises(FileNotFoundError, match=r"CamVid train: '.*train/c.png' is a broken "
                                                r"symbolic link"):
        CamVid(str(root))
    os.remove(root / 'train' / 'c.png')
    os.replace(root / 'trainannot' / 'c.png', tmp_path / 'c_annot.png')
    os.symlink(tmp_path / 'c_annot.png', root / 'trainannot' / 'c.png')
    rgb_image(root / 'train' / 'c.png', 2, 4, seed=3)
    ds = CamVid(str(root))
    assert len(ds) == 3 and np.array_equal(ds[2][1].numpy(), np.where(LAB == 11, 255, LAB))


def test_unicode_normalisation(tmp_path):
    """A frame named in NFC whose annotation is named in NFD (a copy made on macOS)."""
    nfc, nfd = unicodedata.normalize('NFC', 'zürich'), unicodedata.normalize('NFD', 'zürich')
    assert nfc != nfd
    root = tmp_path / 'cv'
    rgb_image(root / 'train' / f'{nfc}.png', 2, 4)
    save(root / 'trainannot' / f'{nfd}.png', LAB, 'L')
    ds = CamVid(str(root))
    assert len(ds) == 1 and ds.pairs[0][1].endswith(f'{nfd}.png')
    rgb_image(root / 'train' / f'{nfd}.png', 2, 4)
    with pytest.raises(ValueError, match=r"differ only by letter case or Unicode normalisation"):
        CamVid(str(root))


def test_letter_case(tmp_path):
    root = tmp_path / 'cv'
    rgb_image(root / 'train' / 'Frame.PNG', 2, 4)  # suffix '.png' in another case: an image
    save(root / 'trainannot' / 'frame.png', LAB, 'L')
    ds = CamVid(str(root))
    assert len(ds) == 1 and ds.pairs[0][0].endswith('Frame.PNG')
    rgb_image(root / 'train' / 'frame.png', 2, 4)
    with pytest.raises(ValueError, match=r"'.*train/Frame.PNG' and '.*train/frame.png' differ "
                                         r"only by letter case|'.*train/frame.png' and "
                                         r"'.*train/Frame.PNG' differ only by letter case"):
        CamVid(str(root))


def test_missing_partners_are_refused(tmp_path):
    root = tmp_path / 'cv'
    camvid(root)
    rgb_image(root / 'train' / 'c.png', 2, 4)
    with pytest.raises(FileNotFoundError, match=r"CamVid train: no label file '.*trainannot/c.png' "
                                                r"for image '.*train/c.png'$"):
        CamVid(str(root))
    rgb_image(root / 'train' / 'd.png', 2, 4)
    with pytest.raises(FileNotFoundError, match=r"for image '.*train/c.png' \(and 1 more\)"):
        CamVid(str(root))
    for n in 'cd':
        os.remove(root / 'train' / f'{n}.png')
    save(root / 'trainannot' / 'orphan.png', LAB, 'L')  # was ignored silently
    with pytest.raises(FileNotFoundError, match=r"CamVid train: no image '\*.png' under "
                                                r"'.*train' for the label file "
                                                r"'.*trainannot/orphan.png'"):
        CamVid(str(root))


def test_unlabelled_split_all_or_nothing(tmp_path):
    root = tmp_path / 'cs'
    for i in range(2):
        name = f'berlin_00000{i}_000019_leftImg8bit.png'
        rgb_image(root / 'leftImg8bit' / 'test' / 'berlin' / name, 2, 3)
    ds = Cityscapes(str(root), 'test')
    assert [label for _, label in ds.pairs] == [None, None]
    save(root / 'gtFine' / 'test' / 'berlin' / 'berlin_000000_000019_gtFine_labelIds.png',
         np.zeros((2, 3)), 'L')
    with pytest.raises(FileNotFoundError, match=r"no label file .*berlin_000001_000019_gtFine_"
                                                r"labelIds.png' for image"):
        Cityscapes(str(root), 'test')  # some images labelled, some not


def test_stray_image_files_and_empty_files(tmp_path):
    root = tmp_path / 'cv'
    camvid(root)
    rgb_image(root / 'train' / 'c.jpg', 2, 4)  # skipped silently before
    with pytest.raises(ValueError, match=r"CamVid train: the image file '.*train/c.jpg' does not "
                                         r"end with '.png', the layout's name for these files"):
        CamVid(str(root))
    os.remove(root / 'train' / 'c.jpg')
    (root / 'train' / 'notes.txt').write_text('not an image: ignored')
    (root / 'trainannot' / 'b.png').write_bytes(b'')
    with pytest.raises(ValueError, match=r"CamVid train: the file '.*trainannot/b.png' is empty"):
        CamVid(str(root))
    os.remove(root / 'trainannot' / 'b.png')
    os.mkfifo(root / 'trainannot' / 'b.png')
    with pytest.raises(ValueError, match=r"'.*trainannot/b.png' is not a regular file"):
        CamVid(str(root))


def test_empty_split_is_refused(tmp_path):
    os.makedirs(tmp_path / 'train')
    os.makedirs(tmp_path / 'trainannot')
    with pytest.raises(FileNotFoundError, match=r"CamVid train: no image files '\*.png' under "
                                                r"'.*train'"):
        CamVid(str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"SegmentationFolder: no images found"):
        SegmentationFolder([])


def test_split_lists(tmp_path):
    good = tmp_path / 'good.txt'
    good.write_bytes('\ufeff2007_000032\r\n\r\n  2007_000039  \n'.encode('utf-8'))
    assert read_lines(str(good), 'list') == ['2007_000032', '2007_000039']  # BOM, CRLF, blanks
    nfd = tmp_path / 'nfd.txt'
    nfd.write_text(unicodedata.normalize('NFD', 'zürich\n'))
    assert read_lines(str(nfd), 'list') == [unicodedata.normalize('NFC', 'zürich')]
    cases = {
        b'a\nb\na\n': r"list '.*bad.txt' lists 'a' twice \(lines 1 and 3\)",
        b'../../etc/passwd\n': r"list '.*bad.txt' line 1: expected an id, got the path",
        b'\n \n': r"list '.*bad.txt' lists nothing",
        'caf\u00e9\n'.encode('latin-1'): r"list '.*bad.txt' is not UTF-8 text \(byte 3",
        b'': r"list: the file '.*bad.txt' is empty",
    }
    for raw, match in cases.items():
        (tmp_path / 'bad.txt').write_bytes(raw)
        with pytest.raises(ValueError, match=match):
            read_lines(str(tmp_path / 'bad.txt'), 'list')


def test_folder_index(tmp_path):
    save(tmp_path / 'A.png', np.zeros((2, 2)), 'L')
    index = FolderIndex('what')
    assert index.find(str(tmp_path), 'a.png').endswith('A.png')
    assert index.find(str(tmp_path), 'b.png') is None
    with pytest.raises(FileNotFoundError, match=r"what: expected the file '.*b.png', which does "
                                                r"not exist"):
        index.require(str(tmp_path), 'b.png')
    files = scan_files(str(tmp_path), '.png', 'what')
    assert list(files) == ['a']


def test_pair_by_stem_shared_folder(tmp_path):
    """DeepGlobe keeps tiles and masks in one folder: masks are not stray images."""
    rgb_image(tmp_path / '1_sat.jpg')
    save(tmp_path / '1_mask.png', np.zeros((4, 6)), 'L')
    assert pair_by_stem(str(tmp_path), str(tmp_path), '_sat.jpg', '_mask.png', 'dg') == [
        (str(tmp_path / '1_sat.jpg'), str(tmp_path / '1_mask.png'))]
