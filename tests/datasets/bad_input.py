"""Bad-input rows of graphseg.data: ``ERRORS``, ``ACCEPTED`` and ``NO_ROW``.

Collected by tests/test_bad_input.py, which explains the row format."""
from __future__ import annotations

import functools
import os

import numpy as np
import torch

from graphseg import data as gdata
from tests.bad_input_fixtures import NAN, E, S, dataset, files, labels, layouts
from tests.datasets.files import colour_label, rgb_image, save, truncate


@functools.lru_cache(maxsize=None)
def trees():
    """Files and folder trees that differ from the official layouts (issue: data is read as the
    layouts define it, or refused): colour labels, masks that are not binary, 16-bit and truncated
    images, a CamVid split whose every pixel is void, an unlabelled Cityscapes split."""
    import tempfile
    root = tempfile.mkdtemp(prefix='graphseg_bad_trees_')
    save(f'{root}/truck.png', np.tile(np.array([0, 0, 70]), (4, 6, 1)), 'RGB')
    save(f'{root}/mask128.png', [[0, 128, 128, 0, 0, 0]] * 4, 'L')
    save(f'{root}/classes.png', [[0, 1, 2, 3, 4, 5]] * 4, 'L')
    save(f'{root}/mask01.png', [[0, 1, 1, 0, 0, 1]] * 4, 'L')
    save(f'{root}/mask1bit.png', [[0, 1, 1, 0, 0, 1]] * 4, '1')
    save(f'{root}/red.png', np.tile(np.array([255, 0, 0]), (4, 6, 1)), 'RGB')
    save(f'{root}/ids.png', [[0, 1, 20, 255, 15, 7]] * 4, 'P')
    save(f'{root}/sky_road.png', colour_label(4, 6, [(128, 128, 128), (128, 64, 128)]), 'RGB')
    save(f'{root}/g16.png', np.full((4, 6), 30000), 'I;16')
    save(f'{root}/i32.tif', np.full((4, 6), 7_000_000), 'I')
    save(f'{root}/f.tif', np.zeros((4, 6)), 'F')
    la = np.stack([np.zeros((4, 6)), np.full((4, 6), 128)], -1)
    save(f'{root}/transparent.png', la, 'LA')
    truncate(rgb_image(f'{root}/truncated.png', 64, 64), 0.5)
    for i in range(2):  # CamVid: every pixel void
        rgb_image(f'{root}/void/train/{i}.png', 2, 3)
        save(f'{root}/void/trainannot/{i}.png', np.full((2, 3), 11), 'L')
    rgb_image(f'{root}/cam32/train/0.png', 2, 4)  # CamVid: a colour of the 32-class release
    save(f'{root}/cam32/trainannot/0.png', colour_label(2, 4, [(128, 64, 128), (128, 0, 192)]),
         'RGB')
    rgb_image(f'{root}/camcolour/train/0.png', 2, 4)  # CamVid: sky, road, void colours
    save(f'{root}/camcolour/trainannot/0.png',
         colour_label(2, 4, [(128, 128, 128), (128, 64, 128), (0, 0, 0)]), 'RGB')
    save(f'{root}/cam12/trainannot/0.png', [[0, 12]] * 2, 'L')
    rgb_image(f'{root}/cam12/train/0.png', 2, 2)
    stem = 'berlin_000000_000019'
    rgb_image(f'{root}/cs/leftImg8bit/test/berlin/{stem}_leftImg8bit.png', 2, 3)
    rgb_image(f'{root}/cs/leftImg8bit/train/berlin/{stem}_leftImg8bit.png', 2, 3)
    save(f'{root}/cs/gtFine/train/berlin/{stem}_gtFine_labelIds.png',
         np.tile(np.array([0, 0, 70, 255]), (2, 3, 1)), 'RGBA')  # a *_color.png under this name
    rgb_image(f'{root}/link/leftImg8bit/elsewhere/bonn/bonn_0_1_leftImg8bit.png', 2, 3)
    save(f'{root}/link/gtFine/elsewhere/bonn/bonn_0_1_gtFine_labelIds.png', [[7] * 3] * 2, 'L')
    for top in ('leftImg8bit', 'gtFine'):
        os.makedirs(f'{root}/link/{top}/train')
        os.symlink(f'{root}/link/{top}/elsewhere/bonn', f'{root}/link/{top}/train/bonn')
    rgb_image(f'{root}/dg/train/1_sat.jpg')
    save(f'{root}/dg/train/1_mask.png', np.zeros((4, 6)), 'L')
    with open(f'{root}/dg/ids.txt', 'w') as f:
        f.write('1\n2\n')
    rgb_image(f'{root}/sal/imgs/0.png')
    save(f'{root}/sal/gt/0.png', [[0, 128, 128, 0, 0, 0]] * 4, 'L')
    voc = f'{root}/voc/VOCdevkit/VOC2012'
    rgb_image(f'{voc}/JPEGImages/2007_000032.jpg')
    save(f'{voc}/SegmentationClass/2007_000032.png', [[0] * 6] * 4, 'P')
    os.makedirs(f'{voc}/ImageSets/Segmentation')
    with open(f'{voc}/ImageSets/Segmentation/train.txt', 'w') as f:
        f.write('2007_000032\n2007_000032\n')
    ade = f'{root}/ade/ADEChallengeData2016'
    rgb_image(f'{ade}/images/training/ADE_train_00000001.jpg')
    rgb_image(f'{ade}/images/training/ADE_train_00000002.jpeg')
    save(f'{ade}/annotations/training/ADE_train_00000001.png', np.zeros((4, 6)), 'L')
    os.makedirs(f'{root}/classes_dir/a')
    os.makedirs(f'{root}/classes_dir/b')
    save(f'{root}/classes_dir/a/0.png', np.zeros((28, 28)), 'L')
    sun = f'{root}/sun/SUNRGBD'  # SUN RGB-D: label13 of image 2 missing, label37 1 in colour
    for i in (1, 2):
        rgb_image(f'{sun}/image/train/img-{i:06d}.jpg', 2, 3)
    save(f'{sun}/label13/train/img13labels-000001.png', [[0, 1, 13]] * 2, 'L')
    save(f'{sun}/label37/train/00000001.png', np.full((2, 3, 3), 40), 'RGB')  # a colour rendering
    save(f'{sun}/label37/train/00000002.png', [[0, 1, 37]] * 2, 'L')
    return root


