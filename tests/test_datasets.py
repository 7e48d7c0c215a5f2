"""Dataset readers on tiny fixture folders written in each dataset's official layout, and the joint transforms."""
import os
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from graphseg.data import (ADE20K, DATASETS, CamVid, Cityscapes, Compose, DeepGlobeRoads, Normalize, PascalContext,
                           PhotometricJitter, RandomCrop, RandomHorizontalFlip, RandomScale, SaliencyFolder,
                           VOCSegmentation, build_dataset, build_transforms)


def _img(path, h=6, w=8, ext_mode='RGB'):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    arr = (np.random.default_rng(len(path)).random((h, w, 3)) * 255).astype(np.uint8)
    Image.fromarray(arr, ext_mode).save(path)


def _label(path, arr, mode='L'):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    im = Image.fromarray(np.asarray(arr, dtype=np.uint8), 'L')
    if mode == 'P':
        im = im.convert('P')
        im.putpalette(list(np.random.default_rng(0).integers(0, 255, 768, dtype=np.uint8)))
        im.putdata(np.asarray(arr, dtype=np.uint8).flatten().tolist())
    im.save(path)


def _check_sample(ds, i, expected):
    image, target = ds[i]
    assert image.dtype == torch.float32 and image.shape == (3,) + expected.shape
    assert 0 <= float(image.min()) and float(image.max()) <= 1
    assert target.dtype == torch.long and torch.equal(target, torch.as_tensor(expected, dtype=torch.long))


def test_cityscapes(tmp_path):
    ids = np.array([[7, 8, 26, 0, 33, 9, 24, 23]] * 6)  # road, sidewalk, car, unlabeled, bicycle, parking, person, sky
    want = np.array([[0, 1, 13, 255, 18, 255, 11, 10]] * 6)  # train ids typed from the Cityscapes paper's table
    for split, city in (('train', 'aachen'), ('val', 'frankfurt')):
        stem = f'{city}_000000_000019'
        _img(str(tmp_path / 'leftImg8bit' / split / city / f'{stem}_leftImg8bit.png'))
        _label(str(tmp_path / 'gtFine' / split / city / f'{stem}_gtFine_labelIds.png'), ids)
    ds = Cityscapes(str(tmp_path), 'train')
    assert len(ds) == 1 and ds.num_classes == 19 and ds.classes[0] == 'road' and ds.classes[18] == 'bicycle'
    _check_sample(ds, 0, want)
    assert len(build_dataset('cityscapes', str(tmp_path), 'val')) == 1
    with pytest.raises(FileNotFoundError, match=r"Cityscapes test: expected the folder .*leftImg8bit/test"):
        Cityscapes(str(tmp_path), 'test')
    os.remove(tmp_path / 'gtFine' / 'val' / 'frankfurt' / 'frankfurt_000000_000019_gtFine_labelIds.png')
    with pytest.raises(FileNotFoundError, match='no label file .*frankfurt_000000_000019_gtFine_labelIds.png'):
        Cityscapes(str(tmp_path), 'val')
    with pytest.raises(ValueError, match="split must be one of"):
        Cityscapes(str(tmp_path), 'training')


def test_camvid(tmp_path):
    lab = np.array([[0, 3, 10, 11, 12, 5]] * 4)
    for s in ('train', 'val'):
        _img(str(tmp_path / s / '0001TP_006690.png'), 4, 6)
        _label(str(tmp_path / f'{s}annot' / '0001TP_006690.png'), lab)
    ds = CamVid(str(tmp_path), 'train')
    _check_sample(ds, 0, np.where(lab >= 11, 255, lab))
    assert len(CamVid(str(tmp_path), 'trainval')) == 2 and ds.num_classes == 11


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
    savemat(str(sbd / 'cls' / '2008_000002.mat'), {'GTcls': {'Segmentation': sbd_lab, 'Boundaries': np.zeros(1)}})
    (sbd / 'train.txt').write_text('2008_000002\n2007_000033\n')  # 2007_000033 is VOC val: must be left out
    (sbd / 'val.txt').write_text('2007_000039\n')
    ds = VOCSegmentation(str(tmp_path), 'train')
    assert len(ds) == 2
    _check_sample(ds, 0, lab)  # palette indices, 255 = void
    aug = VOCSegmentation(str(tmp_path), 'train_aug')
    names = [os.path.basename(p[0]) for p in aug.pairs]
    assert names == ['2007_000032.jpg', '2007_000039.jpg', '2008_000002.jpg']
    _check_sample(aug, 2, sbd_lab)  # label from SBD's cls/*.mat
    shutil.rmtree(tmp_path / 'benchmark_RELEASE')
    with pytest.raises(FileNotFoundError, match=r'train_aug \(SBD\): expected the folder .*benchmark_RELEASE'):
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
    savemat(str(tmp_path / 'trainval' / '2008_000002.mat'), {'LabelMap': np.array([[0, 1, 2, 60, 65]] * 2)})
    ds = PascalContext(str(tmp_path), 'train')
    assert ds.num_classes == 59 and ds.classes[0] == 'c2' and ds.classes[58] == 'c60'
    _check_sample(ds, 0, np.array([[255, 255, 0, 58, 255]] * 2))


