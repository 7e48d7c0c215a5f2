"""Datasets: the papers' datasets read in their official on-disk layouts, the bundled digit scenes,
bundled photos, graph datasets built from graphseg's superpixel graphs, and joint transforms.

:data:`DATASETS` maps the names used in configs (``data.dataset``) to reader classes; every
reader is a :class:`torch.utils.data.Dataset` of
``(image (3, H, W) float in [0, 1], target (H, W) long)`` with ``num_classes``, ``ignore_index``
(255) and ``task`` (``'semantic'``, ``'saliency'``, ``'road'``).

Files are decoded by their mode and folder trees matched against the official layout, or refused
naming the file (:mod:`graphseg.data.decode`, :mod:`graphseg.data.layout`);
:func:`check_labels` refuses a split in which no pixel has a valid label (call it on the training
split before training).
"""
from .ade20k import ADE20K
from .camvid import CamVid
from .cityscapes import Cityscapes
from .deepglobe import DeepGlobeRoads
from .decode import read_image, read_label, read_mask
from .folder import SegmentationFolder
from .images import SKIMAGE_GRAY, SKIMAGE_PHOTOS, load_image
from .mnist_seg import IGNORE_INDEX, NUM_CLASSES, MNISTSegmentation, mnist_5k_split, mnist_digits
from .pascal import PascalContext, VOCSegmentation
from .registry import DATASETS, build_dataset, dataset_info
from .saliency import SaliencyFolder
from .sunrgbd import SUNRGBD
from .validate import check_labels
from .graph_datasets import (ImageFolderSuperpixels, MNISTSuperpixels, SegmentationSuperpixels,
                             SuperpixelGraphDataset, majority_labels)
from .idx import load_mnist_idx, read_idx
from .transforms import (Compose, Normalize, PhotometricJitter, RandomCrop, RandomHorizontalFlip,
                         RandomScale, build_transforms)

__all__ = ['load_image', 'SKIMAGE_PHOTOS', 'SKIMAGE_GRAY', 'MNISTSegmentation', 'mnist_digits',
           'NUM_CLASSES', 'IGNORE_INDEX', 'Cityscapes', 'CamVid', 'VOCSegmentation',
           'PascalContext', 'ADE20K', 'SUNRGBD', 'DeepGlobeRoads', 'SaliencyFolder',
           'SegmentationFolder', 'DATASETS', 'build_dataset', 'dataset_info', 'Compose',
           'RandomScale', 'RandomCrop', 'RandomHorizontalFlip', 'PhotometricJitter', 'Normalize',
           'build_transforms', 'MNISTSuperpixels', 'ImageFolderSuperpixels',
           'SegmentationSuperpixels', 'SuperpixelGraphDataset', 'majority_labels', 'read_idx',
           'load_mnist_idx', 'mnist_5k_split', 'check_labels', 'read_image', 'read_label',
           'read_mask']
