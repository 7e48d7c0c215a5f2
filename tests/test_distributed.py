"""DDP parity on CPU with gloo: 2 processes = 1 process on the union batch; sharded evaluation = 1
process."""
import json
import os
import socket
import subprocess
import sys

import pytest
import torch
import torch.multiprocessing as mp

from graphseg.data import NUM_CLASSES, MNISTSegmentation
from graphseg.engine import TrainConfig, train
from graphseg.evaluation import evaluate
from graphseg import distributed as comm
from graphseg.models import create_model
from tests.helpers import ROOT

CFG = dict(steps=2, batch_size=8, optimizer='sgd', lr=0.05, momentum=0.9, log_every=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _data():
    return (MNISTSegmentation('train', num_samples=16, size=32, scale=(0.8, 1.1)),
            MNISTSegmentation('val', num_samples=5, size=32, scale=(0.8, 1.1)))


def _model():
    torch.manual_seed(0)
    return create_model('fcn_small', in_channels=1, num_classes=NUM_CLASSES, width=8)


def _worker(rank, world, port, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    device, started = comm.init_distributed('cpu')
    assert started and comm.get_world_size() == world
    train_set, val_set = _data()
    model = _model()
    log = train(model, train_set, TrainConfig(**CFG), progress=False, sync_bn=True)
    metrics = evaluate(model, val_set, NUM_CLASSES)
    if rank == 0:
        torch.save({'state': model.state_dict(), 'log': log, 'metrics': metrics}, out)
    torch.distributed.destroy_process_group()


def test_two_process_gloo_equals_one_process_on_the_union_batch(tmp_path):
    out = str(tmp_path / 'rank0.pt')
    mp.start_processes(_worker, args=(2, _free_port(), out), nprocs=2, join=True,
                       start_method='spawn')
    ddp = torch.load(out, weights_only=False)
    train_set, val_set = _data()
    model = _model()
    log = train(model, train_set, TrainConfig(**CFG), progress=False)
    # SyncBatchNorm (gloo) + loss normalised by the global labelled-pixel count: the same step as
    # one process
    ref = {k: v for k, v in model.state_dict().items()}
    for k, v in ddp['state'].items():
        torch.testing.assert_close(v.float(), ref[k].float(), atol=2e-6, rtol=1e-5, msg=k)
    assert [e['loss'] for e in ddp['log']] == pytest.approx([e['loss'] for e in log], rel=1e-5)
    # sharded evaluation (5 images over 2 ranks, no padding) sums to the single-process confusion
    # matrix
    single = evaluate(model, val_set, NUM_CLASSES)
    assert ddp['metrics']['iou'] == pytest.approx(single['iou'], nan_ok=True, abs=1e-12)
    assert ddp['metrics']['pixel_acc'] == pytest.approx(single['pixel_acc'], abs=1e-12)


def test_sampler_shards_the_global_batch():
    ds = list(range(20))
    single = [k for k, _ in comm.ShardedSampler(ds, num_replicas=1, rank=0, seed=3)]
    ranks = [
        [k for k, _ in comm.ShardedSampler(ds, num_replicas=2, rank=r, seed=3)] for r in range(2)
    ]
    per = 4 // 2  # global batch 4 over 2 ranks
    for step in range(5):
        union = ranks[0][step * per:(step + 1) * per] + ranks[1][step * per:(step + 1) * per]
        assert sorted(union) == sorted(single[step * 4:(step + 1) * 4])
    s = comm.ShardedSampler(ds, num_replicas=1, rank=0, seed=3)
    s.set_start(6)
    assert [k for k, _ in s] == single[6:] and len(s) == 14
    # augmentation seed per (epoch, index)
    seeds = dict(comm.ShardedSampler(ds, num_replicas=1, rank=0, seed=3))
    for r in range(2):
        assert all(seeds[k] == v for k,
                   v in comm.ShardedSampler(ds, num_replicas=2, rank=r, seed=3))


@pytest.mark.skipif(sys.platform == 'win32', reason='torchrun rendezvous over localhost')
def test_torchrun_train_cli(tmp_path):
    cfg = tmp_path / 'tiny.yaml'
    cfg.write_text('model: {name: fcn_small, kwargs: {width: 8}, sync_bn: true}\n'
                   'data: {dataset: digits, kwargs: {num_samples: 16, size: 32, scale: [0.8, '
                   '1.1]}, val_kwargs: {num_samples: 4}}\n'
                   'train: {steps: 2, batch_size: 4, log_every: 1}\ndevice: cpu\n')
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''),
               OMP_NUM_THREADS='1')
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2', '--master_port',
           str(_free_port()), '-m', 'graphseg', 'train', '--config', str(cfg), '--out',
           str(tmp_path / 'run'), '--no-progress']
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    record = json.loads((tmp_path / 'run' / 'run.json').read_text())
    assert (
        record['status'] == 'completed'
        and record['world_size'] == 2
        and 0 <= record['metrics']['miou'] <= 1
    )
    assert (tmp_path / 'run' / 'model.pt').exists() and (
        tmp_path / 'run' / 'checkpoint.pt'
    ).exists()
