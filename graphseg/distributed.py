"""Multi-process training with the standard engine: ``torchrun`` + ``DistributedDataParallel``.

``torchrun --nproc_per_node=N -m graphseg train --config ...`` starts N processes with
``RANK`` / ``WORLD_SIZE`` / ``LOCAL_RANK`` set; :func:`init_distributed` joins them
(NCCL on CUDA, gloo on CPU), each process uses ``cuda:LOCAL_RANK``. Data: a
:class:`ShardedSampler` (a :class:`~torch.utils.data.DistributedSampler`) gives each
rank ``batch_size / N`` images of the same global batch a single process would see;
evaluation shards the dataset without padding and sums confusion matrices with
``all_reduce`` (:func:`all_reduce_sum`), so metrics equal a single-process run.

SyncBatchNorm: PyTorch's :class:`torch.nn.SyncBatchNorm` runs on CUDA only; on CPU
(gloo) :func:`convert_sync_batchnorm` uses :class:`GlooSyncBatchNorm`, the same
statistics gathered with a differentiable ``all_reduce``.
"""
from __future__ import annotations

import datetime
import os
from typing import Iterator, List, Optional, Tuple

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.utils.data import DistributedSampler


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def get_rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def get_world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    return get_rank() == 0


def init_distributed(device: str = 'auto') -> Tuple[torch.device, bool]:
    """Join the ``torchrun`` process group when ``WORLD_SIZE`` > 1; returns ``(device, started)``.

    ``device`` ``'auto'`` / ``'cuda'`` means ``cuda:LOCAL_RANK`` when CUDA is available."""
    ws = int(os.environ.get('WORLD_SIZE', '1'))
    use_cuda = torch.cuda.is_available() and device in ('auto', 'cuda')
    if device.startswith('cuda') and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available")
    if ws <= 1 or is_distributed():
        if device == 'auto':
            return torch.device('cuda' if torch.cuda.is_available() else 'cpu'), False
        return torch.device(device), False
    local = int(os.environ.get('LOCAL_RANK', '0'))
    if use_cuda:
        torch.cuda.set_device(local)
    dist.init_process_group('nccl' if use_cuda else 'gloo', timeout=datetime.timedelta(minutes=30))
    return (torch.device('cuda', local) if use_cuda else torch.device('cpu')), True


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def all_reduce_sum(t: Tensor) -> Tensor:
    """Sum of ``t`` over ranks (a copy; ``t`` itself when not distributed)."""
    if not is_distributed():
        return t
    t = t.clone()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def all_gather_object(obj) -> List:
    if not is_distributed():
        return [obj]
    out = [None] * get_world_size()
    dist.all_gather_object(out, obj)
    return out


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """The augmentation seed of sample ``index`` in ``epoch`` (independent of ranks, workers and
    resumes)."""
    return (seed * 1_000_003 + epoch * 7_919 + index * 104_729) % (2 ** 63 - 1)


class ShardedSampler(DistributedSampler):
    """:class:`~torch.utils.data.DistributedSampler` (shuffled per epoch from ``seed``,
    ``drop_last``) yielding ``(index, augmentation seed)`` keys for :class:`SeededTransform`, able
    to start mid-epoch (resume).

    With ``B`` images per step over ``N`` ranks, rank ``r`` batch ``k`` holds global positions
    ``r, r + N, ...`` of the step-``k`` block of ``B``: the union over ranks is the single-process
    batch.
    """

    def __init__(self, dataset, num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 shuffle: bool = True, seed: int = 0) -> None:
        super().__init__(
            dataset,
            num_replicas=num_replicas if num_replicas is not None else get_world_size(),
            rank=rank if rank is not None else get_rank(),
            shuffle=shuffle,
            seed=seed,
            drop_last=True,
        )
        self.start = 0

    def set_start(self, start: int) -> None:
        """Skip the first ``start`` samples of this rank's share of the current epoch."""
        self.start = start

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        indices = list(super().__iter__())[self.start:]
        return iter([(i, sample_seed(self.seed, self.epoch, i)) for i in indices])

    def __len__(self) -> int:
        return self.num_samples - self.start


