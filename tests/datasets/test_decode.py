"""Image and label files decoded by their mode, or refused in one line naming the file
(graphseg/data/decode.py, and load_image of graphseg/data/images.py)."""
import os

import numpy as np
import pytest
import torch
from PIL import Image

from graphseg.data import load_image, read_image, read_label, read_mask
from graphseg.data.decode import decode_colors
from tests.datasets.files import rgb_image, save, truncate

RAMP16 = (np.arange(4 * 6).reshape(4, 6) * 2600).astype(np.uint16)  # 0 .. 59800


# ----------------------------------------------------------------------------- images

def test_8bit_modes(tmp_path):
    arr = np.random.default_rng(0).integers(0, 256, (4, 6, 3))
    rgb = read_image(save(tmp_path / 'a.png', arr, 'RGB'))
    assert rgb.dtype == torch.float32 and rgb.shape == (3, 4, 6)
    assert torch.allclose(rgb, torch.from_numpy(arr).permute(2, 0, 1).float() / 255)
    grey = read_image(save(tmp_path / 'g.png', arr[..., 0], 'L'))
    assert torch.allclose(grey, torch.from_numpy(arr[..., 0]).float().expand(3, 4, 6) / 255)
    # alpha dropped, colour kept
    rgba = np.concatenate([arr, np.full((4, 6, 1), 7)], -1)
    assert torch.allclose(read_image(save(tmp_path / 'a4.png', rgba, 'RGBA')), rgb)
    la = np.stack([arr[..., 0], np.full((4, 6), 7)], -1)
    assert torch.allclose(read_image(save(tmp_path / 'la.png', la, 'LA')), grey)
    # a palette image gives its colours, not its indices
    idx = np.array([[0, 1, 2, 3, 4, 5]] * 4)
    pal = read_image(save(tmp_path / 'p.png', idx, 'P'))
    assert torch.allclose(pal[:, 0, 2] * 255, torch.tensor([2., 253., 14.]))
    # 1-bit: {0, 1}
    bit = read_image(save(tmp_path / 'b.png', idx % 2, '1'))
    assert torch.equal(bit[0], torch.from_numpy(idx % 2).float())


def test_16bit_images_are_scaled_by_their_range(tmp_path):
    """The 16-bit ramp reads as its fraction of 65535, not clipped to white (before: 97 % of the
    pixels were 1.0)."""
    path = save(tmp_path / 'g16.png', RAMP16, 'I;16')
    assert Image.open(path).mode == 'I;16'
    want = torch.from_numpy(RAMP16.astype(np.float32) / 65535)
    img = read_image(path)
    assert img.shape == (3, 4, 6) and torch.allclose(img[1], want)
    assert float((img == 1).float().mean()) == 0
    one = load_image(path)
    assert one.shape == (1, 4, 6) and torch.allclose(one[0], want)


def test_images_without_a_fixed_range(tmp_path):
    with pytest.raises(ValueError, match=r"image '.*i32.tif' is a 32-bit integer image with "
                                         r"values in \[7e\+06, 7e\+06\]: it has no fixed range"):
        read_image(save(tmp_path / 'i32.tif', np.full((4, 6), 7_000_000), 'I'))
    with pytest.raises(ValueError, match=r"floating-point image with values in \[3, 3\]"):
        read_image(save(tmp_path / 'f.tif', np.full((4, 6), 3.0), 'F'))
    ok = read_image(save(tmp_path / 'f01.tif', np.full((4, 6), 0.25), 'F'))
    assert torch.allclose(ok, torch.full((3, 4, 6), 0.25))


def test_cmyk_jpeg_converted_to_rgb(tmp_path):
    path = str(tmp_path / 'cmyk.jpg')
    Image.new('CMYK', (6, 4), (0, 255, 255, 0)).save(path, quality=100)  # pure red in CMYK
    img = read_image(path)
    assert float(img[0].mean()) > 0.9 and float(img[1:].mean()) < 0.1
    assert load_image(path).shape == (3, 4, 6)


@pytest.mark.parametrize('ext', ['png', 'jpg'])
def test_truncated_files_are_refused_by_name(tmp_path, ext):
    rng = np.random.default_rng(0)
    path = save(tmp_path / f'big.{ext}', rng.integers(0, 256, (64, 64, 3)), 'RGB')
    truncate(path, 0.5)
    with pytest.raises(ValueError, match=rf"image '.*big.{ext}' is truncated or corrupt \("):
        read_image(path)
    with pytest.raises(ValueError, match=rf"source '.*big.{ext}' is truncated or corrupt"):
        load_image(path)
    with pytest.raises(ValueError, match=rf"label '.*big.{ext}' is truncated or corrupt"):
        read_label(path)