@functools.lru_cache(maxsize=None)
def processed_payload():
    """An MNISTSuperpixels root whose processed file is a pickle that would create ``PWNED``."""
    import tempfile
    root = tempfile.mkdtemp(prefix='graphseg_bad_processed_')
    path = gdata.MNISTSuperpixels(root, 'test', limit=1, n_segments=10,
                                  progress=False).processed_paths[0]
    os.remove(path + '.sha256')

    class Payload:
        def __reduce__(self):
            return (open, (f'{root}/PWNED', 'w'))

    torch.save((Payload(), {}, 'SuperpixelData', {}), path)
    return root


def _refused_without_running(root):
    try:
        gdata.MNISTSuperpixels(root, 'test', limit=1, n_segments=10, progress=False)
    finally:
        assert not os.path.exists(f'{root}/PWNED'), 'the payload ran'


def _with_pixel_limit(limit, read, path):
    from PIL import Image
    old = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limit
    try:
        return read(path)
    finally:
        Image.MAX_IMAGE_PIXELS = old

ERRORS = [
    # ---------------------------------------------------------------- graphseg.data
    (
        'data.load_image: missing file',
        lambda: gdata.load_image('/nonexistent/cat.png'),
        FileNotFoundError,
        r"source must be an image file or a bundled skimage.data name .*, got "
        r"'/nonexistent/cat.png'",
    ),
    (
        'data.load_image: unknown name',
        lambda: gdata.load_image('astronautt'),
        FileNotFoundError,
        r"source must be an image file or a bundled skimage.data name .*got 'astronautt'",
    ),
    (
        'data.load_image: text file named .png',
        lambda: gdata.load_image(f'{files()}/text.png'),
        E,
        r"source '.*text.png' is not a readable image",
    ),
    (
        'data.load_image: empty file',
        lambda: gdata.load_image(f'{files()}/empty.png'),
        E,
        r"source '.*empty.png' is not a readable image",
    ),
    (
        'data.load_image: a folder',
        lambda: gdata.load_image(f'{files()}/folder.png'),
        E,
        r"source '.*folder.png' is a folder, not an image file",
    ),
    (
        'data.load_image: not a path',
        lambda: gdata.load_image(3),
        S,
        r'source must be a path or a name, got int',
    ),
    (
        'data.MNISTSegmentation: split',
        lambda: gdata.MNISTSegmentation('test2'),
        E,
        r"split must be one of",
    ),
    (
        'data.MNISTSegmentation: num_samples 0',
        lambda: gdata.MNISTSegmentation('val', 0),
        E,
        r'num_samples must be an int >= 1, got 0',
    ),
    (
        'data.MNISTSegmentation: size too small',
        lambda: gdata.MNISTSegmentation('val', 2, size=16),
        E,
        r'size must be an int in \[32, 1024\], got 16',
    ),
    (
        'data.MNISTSegmentation: max_digits 0',
        lambda: gdata.MNISTSegmentation('val', 2, max_digits=0),
        E,
        r'max_digits must be an int >= 1',
    ),
    (
        'data.MNISTSegmentation: scale',
        lambda: gdata.MNISTSegmentation('val', 2, scale=(2.0, 1.0)),
        E,
        r'scale must be \(min, max\) with 0 < min <= max',
    ),
    (
        'data.MNISTSegmentation: ink',
        lambda: gdata.MNISTSegmentation('val', 2, ink=2.0),
        E,
        r'need 0 <= background < ink <= 1, got background=0.1, ink=2.0',
    ),
    (
        'data.MNISTSegmentation: index',
        lambda: dataset()[10],
        IndexError,
        r'index must be in \[0, 3\], got 10',
    ),
    # dataset readers: missing folders and wrong layouts (tiny fake trees from layouts())
    (
        'data.CamVid: missing root',
        lambda: gdata.CamVid('/nonexistent/camvid'),
        FileNotFoundError,
        r"CamVid train: expected the folder '/nonexistent/camvid/train', which does not exist",
    ),
    (
        'data.CamVid: image without label',
        lambda: gdata.CamVid(f'{layouts()}/camvid'),
        FileNotFoundError,
        r"CamVid train: no label file '.*camvid/trainannot/a.png' for image '.*camvid/train/a.png'",
    ),
    (
        'data.CamVid: split',
        lambda: gdata.CamVid(f'{layouts()}/camvid', 'tets'),
        E,
        r"split must be one of \('train', 'val', 'test', 'trainval'\), got 'tets'",
    ),
    (
        'data.SUNRGBD: empty folder',
        lambda: gdata.build_dataset('sunrgbd', f'{layouts()}/empty', 'val'),
        FileNotFoundError,
        r"SUN RGB-D 37 test: expected the folder '.*empty/image/test', which does not exist",
    ),
    (
        'data.SUNRGBD: num_classes',
        lambda: gdata.build_dataset('sunrgbd', f'{layouts()}/empty', 'train', num_classes=40),
        E,
        r"num_classes must be one of \(13, 37\), got 40",
    ),
    (
        'data.ADE20K: empty folder',
        lambda: gdata.ADE20K(f'{layouts()}/empty'),
        FileNotFoundError,
        r"ADE20K train: expected the folder '.*empty/images/training', which does not exist",
    ),
    (
        'data.ADE20K: split',
        lambda: gdata.ADE20K(f'{layouts()}/empty', 'test'),
        E,
        r"split must be one of \('train', 'val'\), got 'test'",
    ),
    (
        'data.Cityscapes: empty folder',
        lambda: gdata.Cityscapes(f'{layouts()}/empty'),
        FileNotFoundError,
        r"Cityscapes train: expected the folder '.*empty/leftImg8bit/train', which does not exist",
    ),
    (
        'data.Cityscapes: split',
        lambda: gdata.Cityscapes(f'{layouts()}/empty', 'trainval'),
        E,
        r"split must be one of \('train', 'val', 'test'\), got 'trainval'",
    ),
    (
        'data.VOCSegmentation: empty folder',
        lambda: gdata.VOCSegmentation(f'{layouts()}/empty'),
        FileNotFoundError,
        r"VOCSegmentation: expected the folder '.*empty/VOCdevkit/VOC2012', which does not exist",
    ),
    (
        'data.VOCSegmentation: no split list',
        lambda: gdata.VOCSegmentation(f'{layouts()}/voc'),
        FileNotFoundError,
        r"VOCSegmentation train list: expected the file '.*ImageSets/Segmentation/train.txt', "
        r"which does not exist",
    ),
    (
        'data.VOCSegmentation: train_aug without SBD',
        lambda: gdata.VOCSegmentation(f'{layouts()}/voc', 'train_aug'),
        FileNotFoundError,
        r"VOCSegmentation train_aug \(SBD\): expected the folder '.*benchmark_RELEASE/dataset'",
    ),
    (
        'data.PascalContext: empty folder',
        lambda: gdata.PascalContext(f'{layouts()}/empty'),
        FileNotFoundError,
        r"PascalContext: expected the folder '.*empty/VOCdevkit/VOC2010', which does not exist",
    ),
    (
        'data.DeepGlobeRoads: empty folder',
        lambda: gdata.DeepGlobeRoads(f'{layouts()}/empty'),
        FileNotFoundError,
        r"DeepGlobe roads train: expected the folder '.*empty/train', which does not exist",
    ),
    (
        'data.DeepGlobeRoads: split',
        lambda: gdata.DeepGlobeRoads(f'{layouts()}/empty', 'val'),
        E,
        r"split must be one of \('train', 'valid', 'test'\), got 'val'",
    ),
    (
        'data.SaliencyFolder: no known layout',
        lambda: gdata.SaliencyFolder(f'{layouts()}/empty'),
        FileNotFoundError,
        r"SaliencyFolder: no image folder found for split 'train'; tried .*DUTS-TR/DUTS-TR-Image",
    ),
    (
        'data.SaliencyFolder: image_dir alone',
        lambda: gdata.SaliencyFolder(f'{layouts()}/empty', image_dir='x'),
        E,
        r"image_dir and mask_dir must be given together, got 'x', None",
    ),
    (
        'data.SegmentationFolder: no pairs',
        lambda: gdata.SegmentationFolder([]),
        FileNotFoundError,
        r"SegmentationFolder: no images found",
    ),
    (
        'data.SegmentationFolder: a string for pairs',
        lambda: gdata.SegmentationFolder('abc'),
        S,
        r"pairs must be a sequence of \(image path, label path or None\), got 'abc'",
    ),
    (
        'data.SegmentationFolder: missing image file',
        lambda: gdata.SegmentationFolder([('/nonexistent/a.png', None)])[0],
        FileNotFoundError,
        r"image '/nonexistent/a.png' does not exist$",
    ),
    (
        'data.SegmentationFolder: text file named .png',
        lambda: gdata.SegmentationFolder([(f'{files()}/text.png', None)])[0],
        E,
        r"image '.*text.png' is not a readable image \(Pillow cannot identify its format\)",
    ),
    (
        'data.SegmentationFolder: truncated image',
        lambda: gdata.SegmentationFolder([(f'{trees()}/truncated.png', None)])[0],
        E,
        r"image '.*truncated.png' is truncated or corrupt \(",
    ),
    (
        'data.SegmentationFolder: index',
        lambda: gdata.SegmentationFolder([('/nonexistent/a.png', None)])[5],
        IndexError,
        r'index must be in \[0, 0\], got 5',
    ),
    (
        'data.build_dataset: unknown name',
        lambda: gdata.build_dataset('kitti', None, 'train'),
        E,
        r"dataset must be one of \[.*'camvid'.*\], got 'kitti'",
    ),
    (
        'data.build_dataset: no root',
        lambda: gdata.build_dataset('camvid', None, 'train'),
        E,
        r"dataset 'camvid' needs data.root \(the dataset folder\), got None",
    ),
    (
        'data.build_dataset: unknown argument',
        lambda: gdata.build_dataset('digits', None, 'val', num_sample=3),
        E,
        r"dataset 'digits' takes no argument 'num_sample'; it takes \['num_samples'",
    ),
    (
        'data.dataset_info: not a reader',
        lambda: gdata.dataset_info([1, 2]),
        S,
        r'dataset must be a graphseg reader with num_classes \(see DATASETS\), got list',
    ),
    # joint transforms
    (
        'data.Compose: not a list',
        lambda: gdata.Compose(3),
        S,
        r'transforms must be a list of callables, got int',
    ),
    (
        'data.Compose: not callable',
        lambda: gdata.Compose([3]),
        S,
        r'transforms\[0\] must be callable, got int',
    ),
    (
        'data.Compose: image channels-last',
        lambda: gdata.Compose([])(torch.rand(8, 8, 3), labels()),
        E,
        r'image looks channels-last: transforms take \(C, H, W\), got shape \(8, 8, 3\)',
    ),
    (
        'data.Compose: target float',
        lambda: gdata.Compose([])(torch.rand(3, 8, 8), labels().float()),
        S,
        r'target must have dtype torch.long',
    ),
    (
        'data.Compose: sizes differ',
        lambda: gdata.Compose([])(torch.rand(3, 8, 8), labels()[:4]),
        E,
        r'target must have the image size \(8, 8\), got \(4, 8\)',
    ),
    (
        'data.Normalize: std 0',
        lambda: gdata.Normalize((0.0,), (0.0,)),
        E,
        r'mean and std must have the same length and std > 0',
    ),
    (
        'data.Normalize: mean NaN',
        lambda: gdata.Normalize((NAN,), (1.0,)),
        E,
        r'mean must be a finite number, got nan',
    ),
    (
        'data.Normalize: channels',
        lambda: gdata.Normalize((0.0,), (1.0,))(torch.rand(3, 8, 8), labels()),
        E,
        r'image must have 1 channels to normalise, got 3',
    ),
    (
        'data.RandomCrop: size 0',
        lambda: gdata.RandomCrop((0, 4)),
        E,
        r'size must be \(h, w\) with positive int sizes, got \(0, 4\)',
    ),
    (
        'data.RandomCrop: size int',
        lambda: gdata.RandomCrop(4),
        E,
        r'size must be \(h, w\) with positive int sizes, got 4',
    ),
    (
        'data.RandomCrop: size float',
        lambda: gdata.RandomCrop((2.5, 4)),
        E,
        r'size must be \(h, w\) with positive int sizes, got \(2.5, 4\)',
    ),
    (
        'data.RandomScale: lo > hi',
        lambda: gdata.RandomScale((2.0, 1.0)),
        E,
        r'scale_range must satisfy 0 < lo <= hi, got \(2.0, 1.0\)',
    ),
    (
        'data.RandomScale: scalar',
        lambda: gdata.RandomScale(2.0),
        E,
        r'scale_range must be a pair \(lo, hi\), got 2.0',
    ),
    (
        'data.RandomScale: NaN',
        lambda: gdata.RandomScale((NAN, 2.0)),
        E,
        r'scale_range must be a finite number, got nan',
    ),
    (
        'data.RandomHorizontalFlip: p 2',
        lambda: gdata.RandomHorizontalFlip(2),
        E,
        r'p must be a probability in \[0, 1\], got 2',
    ),
    (
        'data.RandomHorizontalFlip: p NaN',
        lambda: gdata.RandomHorizontalFlip(NAN),
        E,
        r'p must be a finite number >= 0, got nan',
    ),
    (
        'data.PhotometricJitter: strength 1',
        lambda: gdata.PhotometricJitter(1.0),
        E,
        r'strength must be in \[0, 1\), got 1.0',
    ),
    (
        'data.PhotometricJitter: strength str',
        lambda: gdata.PhotometricJitter('a'),
        E,
        r"strength must be a finite number, got 'a'",
    ),
    (
        'data.build_transforms: normalize',
        lambda: gdata.build_transforms(True, normalize='coco'),
        E,
        r"normalize must be one of \('none', 'imagenet'\), got 'coco'",
    ),
    (
        'data.build_transforms: crop_size 0',
        lambda: gdata.build_transforms(True, crop_size=(0, 3)),
        E,
        r'size must be \(h, w\) with positive int sizes, got \(0, 3\)',
    ),
    # graph datasets from superpixel graphs (Issue 13)
    (
        'data.read_idx: missing file',
        lambda: gdata.read_idx('/nonexistent/train-images-idx3-ubyte'),
        FileNotFoundError,
        r"No such file or directory: '/nonexistent/train-images-idx3-ubyte'",
    ),
    (
        'data.read_idx: not an IDX file',
        lambda: gdata.read_idx(f'{files()}/not_idx'),
        E,
        r"not_idx is not an unsigned-byte IDX file \(magic '68656c6c', expected 000008xx\)",
    ),
    (
        'data.read_idx: truncated header',
        lambda: gdata.read_idx(f'{files()}/truncated_idx'),
        E,
        r'truncated_idx is a truncated IDX file: its header announces 3 dimensions \(16 header '
        r'bytes\), the file has 8',
    ),
    (
        'data.load_mnist_idx: missing folder',
        lambda: gdata.load_mnist_idx('/nonexistent', 'train'),
        FileNotFoundError,
        r"idx_dir must be a folder with the MNIST IDX files, got '/nonexistent'",
    ),
    (
        'data.load_mnist_idx: folder without the files',
        lambda: gdata.load_mnist_idx(f'{layouts()}/idx', 'train'),
        FileNotFoundError,
        r"idx_dir '.*idx' must hold the official MNIST file 'train-images-idx3-ubyte'",
    ),
    (
        'data.load_mnist_idx: split',
        lambda: gdata.load_mnist_idx(f'{layouts()}/idx', 'val'),
        E,
        r"split must be one of \('train', 'test'\), got 'val'",
    ),
    (
        'data.majority_labels: seg float',
        lambda: gdata.majority_labels(torch.zeros(4, 4), labels()[:4, :4], 1, 5),
        S,
        r'seg must have dtype torch.long',
    ),
    (
        'data.majority_labels: seg beyond num_nodes',
        lambda: gdata.majority_labels(torch.full((4, 4), 3), labels()[:4, :4], 1, 5),
        E,
        r'seg values must be node ids in \[0, num_nodes - 1\] = \[0, 0\], got \[3, 3\]',
    ),
    (
        'data.majority_labels: label out of range',
        lambda: gdata.majority_labels(
            torch.zeros(4, 4, dtype=torch.long), torch.full((4, 4), 7), 1, 3
        ),
        E,
        r'label must hold classes in \[0, 2\] or ignore_index=255, got values \[7\]',
    ),
    (
        'data.majority_labels: shapes differ',
        lambda: gdata.majority_labels(
            torch.zeros(4, 4, dtype=torch.long), torch.zeros(4, 5, dtype=torch.long), 1, 3
        ),
        E,
        r'seg and label must have the same shape, got \(4, 4\) and \(4, 5\)',
    ),
    (
        'data.majority_labels: num_classes 0',
        lambda: gdata.majority_labels(
            torch.zeros(4, 4, dtype=torch.long), torch.zeros(4, 4, dtype=torch.long), 1, 0
        ),
        E,
        r'num_classes must be an int >= 1, got 0',
    ),
    (
        'data.SuperpixelGraphDataset: n_segments 0',
        lambda: gdata.SuperpixelGraphDataset(f'{layouts()}/sp', 'train', 0, 1.0),
        E,
        r'n_segments must be an int >= 1, got 0',
    ),
    (
        'data.MNISTSuperpixels: split',
        lambda: gdata.MNISTSuperpixels(f'{layouts()}/msp', 'val'),
        E,
        r"split must be one of \('train', 'test'\), got 'val'",
    ),
    (
        'data.MNISTSuperpixels: limit 0',
        lambda: gdata.MNISTSuperpixels(f'{layouts()}/msp', limit=0),
        E,
        r'limit must be an int >= 1 or None, got 0',
    ),
    (
        'data.MNISTSuperpixels: compactness negative',
        lambda: gdata.MNISTSuperpixels(f'{layouts()}/msp', compactness=-1),
        E,
        r'compactness must be > 0, got -1',
    ),
    (
        'data.MNISTSuperpixels: missing idx_dir',
        lambda: gdata.MNISTSuperpixels(f'{layouts()}/msp', idx_dir='/nonexistent'),
        FileNotFoundError,
        r"idx_dir must be a folder with the MNIST IDX files, got '/nonexistent'",
    ),
    (
        'data.ImageFolderSuperpixels: missing image_dir',
        lambda: gdata.ImageFolderSuperpixels(f'{layouts()}/ifs', '/nonexistent'),
        FileNotFoundError,
        r"image_dir must be a folder with one sub-folder per class, got '/nonexistent'",
    ),
    (
        'data.ImageFolderSuperpixels: no class folders',
        lambda: gdata.ImageFolderSuperpixels(f'{layouts()}/ifs', f'{layouts()}/classes'),
        E,
        r"image_dir '.*classes' must hold one sub-folder per class, found none",
    ),
    (
        'data.SegmentationSuperpixels: empty dataset',
        lambda: gdata.SegmentationSuperpixels(f'{layouts()}/ssp', []),
        E,
        r'dataset must hold at least one \(image, label\) pair, got an empty dataset',
    ),
    (
        'data.SegmentationSuperpixels: num_classes 0',
        lambda: gdata.SegmentationSuperpixels(
            f'{layouts()}/ssp', [(torch.rand(3, 8, 8), labels())], 0
        ),
        E,
        r'num_classes must be an int >= 1 \(or dataset.num_classes\), got 0',
    ),
    (
        'data.SegmentationSuperpixels: image channels-last',
        lambda: gdata.SegmentationSuperpixels(
            f'{layouts()}/ssp_hwc',
            [(torch.rand(8, 8, 3), labels())],
            5,
            n_segments=4,
            progress=False,
        ),
        E,
        r'image looks channels-last',
    ),
    (
        'data.mnist_5k_split: split',
        lambda: gdata.mnist_5k_split('val'),
        E,
        r"split must be one of \('train', 'test'\), got 'val'",
    ),
    # files decoded by mode, folder trees as the layouts define them, or refused by file name
    ('data.read_image: truncated PNG', lambda: gdata.read_image(f'{trees()}/truncated.png'), E,
     r"image '.*truncated.png' is truncated or corrupt \(.*truncated"),
    ('data.read_image: 32-bit integer image', lambda: gdata.read_image(f'{trees()}/i32.tif'), E,
     r"image '.*i32.tif' is a 32-bit integer image with values in \[7e\+06, 7e\+06\]: it has "
     r"no fixed range to scale to \[0, 1\]"),
    ('data.read_image: decompression bomb (Pillow warning)',
     lambda: _with_pixel_limit(20, gdata.read_image, f'{trees()}/g16.png'), E,
     r"image '.*g16.png' is refused as a possible decompression bomb \(DecompressionBombWarning"),
    ('data.read_image: decompression bomb (Pillow error)',
     lambda: _with_pixel_limit(5, gdata.read_image, f'{trees()}/g16.png'), E,
     r"image '.*g16.png' is refused as a possible decompression bomb \(DecompressionBombError"),
    ('data.read_image: not a path', lambda: gdata.read_image(3), S,
     r'image must be a path, got int'),
    ('data.read_image: a folder', lambda: gdata.read_image(trees()), IsADirectoryError,
     r"image '.*' is a folder, expected an image file"),
    ('data.load_image: truncated PNG', lambda: gdata.load_image(f'{trees()}/truncated.png'), E,
     r"source '.*truncated.png' is truncated or corrupt"),
    ('data.read_label: colour image (Cityscapes truck)',
     lambda: gdata.read_label(f'{trees()}/truck.png'), E,
     r"label '.*truck.png' is a colour \(RGB\) image, not a label file of class ids \(a "
     r"single-channel grey or palette image\); this dataset defines no colour table"),
    ('data.read_label: colour outside the colour table',
     lambda: gdata.read_label(f'{trees()}/red.png', {(0, 0, 0): 0}), E,
     r"label '.*red.png' holds 1 colour\(s\) outside the dataset's colour table of 1 colours "
     r"\(\(255, 0, 0\) x24\)"),
    ('data.read_label: colors not a mapping', lambda: gdata.read_label(f'{trees()}/red.png', 3), S,
     r'colors must be a non-empty mapping \(r, g, b\) -> class id, got int'),
    ('data.read_label: colors key', lambda: gdata.read_label(f'{trees()}/red.png', {(1, 2): 0}),
     E, r'colors keys must be \(r, g, b\) tuples of ints in \[0, 255\], got \(1, 2\)'),
    ('data.read_label: transparent pixels', lambda: gdata.read_label(f'{trees()}/transparent.png'),
     E, r"label '.*transparent.png' has transparent pixels \(24 with alpha < 255\)"),
    ('data.read_label: float image', lambda: gdata.read_label(f'{trees()}/f.tif'), E,
     r"label '.*f.tif' has the image mode 'F'; label files are single-channel"),
    ('data.read_mask: foreground 128', lambda: gdata.read_mask(f'{trees()}/mask128.png'), E,
     r"mask '.*mask128.png' is not a binary mask: expected 0/1, 0/255, a 1-bit image or grey "
     r"levels near black and white, got values \[0, 128\]"),
    ('data.read_mask: a class map', lambda: gdata.read_mask(f'{trees()}/classes.png'), E,
     r"mask '.*classes.png' is not a binary mask: .*got values \[0, 1, 2, 3, 4, 5\]"),
    ('data.read_mask: colour image', lambda: gdata.read_mask(f'{trees()}/red.png'), E,
     r"mask '.*red.png' is a colour image with differing channels, not a binary mask"),
    ('data.read_mask: threshold 0', lambda: gdata.read_mask(f'{trees()}/mask01.png', 0), E,
     r'threshold must be an int in \[1, 255\], got 0'),
    ('data.check_labels: every pixel void', lambda: gdata.check_labels(
        gdata.CamVid(f'{trees()}/void')), E,
     r"CamVid\(root='.*void', split='train'\): no pixel of all 2 label files has a valid label "
     r"\(a class in \[0, 10\]\); every pixel is ignore_index=255"),
    ('data.check_labels: unlabelled split', lambda: gdata.check_labels(
        gdata.Cityscapes(f'{trees()}/cs', 'test')), E,
     r"Cityscapes\(root='.*cs', split='test'\) has no label files \(an unlabelled split\)"),
    ('data.check_labels: not a reader', lambda: gdata.check_labels([1]), S,
     r'dataset must be a graphseg reader with num_classes \(see DATASETS\), got list'),
    ('data.check_labels: max_files 0', lambda: gdata.check_labels(dataset(), 0), E,
     r'max_files must be an int >= 1, got 0'),
    ('data.CamVid: a colour of the 32-class release', lambda: gdata.CamVid(f'{trees()}/cam32')[0],
     E, r"label '.*trainannot/0.png' holds 1 colour\(s\) outside the dataset's colour table of 12 "
        r"colours \(\(128, 0, 192\) = LaneMkgsDriv, a class of the 32-class release outside "
        r"the 11 x4\)"),
    ('data.CamVid: value 12', lambda: gdata.CamVid(f'{trees()}/cam12')[0], E,
     r"label '.*trainannot/0.png' holds values the dataset does not define \(12\); expected "
     r"0-11, 255"),
    ('data.Cityscapes: colour label named labelIds', lambda: gdata.Cityscapes(f'{trees()}/cs')[0],
     E, r"label '.*_gtFine_labelIds.png' is a colour \(RGB\) image, .*the \*_color.png files are "
        r"a visualisation, not label ids"),
    ('data.DeepGlobeRoads: ids without tiles', lambda: gdata.DeepGlobeRoads(
        f'{trees()}/dg', ids_file=f'{trees()}/dg/ids.txt'), FileNotFoundError,
     r"DeepGlobe ids_file '.*ids.txt' lists '2', which has no tile '2_sat.jpg' in '.*dg/train'"),
    ('data.SaliencyFolder: mask 0/128', lambda: gdata.SaliencyFolder(f'{trees()}/sal')[0], E,
     r"mask '.*gt/0.png' is not a binary mask"),
    ('data.VOCSegmentation: an id twice in the split list',
     lambda: gdata.VOCSegmentation(f'{trees()}/voc'), E,
     r"VOCSegmentation train list '.*train.txt' lists '2007_000032' twice \(lines 1 and 2\)"),
    ('data.ADE20K: image with another extension', lambda: gdata.ADE20K(f'{trees()}/ade'), E,
     r"ADE20K train: the image file '.*ADE_train_00000002.jpeg' does not end with '.jpg'"),
    ('data.MNISTSuperpixels: processed file with a pickle payload',
     lambda: _refused_without_running(processed_payload()), E,
     r"MNISTSuperpixels processed file '.*' holds Python objects.* only the unsafe unpickler can "
     r"read .*; pass force_reload=True to rebuild it"),
    ('data.SUNRGBD: an image without its label file',
     lambda: gdata.SUNRGBD(f'{trees()}/sun', num_classes=13), FileNotFoundError,
     r"SUN RGB-D 13 train: no label file '.*label13/train/img13labels-000002.png' for image "
     r"'.*image/train/img-000002.jpg'"),
    ('data.SUNRGBD: colour rendering as a label file', lambda: gdata.SUNRGBD(f'{trees()}/sun')[0],
     E, r"label '.*label37/train/00000001.png' is a colour \(RGB\) image, not a label file of "
        r"class ids .*; SUN RGB-D label37 files hold 0 \(unlabelled\) and the classes 1..37"),
    ('data.ImageFolderSuperpixels: a class folder without images',
     lambda: gdata.ImageFolderSuperpixels(f'{trees()}/ifs', f'{trees()}/classes_dir'), E,
     r"image_dir '.*classes_dir': the class folder 'b' holds no images"),
]


