"""Checkpoints are written atomically."""
import os

import pytest
import torch

from graphseg.engine import load_checkpoint, save_checkpoint


def test_checkpoint_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / 'ck.pt'
    save_checkpoint({'a': torch.ones(2)}, path)

    def boom(*a, **k):
        raise RuntimeError('disk full')
    monkeypatch.setattr(torch, 'save', boom)
    with pytest.raises(RuntimeError, match='disk full'):
        save_checkpoint({'a': torch.zeros(2)}, path)
    monkeypatch.undo()
    # the old checkpoint survives intact
    assert torch.equal(load_checkpoint(path)['a'], torch.ones(2))
    # no temporary file left behind (the checksum beside the checkpoint is the first save's)
    assert sorted(os.listdir(tmp_path)) == ['ck.pt', 'ck.pt.sha256']
    with pytest.raises(FileNotFoundError, match='checkpoint .*missing.pt'):
        load_checkpoint(tmp_path / 'missing.pt')
