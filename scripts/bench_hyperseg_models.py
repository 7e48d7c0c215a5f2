"""HyperSeg as released: inference speed of HyperSeg-M at the paper's Cityscapes resolution
(1024x512).

The paper reports 38 FPS for HyperSeg-M on a GPU (Table 1; 45.5 FPS without the patch-wise
convolutions). This script measures, in one interleaved run (``compare_times``, medians),
batch 1, eval mode, no grad:

* HyperSeg-M as released (``hyperseg_m``: EfficientNet-B1 with TF padding, the released
  context head, the fused-halo meta blocks), unfused and with ``fuse_bn`` (BatchNorm folded
  into the weight mappers and the static convolutions, Appendix E);
* the same with ``halo='image'`` blocks (every halo pixel expanded with its own patch's
  weights, the released v0.1 block), fused, for the cost of the released halo rule;
* "w/o DPWConv" (static convolutions, no context head), fused.

The models have random weights; their BatchNorm statistics are set from one training-mode pass
over the input (a ``skimage.data`` photo), so the activations keep realistic magnitudes (with
the initial statistics they shrink through the EfficientNet into float32 denormals, which
slow a CPU down by orders of magnitude and would distort the timing).

    python scripts/bench_hyperseg_models.py                 # CPU (run it under the CPU lock)
    python scripts/bench_hyperseg_models.py --device cuda   # a GPU, when there is one
"""
from __future__ import annotations

import argparse
import dataclasses

import torch
import torch.nn.functional as F
from torch import nn

from graphseg.data import load_image
from graphseg.analysis.timing import compare_times, format_table, machine_summary
from graphseg.models import HYPERSEG_M, HyperSeg, hyperseg_m
from graphseg.nn import fuse_bn


@torch.no_grad()
def calibrate_bn(model: nn.Module, x: torch.Tensor) -> nn.Module:
    """BatchNorm running statistics := the batch statistics of one pass over ``x`` (dropout and
    stochastic depth off, as at inference)."""
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average: one pass sets them
            m.train()
    model(x)
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--size', type=int, nargs=2, default=(512, 1024), metavar=('H', 'W'))
    args = parser.parse_args()
    device = torch.device(args.device)
    H, W = args.size
    print(machine_summary(), '| device', device)
    print(f'\n## HyperSeg-M (released architecture, 19 classes) forward, batch 1, {W}x{H}, eval, '
          'no grad')
    torch.manual_seed(0)
    x = F.interpolate(load_image('astronaut')[None], size=(H, W), mode='bilinear',
                      align_corners=False).to(device)
    released = calibrate_bn(hyperseg_m(num_classes=19).to(device), x)
    image_halo = HyperSeg(dataclasses.replace(HYPERSEG_M, halo='image'), 19).to(device).eval()
    image_halo.load_state_dict(released.state_dict())
    static = calibrate_bn(hyperseg_m(num_classes=19, dynamic=False).to(device), x)
    models = {'HyperSeg-M': released, 'HyperSeg-M, fuse_bn': fuse_bn(released),
              "halo='image', fuse_bn": fuse_bn(image_halo), 'w/o DPWConv, fuse_bn': fuse_bn(static)}
    with torch.no_grad():
        ref = released(x)['out']
        fused = models['HyperSeg-M, fuse_bn'](x)['out']
        print(f'max |fused - unfused| = {(fused - ref).abs().max().item():.1e} (outputs up to '
              f'{ref.abs().max().item():.1f})')
        t = compare_times({k: (lambda m=m: m(x)) for k, m in models.items()}, repeat=args.repeat,
                          device=device)
    base = t['HyperSeg-M']
    rows = [[k, f'{v * 1e3:.0f}', f'{1 / v:.2f}', f'{base / v:.2f}x'] for k, v in t.items()]
    print(format_table(rows, ['model', 'ms / image', 'images / s', 'speed vs unfused']))
    print(f'(parameters: {sum(p.numel() for p in released.parameters()):,}; the paper on a GPU: '
          f'38 FPS, 45.5 FPS w/o DPWConv, at 1024x512)')


if __name__ == '__main__':
    main()
