"""Finding a dataset's files in its official folder tree, or refusing the tree by file name.

A tree copied between machines differs from the released one in ways that used to drop or
duplicate samples silently. Here every difference is either read correctly or refused, naming the
file:

* **symbolic links** are followed (a city folder linked from another disk is read); a broken link,
  a link cycle, or two links to one folder or file (a sample read twice) are refused;
* **Unicode normalisation**: names are compared in NFC, so a name written in NFD (macOS) finds its
  partner or split-list id; two names that differ only by normalisation are refused as ambiguous;
* **letter case**: suffixes and partners are matched ignoring case (``a.PNG`` is an image of a
  ``'.png'`` layout), as on case-insensitive disks; names that differ only by case are refused;
* **partners**: an image without its label (in a labelled split), a label without its image, and a
  split where only some images have labels are refused; so is an image file with another
  extension than the layout's (``.jpeg`` where ``.jpg`` is expected);
* **split lists**: ids without files, duplicate ids, ids that are paths, empty lists and lists that
  are not UTF-8 are refused (a UTF-8 byte-order mark is accepted);
* **files**: empty files, FIFOs and other non-regular files are refused; empty splits are refused.
"""
from __future__ import annotations

import os
import unicodedata
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

#: extensions of the image files a folder may hold (others, e.g. ``.txt``, ``.json``, are ignored)
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.gif', '.webp', '.ppm',
                    '.pgm')


def name_key(name: str) -> str:
    """The key two file names are compared by: NFC-normalised, case-folded, ``/`` separators."""
    return unicodedata.normalize('NFC', name.replace(os.sep, '/')).casefold()


def require_dir(path: str, what: str) -> str:
    """``path`` if it is a folder, else ``FileNotFoundError`` naming it and what was expected
    there."""
    if not os.path.isdir(path):
        if os.path.exists(path):
            raise NotADirectoryError(f"{what}: expected the folder {path!r}, which is a file")
        link = ' (a broken symbolic link)' if os.path.islink(path) else ''
        raise FileNotFoundError(f"{what}: expected the folder {path!r}, which does not exist"
                                f"{link}")
    return path


def require_file(path: str, what: str) -> str:
    """``path`` if it is a non-empty regular file, else an error naming it."""
    if not os.path.isfile(path):
        if os.path.isdir(path):
            raise IsADirectoryError(f"{what}: expected the file {path!r}, which is a folder")
        if os.path.exists(path):
            raise ValueError(f"{what}: {path!r} is not a regular file (a FIFO, socket or device)")
        link = ' (a broken symbolic link)' if os.path.islink(path) else ''
        raise FileNotFoundError(f"{what}: expected the file {path!r}, which does not exist{link}")
    if os.path.getsize(path) == 0:
        raise ValueError(f"{what}: the file {path!r} is empty")
    return path


def read_lines(path: str, what: str, ids: bool = True) -> List[str]:
    """The ids of a split list: non-empty stripped lines, NFC-normalised.

    Refuses a list that is not UTF-8 (a byte-order mark is fine) or that holds no line; with
    ``ids`` (a split list, not a table of names) also one that repeats an id or whose ids are
    paths (``/``, ``\\``, ``..``)."""
    require_file(path, what)
    try:
        with open(path, encoding='utf-8-sig') as f:
            lines = [unicodedata.normalize('NFC', line.strip()) for line in f]
    except UnicodeDecodeError as e:
        raise ValueError(f"{what} {path!r} is not UTF-8 text (byte {e.start}: "
                         f"{e.object[e.start:e.start + 4]!r})") from None
    out: List[str] = []
    seen: Dict[str, int] = {}
    for n, line in enumerate(lines, 1):
        if not line:
            continue
        if not ids:
            out.append(line)
            continue
        if '/' in line or '\\' in line or line in ('.', '..'):
            raise ValueError(f"{what} {path!r} line {n}: expected an id, got the path {line!r:.80}")
        if line in seen:
            raise ValueError(f"{what} {path!r} lists {line!r} twice (lines {seen[line]} and {n})")
        seen[line] = n
        out.append(line)
    if not out:
        raise ValueError(f"{what} {path!r} lists nothing (the file holds only blank lines)")
    return out


def walk_files(folder: str, what: str) -> Iterator[Tuple[str, os.DirEntry]]:
    """``(path relative to folder, entry)`` of every entry that is not a folder, recursively,
    following symbolic links to folders. A link cycle or two links to the same folder are refused
    (they would read files twice or forever)."""
    seen = {os.path.realpath(folder): folder}
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                entries = sorted(it, key=lambda e: e.name)
        except PermissionError:
            raise PermissionError(f"{what}: the folder {current!r} cannot be listed: permission "
                                  "denied") from None
        for entry in entries:
            if entry.is_dir():  # follows symbolic links
                real = os.path.realpath(entry.path)
                if real in seen:
                    raise ValueError(
                        f"{what}: the folder {entry.path!r} is the folder {seen[real]!r} again "
                        "(a symbolic link); each file must appear once in a split")
                seen[real] = entry.path
                stack.append(entry.path)
            else:
                yield os.path.relpath(entry.path, folder), entry