def test_truncated_refused_even_if_pillow_is_lenient(tmp_path, monkeypatch):
    from PIL import ImageFile
    monkeypatch.setattr(ImageFile, 'LOAD_TRUNCATED_IMAGES', True)
    path = truncate(rgb_image(tmp_path / 't.jpg', 64, 64), 0.5)
    with pytest.raises(ValueError, match='is truncated or corrupt'):
        read_image(path)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the setting is restored


@pytest.mark.parametrize('limit', [30, 20])  # 48 pixels: Pillow warns above 30, fails above 2 x 20
def test_decompression_bombs_are_refused_by_name(tmp_path, monkeypatch, limit):
    path = rgb_image(tmp_path / 'bomb.png', 6, 8)
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', limit)
    for read, what in ((read_image, 'image'), (read_label, 'label'), (read_mask, 'mask'),
                       (load_image, 'source')):
        with pytest.raises(ValueError, match=rf"{what} '.*bomb.png' is refused as a possible "
                                             r"decompression bomb \(.*pixels"):
            read(path)


def test_unreadable_files_are_refused_by_name(tmp_path):
    (tmp_path / 'text.png').write_text('not an image')
    with pytest.raises(ValueError, match=r"image '.*text.png' is not a readable image \(Pillow"):
        read_image(str(tmp_path / 'text.png'))
    with pytest.raises(FileNotFoundError, match=r"image '.*nothere.png' does not exist$"):
        read_image(str(tmp_path / 'nothere.png'))
    os.symlink(tmp_path / 'gone.png', tmp_path / 'link.png')
    with pytest.raises(FileNotFoundError, match=r"link.png' does not exist \(a broken symbolic"):
        read_label(str(tmp_path / 'link.png'))
    os.mkdir(tmp_path / 'dir.png')
    with pytest.raises(IsADirectoryError, match=r"mask '.*dir.png' is a folder"):
        read_mask(str(tmp_path / 'dir.png'))
    os.mkfifo(tmp_path / 'fifo.png')
    with pytest.raises(ValueError, match=r"image '.*fifo.png' is not a regular file"):
        read_image(str(tmp_path / 'fifo.png'))  # not blocked reading a FIFO
    with pytest.raises(ValueError, match=r"source '.*fifo.png' is not a regular file"):
        load_image(str(tmp_path / 'fifo.png'))


# ----------------------------------------------------------------------------- label ids

def test_label_ids_by_mode(tmp_path):
    ids = np.array([[0, 1, 20, 255, 15, 7]] * 4)
    assert np.array_equal(read_label(save(tmp_path / 'l.png', ids, 'L')), ids)
    assert np.array_equal(read_label(save(tmp_path / 'p.png', ids, 'P')), ids)  # indices
    big = ids * 100
    assert np.array_equal(read_label(save(tmp_path / 'i16.png', big, 'I;16')), big)  # no scaling
    assert np.array_equal(read_label(save(tmp_path / 'b.png', ids % 2, '1')), ids % 2)
    la = np.stack([ids, np.full_like(ids, 255)], -1)
    assert np.array_equal(read_label(save(tmp_path / 'la.png', la, 'LA')), ids)
    la[0, 0, 1] = 0
    with pytest.raises(ValueError, match=r"label '.*la2.png' has transparent pixels \(1 with"):
        read_label(save(tmp_path / 'la2.png', la, 'LA'))
    assert read_label(str(tmp_path / 'l.png')).dtype == np.int64


def test_colour_labels_refused_without_a_colour_table(tmp_path):
    """Cityscapes' truck (0, 0, 70) became grey level 8 = sidewalk; now refused."""
    path = save(tmp_path / 'c.png', np.tile(np.array([0, 0, 70]), (4, 6, 1)), 'RGB')
    assert np.asarray(Image.open(path).convert('L'))[0, 0] == 8  # the old misreading
    with pytest.raises(ValueError, match=r"label '.*c.png' is a colour \(RGB\) image, not a label "
                                         r"file of class ids.*; use the ids$"):
        read_label(path, hint='; use the ids')
    with pytest.raises(ValueError, match=r"has the image mode 'F'"):
        read_label(save(tmp_path / 'f.tif', np.zeros((4, 6)), 'F'))