ACCEPTED = [
    ('data.SUNRGBD: value k is class k - 1, 0 unlabelled',
     lambda: gdata.SUNRGBD(f'{trees()}/sun')[1][1],
     lambda t: t.tolist() == [[255, 0, 36]] * 2),
    ('data.RandomCrop: a smaller input is padded with ignore', lambda: gdata.RandomCrop((10, 10))(
        torch.rand(3, 8, 8), labels()),
     lambda r: r[1].shape == (10, 10) and int((r[1] == 255).sum()) == 36),
    ('data.load_image: grayscale gets one channel', lambda: gdata.load_image('camera'),
     lambda t: t.shape[0] == 1 and t.dtype == torch.float32 and float(t.max()) <= 1),
    ('data.load_image: 16-bit image scaled by 65535', lambda: gdata.load_image(
        f'{trees()}/g16.png'), lambda t: t.shape == (1, 4, 6) and torch.allclose(
        t, torch.full((1, 4, 6), 30000 / 65535))),
    ('data.read_image: 16-bit image scaled by 65535 (not clipped to white)',
     lambda: gdata.read_image(f'{trees()}/g16.png'),
     lambda t: t.shape == (3, 4, 6) and torch.allclose(t, torch.full((3, 4, 6), 30000 / 65535))),
    ('data.read_label: palette indices', lambda: gdata.read_label(f'{trees()}/ids.png'),
     lambda a: a.dtype == np.int64 and a[0].tolist() == [0, 1, 20, 255, 15, 7]),
    ('data.read_label: colours through a colour table', lambda: gdata.read_label(
        f'{trees()}/sky_road.png', {(128, 128, 128): 0, (128, 64, 128): 3}),
     lambda a: a[0].tolist() == [0, 3, 0, 3, 0, 3]),
    ('data.read_mask: a 0/1 mask (all background before)',
     lambda: gdata.read_mask(f'{trees()}/mask01.png'),
     lambda a: a[0].tolist() == [0, 1, 1, 0, 0, 1]),
    ('data.read_mask: a 1-bit PNG (all background before)',
     lambda: gdata.read_mask(f'{trees()}/mask1bit.png'),
     lambda a: a[0].tolist() == [0, 1, 1, 0, 0, 1]),
    ('data.check_labels: the digit scenes', lambda: gdata.check_labels(dataset(), 2),
     lambda r: r['files'] == 2 and r['valid_pixels'] > 0 and len(r['class_pixels']) == 11),
    ('data.CamVid: colour annotations through the release colours',
     lambda: gdata.CamVid(f'{trees()}/camcolour')[0][1],
     lambda t: t[0].tolist() == [0, 3, 255, 0]),
    ('data.Cityscapes: a city folder that is a symbolic link is read',
     lambda: gdata.Cityscapes(f'{trees()}/link'),
     lambda ds: len(ds) == 1 and int(ds[0][1][0, 0]) == 0),
]


#: Public callables of this package without a bad-input row, and why.
NO_ROW = {
    'data.mnist_digits': 'takes no argument',
}