def test_ade20k(tmp_path):
    base = tmp_path / 'ADEChallengeData2016'
    lab = np.array([[0, 1, 150, 37]] * 3)
    _img(str(base / 'images' / 'validation' / 'ADE_val_00000001.jpg'), 3, 4)
    _label(str(base / 'annotations' / 'validation' / 'ADE_val_00000001.png'), lab)
    ds = ADE20K(str(tmp_path), 'val')
    _check_sample(ds, 0, np.array([[255, 0, 149, 36]] * 3))
    assert len(ADE20K(str(base), 'val')) == 1  # root may be the ADEChallengeData2016 folder itself


def test_deepglobe_roads(tmp_path):
    for i in ('100034', '100081'):
        _img(str(tmp_path / 'train' / f'{i}_sat.jpg'), 4, 4)
        mask = np.zeros((4, 4, 3), np.uint8)
        mask[1] = 255
        Image.fromarray(mask).save(tmp_path / 'train' / f'{i}_mask.png')
    _img(str(tmp_path / 'valid' / '100099_sat.jpg'), 4, 4)
    want = np.zeros((4, 4), np.int64)
    want[1] = 1
    ds = DeepGlobeRoads(str(tmp_path), 'train')
    assert len(ds) == 2 and ds.task == 'road'
    _check_sample(ds, 0, want)
    (tmp_path / 'ids.txt').write_text('100081\n')
    assert len(DeepGlobeRoads(str(tmp_path), 'train', ids_file=str(tmp_path / 'ids.txt'))) == 1
    _check_sample(DeepGlobeRoads(str(tmp_path), 'valid'), 0, np.full((4, 4), 255))  # no masks in the release


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
    with pytest.raises(FileNotFoundError, match="no image folder found for split 'train'; tried .*DUTS-TR"):
        SaliencyFolder(str(tmp_path), 'train')


def test_registry_errors(tmp_path):
    assert set(DATASETS) >= {'digits', 'cityscapes', 'camvid', 'voc', 'pascal_context', 'ade20k', 'deepglobe_roads',
                             'saliency'}
    with pytest.raises(ValueError, match="dataset 'cityscapes' needs data.root"):
        build_dataset('cityscapes', None, 'train')
    with pytest.raises(ValueError, match="dataset 'camvid' takes no argument 'sizee'"):
        build_dataset('camvid', str(tmp_path), 'train', sizee=3)
    assert len(build_dataset('digits', None, 'val', num_samples=3)) == 3


# ------------------------------------------------------------------------------------------------ transforms
def _pair(h=20, w=30):
    g = torch.Generator().manual_seed(1)
    return torch.rand(3, h, w, generator=g), torch.randint(0, 5, (h, w), generator=g)


def test_transforms_deterministic_under_a_seed():
    t = build_transforms(True, crop_size=(16, 16), scale_range=(0.5, 2.0), flip=True, jitter=0.3,
                         normalize='imagenet')
    image, target = _pair()
    a = t(image, target, torch.Generator().manual_seed(7))
    b = t(image, target, torch.Generator().manual_seed(7))
    c = t(image, target, torch.Generator().manual_seed(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    assert a[0].shape == (3, 16, 16) and a[1].shape == (16, 16)
    assert 'RandomScale' in repr(t) and build_transforms(False) is None


def test_crop_pads_with_ignore_and_scale_keeps_labels():
    image, target = _pair(10, 12)
    im, tg = RandomCrop((16, 20), ignore_index=255)(image, target, torch.Generator().manual_seed(0))
    assert im.shape == (3, 16, 20) and torch.equal(tg[:10, :12], target)
    assert bool((tg[10:] == 255).all()) and bool((im[:, 10:] == 0).all())
    im, tg = RandomScale((2.0, 2.0))(image, target)
    assert tg.shape == (20, 24) and set(tg.unique().tolist()) <= set(target.unique().tolist())
    assert torch.equal(tg[::2, ::2], target)  # nearest: no new label values, no blending


def test_flip_jitter_normalize():
    image, target = _pair()
    im, tg = RandomHorizontalFlip(p=1.0)(image, target)
    assert torch.equal(im, image.flip(-1)) and torch.equal(tg, target.flip(-1))
    im, tg = PhotometricJitter(0.4)(image, target, torch.Generator().manual_seed(0))
    assert torch.equal(tg, target) and 0 <= float(im.min()) and float(im.max()) <= 1 and not torch.equal(im, image)
    im, _ = Normalize.imagenet()(torch.full((3, 1, 1), 0.485), target[:1, :1])
    assert abs(float(im[0])) < 1e-6
    with pytest.raises(ValueError, match='target must have the image size'):
        Compose([])(image, target[:5])
    with pytest.raises(ValueError, match=r'size must be \(h, w\)'):
        RandomCrop((0, 4))
