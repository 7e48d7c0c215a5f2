"""The weight recipe the fixtures of the released networks were written with (HRNet, the road
orientation network): every ``state_dict`` entry gets values drawn from a generator seeded with the
CRC-32 of its key, so two implementations with the same keys and shapes get the same weights
without storing them. The scratch harness that ran the released code used the same rule; each
fixture also stores the sum of every tensor it drew, which the tests compare."""
import math
import zlib

import torch


def recipe_tensor(key, shape, dtype=torch.float64):
    """Deterministic values for the entry ``key`` of shape ``shape``: BatchNorm running variances
    in [0.75, 1.25], running means and biases in [-0.1, 0.1], other 1-D tensors (BatchNorm scales)
    in [0.75, 1.25], weights He-normal over ``prod(shape[1:])``."""
    g = torch.Generator().manual_seed(zlib.crc32(key.encode()))
    shape = tuple(shape)
    if key.endswith('running_var'):
        return torch.rand(shape, generator=g, dtype=dtype) * 0.5 + 0.75
    if key.endswith('running_mean') or key.endswith('bias'):
        return (torch.rand(shape, generator=g, dtype=dtype) - 0.5) * 0.2
    if len(shape) == 1:
        return torch.rand(shape, generator=g, dtype=dtype) * 0.5 + 0.75
    return torch.randn(shape, generator=g, dtype=dtype) * math.sqrt(2.0 / math.prod(shape[1:]))


def recipe_state(model):
    """The recipe's state dict for ``model`` (float64; ``num_batches_tracked`` kept)."""
    return {k: v.clone() if k.endswith('num_batches_tracked') else recipe_tensor(k, v.shape)
            for k, v in model.state_dict().items()}
