"""Files a run folder can trust: writes that are atomic and stay inside their folder, loading that
never runs code, checksums, and one writer per run folder.

The rules, after SQLite (a write is complete or absent), pip and safetensors (loading data runs no
code) and git (what graphseg did not write is not clobbered):

* :func:`atomic_write` writes to a temporary file in the target's own folder, ``fsync`` s it and
  renames it over the target (``os.replace``, atomic on POSIX and Windows): a kill or a full disk
  leaves the previous file or none, never a truncated one. A target that is a symbolic link is
  replaced by the new file, never followed; with ``root=`` the target must resolve inside that
  folder.
* :func:`load_torch` reads ``.pt`` files with ``torch.load(weights_only=True)``: tensors, numbers,
  strings and containers of them. A file that needs the unpickler for anything else is refused in
  one line (``UnsafeFileError``); ``allow_unsafe=True`` is the documented opt-in for one's own old
  files.
* :func:`write_checksum` / :func:`verify_checksum` keep a SHA-256 beside a file (``NAME.sha256``); a
  file whose bytes changed since is refused by name (``CorruptFileError``).
* :class:`RunFolderLock` lets one command at a time write into a run folder (``flock`` on
  ``.graphseg.lock``; a second command fails at once naming the holder's pid) and removes the
  temporary files a killed run left behind.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import pickle
import re
import tempfile
from typing import Any, Callable, Iterator, Optional, Union

import torch

PathLike = Union[str, os.PathLike]

#: prefix and suffix of the temporary files of :func:`atomic_write` (``.NAME.<random>.tmp``)
TEMP_SUFFIX = '.tmp'
LOCK_NAME = '.graphseg.lock'


class UnsafeFileError(ValueError):
    """A file whose loading would run code (a pickle of Python objects beyond tensors and plain
    data)."""


class CorruptFileError(ValueError):
    """A file whose bytes no longer match the checksum written beside it."""


class RunFolderBusyError(RuntimeError):
    """Another process holds the run folder's lock."""


# ---------------------------------------------------------------------------------------------
# writing

def _confined(path: PathLike, root: Optional[PathLike]) -> str:
    """``path`` as an absolute path, checked to lie inside ``root`` (symbolic links resolved)."""
    path = os.path.abspath(os.fspath(path))
    if root is not None:
        real_root = os.path.realpath(os.fspath(root))
        real_parent = os.path.realpath(os.path.dirname(path))
        if os.path.commonpath([real_root, real_parent]) != real_root:
            raise PermissionError(f"{path!r} lies outside the run folder {os.fspath(root)!r} "
                                  "(through a "
                                  "symbolic link or '..'); graphseg writes only inside the run "
                                  "folder")
    return path