def _check_entry(entry: os.DirEntry, what: str) -> Tuple[int, int]:
    """The identity ``(st_dev, st_ino)`` of a file of the layout; refuses broken links, non-regular
    and empty files."""
    if not entry.is_file():
        if entry.is_symlink() and not os.path.exists(entry.path):
            raise FileNotFoundError(f"{what}: {entry.path!r} is a broken symbolic link")
        raise ValueError(f"{what}: {entry.path!r} is not a regular file (a FIFO, socket or "
                         "device)")
    st = entry.stat()
    if st.st_size == 0:
        raise ValueError(f"{what}: the file {entry.path!r} is empty")
    return st.st_dev, st.st_ino


def scan_files(folder: str, suffix: str, what: str, *,
               other_suffixes: Optional[Sequence[str]] = None) -> Dict[str, str]:
    """``{key: path}`` of the files under ``folder`` whose name ends with ``suffix`` (ignoring
    case), ``key`` = :func:`name_key` of the relative path without the suffix.

    Refused by name: broken links, empty and non-regular files, the same file twice (links), two
    names with the same key, and -- when ``other_suffixes`` is not ``None`` -- image files that end
    neither with ``suffix`` nor with one of ``other_suffixes``.
    """
    require_dir(folder, what)
    want = suffix.casefold()
    others = tuple(s.casefold() for s in other_suffixes or ())
    files: Dict[str, str] = {}
    identity: Dict[Tuple[int, int], str] = {}
    for rel, entry in walk_files(folder, what):
        low = entry.name.casefold()
        if not low.endswith(want):
            if (other_suffixes is not None and low.endswith(IMAGE_EXTENSIONS)
                    and not low.endswith(others)):
                raise ValueError(f"{what}: the image file {entry.path!r} does not end with "
                                 f"{suffix!r}, the layout's name for these files")
            continue
        ident = _check_entry(entry, what)
        if ident in identity:
            raise ValueError(f"{what}: {entry.path!r} and {identity[ident]!r} are the same file "
                             "(a link); each file must appear once in a split")
        identity[ident] = entry.path
        key = name_key(rel[:len(rel) - len(suffix)])
        if key in files:
            raise ValueError(f"{what}: {files[key]!r} and {entry.path!r} differ only by letter "
                             "case or Unicode normalisation; keep one of them")
        files[key] = entry.path
    return files


class FolderIndex:
    """Files looked up by name in folders, exactly or else by :func:`name_key` (NFC, case), with
    each folder listed once."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._index: Dict[str, Dict[str, List[str]]] = {}

    def find(self, folder: str, name: str) -> Optional[str]:
        """The path of ``folder/name`` (or of the one file whose name matches it up to case and
        normalisation); ``None`` if there is none; an error if several match."""
        exact = os.path.join(folder, name)
        if os.path.isfile(exact):
            return exact
        if folder not in self._index:
            index: Dict[str, List[str]] = {}
            if os.path.isdir(folder):
                for n in os.listdir(folder):
                    index.setdefault(name_key(n), []).append(n)
            self._index[folder] = index
        found = self._index[folder].get(name_key(name), [])
        if len(found) > 1:
            raise ValueError(f"{self.what}: {sorted(found)} in {folder!r} differ only by letter "
                             "case or Unicode normalisation; keep one of them")
        return os.path.join(folder, found[0]) if found else None

    def require(self, folder: str, name: str) -> str:
        """:meth:`find`, refused by name (:func:`require_file`) when the file is missing or
        empty."""
        return require_file(self.find(folder, name) or os.path.join(folder, name), self.what)


def _more(items: Sequence[object]) -> str:
    return f' (and {len(items) - 1} more)' if len(items) > 1 else ''


def pair_by_stem(image_dir: str, label_dir: str, image_suffix: str, label_suffix: str,
                 what: str, require_labels: bool = True) -> List[Tuple[str, Optional[str]]]:
    """Pair ``image_dir/<stem><image_suffix>`` with ``label_dir/<stem><label_suffix>``
    (recursive, sorted by image path), see the module docstring for what is refused.

    ``require_labels=False`` (an unlabelled split such as Cityscapes' test) gives label ``None``
    when the split has no label files; a split where only some images have one is refused.
    """
    shared = os.path.realpath(image_dir) == os.path.realpath(label_dir)
    images = scan_files(image_dir, image_suffix, what,
                        other_suffixes=(label_suffix,) if shared else ())
    if not images:
        raise FileNotFoundError(f"{what}: no image files '*{image_suffix}' under {image_dir!r}")
    if require_labels or os.path.isdir(label_dir):
        labels = scan_files(label_dir, label_suffix, what)
    else:
        labels = {}
    missing = sorted(images[k] for k in images if k not in labels)
    orphans = sorted(labels[k] for k in labels if k not in images)
    if orphans:
        raise FileNotFoundError(f"{what}: no image '*{image_suffix}' under {image_dir!r} for the "
                                f"label file {orphans[0]!r}{_more(orphans)}")
    if missing and (require_labels or labels):
        stem = os.path.relpath(missing[0], image_dir)[:-len(image_suffix)]
        expected = os.path.join(label_dir, stem + label_suffix)
        raise FileNotFoundError(f"{what}: no label file {expected!r} for image {missing[0]!r}"
                                f"{_more(missing)}")
    return [(path, labels.get(key)) for path, key in sorted((p, k) for k, p in images.items())]


__all__ = ['IMAGE_EXTENSIONS', 'name_key', 'require_dir', 'require_file', 'read_lines',
           'walk_files', 'scan_files', 'FolderIndex', 'pair_by_stem']