class SeededTransform(torch.utils.data.Dataset):
    """``dataset[index]`` then ``transform(image, target, generator)`` with a generator seeded per
    sample; indexed by the ``(index, seed)`` keys of :class:`ShardedSampler`."""

    def __init__(self, dataset, transform=None) -> None:
        self.dataset, self.transform = dataset, transform

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key):
        index, seed = key if isinstance(key, tuple) else (key, None)
        image, target = self.dataset[index]
        if self.transform is not None:
            g = torch.Generator().manual_seed(seed) if seed is not None else None
            image, target = self.transform(image, target, g)
        return image, target


def eval_shard(n: int) -> List[int]:
    """This rank's evaluation indices ``rank, rank + N, ...`` (no padding, no duplicates)."""
    return list(range(get_rank(), n, get_world_size()))


class _AllReduceSum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x = x.clone()
        dist.all_reduce(x)
        return x

    @staticmethod
    def backward(ctx, g):
        g = g.clone()
        dist.all_reduce(g)
        return g


class GlooSyncBatchNorm(nn.modules.batchnorm._BatchNorm):
    r"""BatchNorm whose batch statistics are taken over all processes (any backend, CPU included).

    Training: per-channel sum, sum of squares and count are ``all_reduce``-d (differentiably),
    :math:`\mu = \Sigma x / n`, :math:`\sigma^2 = \Sigma x^2 / n - \mu^2` (biased, for normalising;
    unbiased for the running variance), as :class:`torch.nn.SyncBatchNorm`. Evaluation uses the
    running statistics. Any input :math:`(B, C, *)`.
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"input must be (B, C, *), got shape {tuple(input.shape)}")

    def forward(self, x: Tensor) -> Tensor:
        self._check_input_dim(x)
        if not (self.training and is_distributed()):
            return super().forward(x)
        C = x.size(1)
        xf = x.transpose(0, 1).reshape(C, -1)  # (C, B * spatial)
        stats = torch.cat([xf.sum(1), (xf * xf).sum(1), xf.new_full((1,), float(xf.size(1)))])
        stats = _AllReduceSum.apply(stats)
        n = stats[-1]
        mean = stats[:C] / n
        var = stats[C:2 * C] / n - mean * mean
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                m = (
                    self.momentum
                    if self.momentum is not None
                    else 1.0 / float(self.num_batches_tracked)
                )
                self.running_mean.mul_(1 - m).add_(m * mean.detach())
                self.running_var.mul_(1 - m).add_(m * var.detach() * n / (n - 1).clamp_min(1))
        shape = (1, C) + (1,) * (x.dim() - 2)
        y = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y


def convert_sync_batchnorm(model: nn.Module, device: torch.device) -> nn.Module:
    """BatchNorm layers -> :class:`torch.nn.SyncBatchNorm` on CUDA, :class:`GlooSyncBatchNorm`
    elsewhere."""
    if torch.device(device).type == 'cuda':
        return nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return _convert(model)


def _convert(module: nn.Module) -> nn.Module:
    out = module
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and not isinstance(module,
                                                                              GlooSyncBatchNorm):
        out = GlooSyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                module.track_running_stats)
        if module.affine:
            with torch.no_grad():
                out.weight.copy_(module.weight)
                out.bias.copy_(module.bias)
        out.running_mean, out.running_var = module.running_mean, module.running_var
        out.num_batches_tracked = module.num_batches_tracked
    for name, child in module.named_children():
        out.add_module(name, _convert(child))
    return out


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside ``DistributedDataParallel`` (or the model itself)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


__all__ = ['init_distributed', 'is_distributed', 'get_rank', 'get_world_size', 'is_main_process',
           'barrier', 'all_reduce_sum', 'all_gather_object', 'ShardedSampler', 'SeededTransform',
           'sample_seed', 'eval_shard', 'GlooSyncBatchNorm', 'convert_sync_batchnorm', 'unwrap']
