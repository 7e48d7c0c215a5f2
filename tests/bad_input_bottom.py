"""Bad-input rows of the bottom modules (graphseg.fileio): ``ERRORS``, ``ACCEPTED`` and
``NO_ROW``."""
import functools
import os
import tempfile

import torch

from graphseg import fileio

E, S = ValueError, TypeError


@functools.lru_cache(maxsize=None)
def folder():
    """A scratch folder with a saved tensor file and its checksum, a corrupted copy and a
    payload."""
    d = tempfile.mkdtemp(prefix='graphseg-bad-input-')
    fileio.atomic_torch_save({'w': torch.ones(2)}, os.path.join(d, 'ok.pt'))
    fileio.atomic_torch_save({'w': torch.ones(2)}, os.path.join(d, 'bad.pt'))
    with open(os.path.join(d, 'bad.pt'), 'r+b') as f:
        f.seek(40)
        byte = f.read(1)
        f.seek(40)
        f.write(bytes([byte[0] ^ 1]))
    with open(os.path.join(d, 'garbage.pt'), 'wb') as f:
        f.write(b'not a torch file')
    torch.save({'f': os.getcwd}, os.path.join(d, 'code.pt'))  # a function: needs the unpickler
    return d


def _busy():
    lock = fileio.RunFolderLock(folder(), 'test')
    with lock:
        fileio.RunFolderLock(folder(), 'second').acquire()


ERRORS = [
    ('fileio.atomic_write: outside the run folder', lambda: fileio.atomic_write(
        os.path.join(folder(), '..', 'escaped.bin'), lambda f: f.write(b'x'), root=folder()),
     PermissionError, r'lies outside the run folder'),
    ('fileio.atomic_write: missing folder', lambda: fileio.atomic_write(
        os.path.join(folder(), 'missing', 'x.bin'), lambda f: f.write(b'x')), FileNotFoundError,
     r'No such file or directory'),
    ('fileio.atomic_write_text: bytes', lambda: fileio.atomic_write_text(
        os.path.join(folder(), 'x.txt'), b'bytes'), S, r'text must be a str, got bytes'),
    ('fileio.atomic_torch_save: a folder', lambda: fileio.atomic_torch_save({}, folder()),
     IsADirectoryError, r'is a folder, expected a file name'),
    ('fileio.save_figure: outside the run folder', lambda: fileio.save_figure(
        None, os.path.join(folder(), '..', 'f.png'), root=folder()), PermissionError,
     r'lies outside the run folder'),
    ('fileio.sha256_file: missing', lambda: fileio.sha256_file(os.path.join(folder(), 'nope')),
     FileNotFoundError, r'nope'),
    ('fileio.write_checksum: missing', lambda: fileio.write_checksum(os.path.join(folder(), 'no')),
     FileNotFoundError, r'no'),
    ('fileio.verify_checksum: changed bytes', lambda: fileio.verify_checksum(
        os.path.join(folder(), 'bad.pt'), 'weights'), fileio.CorruptFileError,
     r"weights '.*bad\.pt' is corrupted: its SHA-256 differs"),
    ('fileio.load_torch: a folder', lambda: fileio.load_torch(folder(), 'checkpoint'),
     IsADirectoryError, r"checkpoint '.*' is a folder, expected a file"),
    ('fileio.load_torch: missing', lambda: fileio.load_torch(os.path.join(folder(), 'no.pt')),
     FileNotFoundError, r"file '.*no\.pt' does not exist"),
    ('fileio.load_torch: not a torch file', lambda: fileio.load_torch(
        os.path.join(folder(), 'garbage.pt'), 'weights'), E,
     r"weights '.*garbage\.pt' is not a readable torch checkpoint"),
    ('fileio.load_torch: needs the unsafe unpickler', lambda: fileio.load_torch(
        os.path.join(folder(), 'code.pt'), 'weights'), fileio.UnsafeFileError,
     r"weights '.*code\.pt' holds Python objects .* that only the unsafe unpickler can read"),
    ('fileio.load_torch: corrupted', lambda: fileio.load_torch(os.path.join(folder(), 'bad.pt')),
     fileio.CorruptFileError, r'is corrupted'),
    ('fileio.RunFolderLock: a second holder', _busy, fileio.RunFolderBusyError,
     r"run folder '.*' is in use by pid \d+ \(test\)"),
    ('fileio.locked_run_folder: a file, not a folder', lambda: fileio.locked_run_folder(
        os.path.join(folder(), 'ok.pt')).__enter__(), FileExistsError, r'ok\.pt'),
]

ACCEPTED = [
    ('fileio.remove_stale_temp_files: a folder without temporary files',
     lambda: fileio.remove_stale_temp_files(folder()), lambda n: n == 0),
    ('fileio.load_torch: the unsafe opt-in', lambda: fileio.load_torch(
        os.path.join(folder(), 'code.pt'), allow_unsafe=True), lambda d: d['f'] is os.getcwd),
]

NO_ROW = {
    'fileio.checksum_path': 'a path string: NAME.sha256',
    'fileio.UnsafeFileError': 'an exception class',
    'fileio.CorruptFileError': 'an exception class',
    'fileio.RunFolderBusyError': 'an exception class',
}