def test_colour_labels_through_a_colour_table(tmp_path):
    table = {(128, 128, 128): 0, (0, 0, 0): 11, (128, 64, 128): 3}
    arr = np.zeros((2, 3, 3), np.uint8)
    arr[0] = (128, 128, 128)
    arr[1, 1] = (128, 64, 128)
    path = save(tmp_path / 'c.png', arr, 'RGB')
    assert np.array_equal(read_label(path, table), [[0, 0, 0], [11, 3, 11]])
    rgba = save(tmp_path / 'c4.png', np.concatenate([arr, np.full((2, 3, 1), 255)], -1), 'RGBA')
    assert np.array_equal(read_label(rgba, table), [[0, 0, 0], [11, 3, 11]])
    arr[1, 2] = (128, 0, 192)
    with pytest.raises(ValueError, match=r"label '.*c2.png' holds 1 colour\(s\) outside the "
                                         r"dataset's colour table of 3 colours \(\(128, 0, 192\) "
                                         r"= LaneMkgsDriv x1\)"):
        read_label(save(tmp_path / 'c2.png', arr, 'RGB'), table,
                   color_names={(128, 0, 192): '= LaneMkgsDriv'})
    assert np.array_equal(decode_colors(arr[:1], table), [[0, 0, 0]])


# ----------------------------------------------------------------------------- binary masks

@pytest.mark.parametrize('mode, fg', [('L', 1), ('L', 255), ('1', 1), ('P', 1), ('P', 255),
                                      ('I;16', 65535), ('I;16', 1)])
def test_binary_masks_accepted(tmp_path, mode, fg):
    """0/1 masks and 1-bit PNGs were all background before (thresholded at 128)."""
    mask = np.array([[0, 1, 1, 0, 0, 1]] * 4)
    path = save(tmp_path / 'm.png', mask * fg, mode)
    assert Image.open(path).mode == mode
    assert np.array_equal(read_mask(path), mask)


def test_grey_masks_anti_aliased_edges(tmp_path):
    """DUTS' and DeepGlobe's masks hold a few grey levels at the edges: thresholded."""
    mask = np.zeros((10, 10), np.uint8)
    mask[:, 5:] = 255
    mask[0, 4], mask[1, 4] = 100, 200  # 2 % of the pixels in between
    path = save(tmp_path / 'soft.png', mask, 'L')
    want = (mask >= 128).astype(np.int64)
    assert np.array_equal(read_mask(path, 128), want)
    assert np.array_equal(read_mask(path, 201), (mask > 200).astype(np.int64))
    rgb = save(tmp_path / 'soft_rgb.png', np.repeat(mask[..., None], 3, -1), 'RGB')
    assert np.array_equal(read_mask(rgb, 128), want)  # DeepGlobe stores masks as RGB


@pytest.mark.parametrize('values, mode, match', [
    ([0, 128], 'L', r"got values \[0, 128\] \(50 % of pixels in between\)"),  # foreground = 128
    ([0, 1, 2, 3], 'L', r"got values \[0, 1, 2, 3\]"),  # a class map
    ([0, 3, 7, 15], 'P', r"got palette indices \[0, 3, 7, 15\]"),
    ([0, 100, 255, 255], 'L', r"got values \[0, 100, 255\] \(25 % of pixels in between\)"),
])
def test_other_masks_are_refused(tmp_path, values, mode, match):
    mask = np.array([values * 2] * 4)
    with pytest.raises(ValueError, match=r"mask '.*m.png' is not a binary mask: expected 0/1, "
                                         r"0/255, a 1-bit image or grey levels near black and "
                                         r"white, " + match):
        read_mask(save(tmp_path / 'm.png', mask, mode))


def test_colour_masks_are_refused(tmp_path):
    arr = np.zeros((4, 6, 3))
    arr[:, 3:] = (255, 0, 0)
    with pytest.raises(ValueError, match=r"mask '.*c.png' is a colour image with differing "
                                         r"channels, not a binary mask"):
        read_mask(save(tmp_path / 'c.png', arr, 'RGB'))
    with pytest.raises(ValueError, match=r"threshold must be an int in \[1, 255\], got 0"):
        read_mask(str(tmp_path / 'c.png'), 0)