def atomic_write(path: PathLike, write: Callable[[io.BufferedWriter], Any], *,
                 root: Optional[PathLike] = None) -> str:
    """Write ``path`` atomically: ``write(f)`` fills a temporary file in the same folder, which is
    flushed, ``fsync`` ed and renamed over ``path``. The folder must exist. Returns the absolute
    path.

    Raises ``PermissionError`` if ``path`` resolves outside ``root``; a failed write (``OSError``,
    e.g. a full disk) leaves ``path`` as it was and no temporary file.
    """
    path = _confined(path, root)
    folder, name = os.path.split(path)
    if os.path.isdir(path) and not os.path.islink(path):
        raise IsADirectoryError(f"{path!r} is a folder, expected a file name")
    fd, tmp = tempfile.mkstemp(prefix=f'.{name}.', suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # replaces a symbolic link itself, never its target
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_folder(folder)
    return path


def _fsync_folder(folder: str) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_text(path: PathLike, text: str, *, root: Optional[PathLike] = None) -> str:
    """:func:`atomic_write` of UTF-8 text."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return atomic_write(path, lambda f: f.write(text.encode('utf-8')), root=root)


class _HashingWriter:
    """A write-only file object that feeds every byte to a SHA-256 on its way to ``f`` (one
    pass)."""

    def __init__(self, f) -> None:
        self.f, self.sha = f, hashlib.sha256()

    def write(self, data) -> int:
        self.sha.update(data)
        return self.f.write(data)

    def flush(self) -> None:
        self.f.flush()


def atomic_torch_save(obj: Any, path: PathLike, *, root: Optional[PathLike] = None,
                      checksum: bool = True) -> str:
    """``torch.save(obj)`` through :func:`atomic_write`; with ``checksum`` the SHA-256 of the bytes,
    hashed while they are written, goes beside the file (``NAME.sha256``). Returns the hex digest
    (or ``''``)."""
    writer = None

    def save(f) -> None:
        nonlocal writer
        writer = _HashingWriter(f) if checksum else f
        torch.save(obj, writer)

    path = atomic_write(path, save, root=root)
    if not checksum:
        return ''
    digest = writer.sha.hexdigest()
    atomic_write_text(checksum_path(path), f'{digest}  {os.path.basename(path)}\n', root=root)
    return digest


def save_figure(fig, path: PathLike, *, root: Optional[PathLike] = None, **kwargs: Any) -> str:
    """``fig.savefig`` (matplotlib) through :func:`atomic_write`; the format follows the file
    name."""
    fmt = os.path.splitext(os.fspath(path))[1].lstrip('.') or 'png'
    return atomic_write(path, lambda f: fig.savefig(f, format=fmt, **kwargs), root=root)


def remove_stale_temp_files(folder: PathLike) -> int:
    """Remove the temporary files of :func:`atomic_write` that a killed run left in ``folder`` (and
    its sub-folders); call it only while holding the folder's :class:`RunFolderLock`. Returns the
    count."""
    removed = 0
    for dirpath, _, names in os.walk(os.fspath(folder)):
        for n in names:
            if n.startswith('.') and n.endswith(TEMP_SUFFIX):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(dirpath, n))
                    removed += 1
    return removed


# ---------------------------------------------------------------------------------------------
# checksums

def sha256_file(path: PathLike, chunk: int = 1 << 20) -> str:
    """The SHA-256 hex digest of a file."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            h.update(block)
    return h.hexdigest()


def checksum_path(path: PathLike) -> str:
    return os.fspath(path) + '.sha256'


def write_checksum(path: PathLike, *, root: Optional[PathLike] = None) -> str:
    """Write ``NAME.sha256`` beside ``path`` (``sha256sum`` format); returns the digest."""
    digest = sha256_file(path)
    atomic_write_text(checksum_path(path), f'{digest}  {os.path.basename(os.fspath(path))}\n',
                      root=root)
    return digest


def verify_checksum(path: PathLike, what: str = 'file') -> Optional[str]:
    """Check ``path`` against ``NAME.sha256`` when that exists: ``CorruptFileError`` naming the file
    if the bytes changed; returns the digest (``None`` when there is no checksum file)."""
    side = checksum_path(path)
    if not os.path.isfile(side):
        return None
    with open(side, encoding='utf-8', errors='replace') as f:
        expected = f.read().split()[:1]
    digest = sha256_file(path)
    if not expected or expected[0].lower() != digest:
        raise CorruptFileError(f"{what} {os.fspath(path)!r} is corrupted: its SHA-256 differs "
                               "from the one "
                               f"written beside it ({os.path.basename(side)}); restore it or "
                               "delete both")
    return digest


# ---------------------------------------------------------------------------------------------
# loading

def load_torch(path: PathLike, what: str = 'file', *,
               map_location: Union[str, torch.device] = 'cpu', allow_unsafe: bool = False,
               verify: bool = True) -> Any:
    """``torch.load(path, weights_only=True)`` with one-line errors naming ``what`` and the path.

    Checks the checksum written beside the file first (``verify``). A file that needs the unsafe
    unpickler (it holds arbitrary Python objects, possibly a payload that runs code) raises
    :class:`UnsafeFileError`; ``allow_unsafe=True`` loads it with ``weights_only=False`` (only for
    files you made yourself).
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{what} {path!r} is a folder, expected a file")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} {path!r} does not exist")
    if not os.path.isfile(path):
        raise ValueError(f"{what} {path!r} is not a regular file")
    if verify:
        verify_checksum(path, what)
    try:
        return torch.load(path, map_location=map_location, weights_only=not allow_unsafe)
    except pickle.UnpicklingError as e:
        text = str(e)
        if 'GLOBAL' in text or 'global' in text.lower() and 'allowed' in text.lower():
            found = re.search(r'GLOBAL ([\w.]+)', text)
            what_global = f' ({found.group(1)})' if found else ''
            raise UnsafeFileError(
                f"{what} {path!r} holds Python objects{what_global} that only the unsafe "
                "unpickler can "
                f"read (it could run code), so graphseg refuses it; load only files you trust, and "
                f"re-save your own as a state_dict of tensors") from None
        detail = next((line.strip() for line in text.splitlines() if 'Unsupported' in line),
                      text.strip().splitlines()[0] if text.strip() else '')
        raise ValueError(f"{what} {path!r} is not a readable torch checkpoint (UnpicklingError"
                         f"{f': {detail[:120]}' if detail else ''})") from None
    except (EOFError, RuntimeError, OSError, ValueError, AttributeError, ImportError,
            IndexError) as e:
        if isinstance(e, OSError) and e.errno in (errno.EACCES, errno.EPERM):
            raise
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ValueError(f"{what} {path!r} is not a readable torch checkpoint ({type(e).__name__}: "
                         f"{first[:200]})") from None


# ---------------------------------------------------------------------------------------------
# locking

class RunFolderLock:
    """Exclusive use of a run folder by one process (a context manager).

    Takes an ``flock`` on ``FOLDER/.graphseg.lock`` (released by the kernel when the process dies,
    so a killed run never leaves a stale lock) and writes the holder's pid and command into it; a
    second process fails at once with :class:`RunFolderBusyError` naming that pid. Once held, the
    temporary files of a killed earlier run are removed. Where ``fcntl`` does not exist (Windows)
    the lock file is created exclusively instead, and a stale one (its pid gone) is taken over.
    """

    def __init__(self, folder: PathLike, command: str = 'graphseg') -> None:
        self.folder, self.command = os.fspath(folder), command
        self.path = os.path.join(self.folder, LOCK_NAME)
        self._fd: Optional[int] = None

    def acquire(self) -> 'RunFolderLock':
        os.makedirs(self.folder, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._lock(fd)
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f'{os.getpid()} {self.command}\n'.encode())
        self._fd = fd
        remove_stale_temp_files(self.folder)
        return self

    def _lock(self, fd: int) -> None:
        try:
            import fcntl  # POSIX only: Windows falls back to the pid check below
        except ImportError:  # pragma: no cover - Windows
            return self._check_pid(fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RunFolderBusyError(self._busy_message(fd)) from None

    def _check_pid(self, fd: int) -> None:  # pragma: no cover - Windows
        holder = self._holder(fd)
        if holder and holder[0] != os.getpid():
            try:
                os.kill(holder[0], 0)
            except OSError:
                return  # a stale lock: its process is gone
            raise RunFolderBusyError(self._busy_message(fd))

    def _holder(self, fd: int):
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode(errors='replace').split()
        return (int(text[0]), ' '.join(text[1:])) if text and text[0].isdigit() else None

    def _busy_message(self, fd: int) -> str:
        holder = self._holder(fd)
        who = f"pid {holder[0]} ({holder[1]})" if holder else 'another process'
        return (f"run folder {self.folder!r} is in use by {who}; wait for it to finish or choose "
                f"another --out")

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing releases the flock
            self._fd = None

    def __enter__(self) -> 'RunFolderLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


@contextlib.contextmanager
def locked_run_folder(folder: PathLike, command: str = 'graphseg') -> Iterator[RunFolderLock]:
    """``with locked_run_folder(out, 'train'): ...`` -- :class:`RunFolderLock` as a context
    manager."""
    lock = RunFolderLock(folder, command).acquire()
    try:
        yield lock
    finally:
        lock.release()


__all__ = ['atomic_write', 'atomic_write_text', 'atomic_torch_save', 'save_figure',
           'remove_stale_temp_files', 'sha256_file', 'write_checksum', 'verify_checksum',
           'checksum_path', 'load_torch', 'RunFolderLock', 'locked_run_folder', 'UnsafeFileError',
           'CorruptFileError', 'RunFolderBusyError', 'TEMP_SUFFIX', 'LOCK_NAME']
