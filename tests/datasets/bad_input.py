"""Bad-input rows of graphseg.data: ``ERRORS``, ``ACCEPTED`` and ``NO_ROW``.

Collected by tests/test_bad_input.py, which explains the row format."""
from __future__ import annotations

import torch

from graphseg import data as gdata
from tests.bad_input_fixtures import NAN, E, S, dataset, files, labels, layouts

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
        r"No such file or directory: '/nonexistent/a.png'",
    ),
    (
        'data.SegmentationFolder: text file named .png',
        lambda: gdata.SegmentationFolder([(f'{files()}/text.png', None)])[0],
        OSError,
        r"cannot identify image file '.*text.png'",
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
]


ACCEPTED = [
    ('data.RandomCrop: a smaller input is padded with ignore', lambda: gdata.RandomCrop((10, 10))(
        torch.rand(3, 8, 8), labels()),
     lambda r: r[1].shape == (10, 10) and int((r[1] == 255).sum()) == 36),
    ('data.load_image: grayscale gets one channel', lambda: gdata.load_image('camera'),
     lambda t: t.shape[0] == 1 and t.dtype == torch.float32 and float(t.max()) <= 1),
]


#: Public callables of this package without a bad-input row, and why.
NO_ROW = {
    'data.mnist_digits': 'takes no argument',
}
