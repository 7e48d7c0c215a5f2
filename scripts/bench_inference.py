"""The inference fast path, side by side: eager vs ``optimize_for_inference`` vs ``torch.compile``
vs onnxruntime, images/s and peak memory, batch 1 and 8.

For each paper model at the size this CPU allows (the papers' where it can: HyperSeg-M at
Cityscapes 1024x512, HyperSeg-S at 1536x768, the CamVid HyperSeg-S / -L at 768x576 / 1024x768;
the ResNet-based models at 512x512, the size of the HG-ResNet targets, because OS-8 ResNet-101
at Cityscapes' 1024x2048 takes minutes per image on 2 cores), measured in one interleaved run
(``compare_times``, medians):

* ``eager``: ``model.eval()`` under ``torch.no_grad()``;
* ``fast``: ``optimize_for_inference(model, x)`` (BatchNorm folded, the memory format chosen by
  timing, HG-ResNet's fusion on the nodes);
* ``compiled``: the same with ``compile=True`` (inductor; ``--no-compile`` skips it);
* ``fast bfloat16`` (and ``fast float16`` on CUDA): the fast path under autocast;
* ``onnxruntime``: the ONNX export (``graphseg.models.export``), CPU execution provider with the
  same number of threads (the models that export; ``--no-onnx`` skips it);
* ``released``: for HyperSeg, the authors' code (``--released-hyperseg DIR``: a checkout of
  YuvalNirkin/hyperseg outside this repository, run with a Python that has its dependencies, e.g.
  a scratch venv with ``ffmpeg-python``), built with the arguments of its training configs
  (:data:`RELEASED`) and ``inference_hflip=False`` (graphseg's eval has no flip), its weights
  loaded into graphseg's model with ``load_official`` so both compute the same function
  (checked).

Cross-model ratios: HG-ResNet fast path / its dense twin's fast path, HyperSeg fast path /
released. Models have random weights with BatchNorm statistics from one training-mode pass over a
photo (with the initial statistics the activations shrink into float32 denormals, which slow a CPU
by orders of magnitude). Peak memory is torch's allocations during one call
(``graphseg.analysis.peak_memory``); onnxruntime's own allocator is not seen by it ("-").

    python scripts/bench_inference.py [--threads 1] [--quick] [--models hyperseg_m,hg_resnet18]
        [--released-hyperseg /tmp/hyperseg_release] [--batch 1 8] [--device cuda]

``--keep-cpu-memory`` runs the whole comparison with freed CPU memory kept in the process
(:func:`graphseg.keep_cpu_memory`, glibc's malloc): run it with and without.

1 and 2 threads: run it twice (``--threads 1``, ``--threads 2``), or ``scripts/bench_all.py
--threads 1 2 --only inference``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from graphseg.analysis import add_benchmark_arguments, compare_times, peak_memory, setup_benchmark
from graphseg.analysis.timing import format_table, record
from graphseg.data import load_image
from graphseg.models import create_model, keep_cpu_memory, load_official, optimize_for_inference
from graphseg.models.export import export_model, export_support

#: the ONNX parity tolerance of the benchmark's export (relative to the largest logit)
ONNX_BENCH_TOLERANCE = 1e-2
#: ``--quick`` divides every side by this (a smoke run: timings at these sizes say little)
QUICK_SCALE = 4


@dataclass(frozen=True)
class Case:
    """A model as measured: registered name, (height, width), dense twin, factory and forward
    keyword arguments."""
    model: str
    size: Tuple[int, int]
    twin: Optional[str] = None
    kwargs: Dict[str, Any] = field(default_factory=dict)
    forward: Dict[str, Any] = field(default_factory=dict)
    divisor: int = 1


#: the released v1.0 weight mappers all read the signal from channel 0 (``hyperseg_m``'s doc)
_RELEASED_SLICES = {'signal_slices': 'released'}
CASES: Dict[str, Case] = {
    'hyperseg_m': Case('hyperseg_m', (512, 1024), kwargs={'signal_slices': 'released'},
                       divisor=32),
    'hyperseg_s': Case('hyperseg_s', (768, 1536), divisor=32),
    'hyperseg_camvid_s': Case('hyperseg_camvid_s', (576, 768), kwargs=_RELEASED_SLICES,
                              divisor=32),
    'hyperseg_camvid_l': Case('hyperseg_camvid_l', (768, 1024), kwargs=_RELEASED_SLICES,
                              divisor=32),
    'resnet18_dilated': Case('resnet18_dilated', (512, 512)),
    'hg_resnet18': Case('hg_resnet18', (512, 512), 'resnet18_dilated'),
    'resnet101_dilated': Case('resnet101_dilated', (512, 512)),
    'hg_resnet101': Case('hg_resnet101', (512, 512), 'resnet101_dilated'),
    'rgnet_resnet18': Case('rgnet_resnet18', (512, 512)),
    'qgn_resnet34': Case('qgn_resnet34', (512, 1024), divisor=32),
    'qgn_resnet34_dense': Case('qgn_resnet34', (512, 1024), kwargs={'sparse': False},
                               forward={'scheme': 'all'}, divisor=32),
}
#: the released HyperSeg models (configs/train/*.py of YuvalNirkin/hyperseg): module, arguments of
#: ``hyperseg_efficientnet('efficientnet-b1', ...)`` with ``inference_hflip=False`` (graphseg's eval
#: has none), classes
_RELEASED_COMMON = dict(pretrained=False, levels=2, expand_ratio=2, with_out_fc=False,
                        decoder_dropout=None, inference_hflip=False)
RELEASED = {
    'hyperseg_m': ('hyperseg_v1_0', dict(
        out_feat_scale=[1., 0.25, 0.25, 0.25, 0.25], kernel_sizes=[1, 1, 1, 3, 3],
        level_channels=[64, 32, 16, 16, 16], weight_groups=[32, 16, 8, 16, 4], decoder_groups=1,
        coords_res=[(512, 512), (512, 1024)]), 19),
    'hyperseg_s': ('hyperseg_v1_0_unify', dict(
        out_feat_scale=[1., 0.166, 0.2, 0.25, 0.4], kernel_sizes=[1, 1, 1, 3, 3],
        level_channels=[32, 16, 8, 8, 8], weight_groups=[32, 16, 8, 16, 4], decoder_groups=1,
        unify_level=4, coords_res=[(768, 768), (768, 1536)]), 19),
    'hyperseg_camvid_s': ('hyperseg_v1_0', dict(
        kernel_sizes=(1, 1, 1, 3, 3), level_channels=[64, 32, 16, 16, 16],
        weight_groups=[64, 32, 32, 16, 8], coords_res=[(576, 576), (576, 768)]), 12),
    'hyperseg_camvid_l': ('hyperseg_v1_0', dict(
        kernel_sizes=(1, 1, 1, 3, 3, 3), level_channels=[64, 32, 16, 16, 16, 16],
        weight_groups=[64, 32, 32, 16, 8, 8], coords_res=[(768, 768), (768, 1024)]), 12),
}


@torch.no_grad()
def calibrate_bn(model: nn.Module, x: torch.Tensor) -> nn.Module:
    """BatchNorm running statistics := the batch statistics of one pass over ``x``."""
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None
            m.train()
    model(x)
    return model.eval()


def released_hyperseg(folder: str, name: str, x: torch.Tensor, ours: nn.Module) -> nn.Module:
    """The authors' model ``name`` (a key of :data:`RELEASED`), calibrated on ``x``, its weights
    loaded into ``ours``."""
    import importlib
    sys.path.insert(0, os.path.abspath(folder))  # the released checkout, outside the repository
    module, kwargs, classes = RELEASED[name]
    factory = importlib.import_module(f'hyperseg.models.{module}').hyperseg_efficientnet
    model = calibrate_bn(factory('efficientnet-b1', num_classes=classes,
                                 **{**_RELEASED_COMMON, **kwargs}), x)
    arch = f'hyperseg.models.{module}.hyperseg_efficientnet(...)'
    load_official(ours, {'state_dict': model.state_dict(), 'arch': arch})
    return model


def build(case: Case, x: torch.Tensor) -> nn.Module:
    classes = RELEASED[case.model][2] if case.model in RELEASED else 19
    model = create_model(case.model, num_classes=classes, **case.kwargs)
    return calibrate_bn(_Forward(model, case.forward), x).model


class _Forward(nn.Module):
    """``model(x, **forward)`` (for the calibration pass)."""

    def __init__(self, model: nn.Module, forward: Dict[str, Any]) -> None:
        super().__init__()
        self.model, self.forward_kwargs = model, forward

    def forward(self, x):
        return self.model(x, **self.forward_kwargs)


def onnx_session(name: str, case: Case, model: nn.Module, x: torch.Tensor, tmp: str):
    """An onnxruntime session of the model's export (CPU provider, torch's thread count) and the
    export's measured relative difference."""
    import onnxruntime as ort  # optional: the test extra
    path = os.path.join(tmp, f'{name}.onnx')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        # a loose tolerance: random weights calibrated on one photo are ill-conditioned (float32
        # eager itself can be 1e-3 off float64); the measured difference is printed with the rows
        result = export_model(model, x, path, 'onnx', input_divisor=case.divisor,
                              tolerance=ONNX_BENCH_TOLERANCE)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
    feed = {session.get_inputs()[0].name: x.numpy()}
    return (lambda: session.run(None, feed)), result.max_rel_diff


#: the variants ``--variants`` chooses from (``eager`` and ``fast`` always run)
VARIANTS = ('mixed', 'compiled', 'onnx', 'released')


def progress(message: str) -> None:
    """One line on stderr, at once (a case at 512x512 takes minutes on 2 cores)."""
    print(f'  [{time.strftime("%H:%M:%S")}] {message}', file=sys.stderr, flush=True)


def variants(name: str, case: Case, model: nn.Module, x: torch.Tensor, args, tmp: str
             ) -> Tuple[Dict[str, Callable[[], object]], Any, Optional[float]]:
    """name -> zero-argument call of each variant (the onnxruntime session and the compiled model
    are built here, outside the timing); the fast model; the ONNX export's relative difference."""
    kw = case.forward
    progress(f'{name}: optimize_for_inference (times both memory formats)')
    fast = optimize_for_inference(model, x, forward_kwargs=kw)
    fns = {'eager': lambda: model(x, **kw), 'fast': lambda: fast(x, **kw)}
    # mixed precision: bf16 on the CPU (emulated without AVX-512 BF16 / AMX), fp16 and bf16 on CUDA
    for dtype in ((torch.float16, torch.bfloat16) if x.is_cuda else (torch.bfloat16,)):
        if 'mixed' not in args.variants:
            break
        low = optimize_for_inference(model, x, channels_last=fast.channels_last, dtype=dtype)
        fns[f'fast {str(dtype)[6:]}'] = lambda low=low: low(x, **kw)
    onnx_diff = None
    try:
        if 'compiled' in args.variants:
            progress(f'{name}: torch.compile')
            compiled = optimize_for_inference(model, x, channels_last=fast.channels_last,
                                              compile=True)
            compiled(x, **kw)  # compile outside the timing
            fns['compiled'] = lambda: compiled(x, **kw)
        if 'onnx' in args.variants and export_support(model) is None and not x.is_cuda:
            progress(f'{name}: ONNX export and parity check')
            fns['onnxruntime'], onnx_diff = onnx_session(name, case, model, x, tmp)
    except Exception as e:  # report and go on: one variant must not lose the others
        print(f'  {name}: a variant failed: {type(e).__name__}: {str(e).splitlines()[0]}')
    return fns, fast, onnx_diff


def run_case(name: str, batch: int, args, tmp: str, photo: torch.Tensor,
             released: Optional[str]) -> Dict[str, float]:
    case = CASES[name]
    H, W = case.size
    if args.quick:  # multiples of the model's divisor
        d = case.divisor
        H, W = (max(d, side // QUICK_SCALE // d * d) for side in (H, W))
    x = F.interpolate(photo[None], size=(H, W), mode='bilinear', align_corners=False)
    x = x.expand(batch, -1, -1, -1).contiguous()
    torch.manual_seed(0)
    progress(f'{name} {W}x{H} batch {batch}: build, BatchNorm statistics from the photo')
    model = build(case, x[:1].cpu()).to(x.device)
    theirs = None
    # their weights into ours, before the fast path
    if name in RELEASED and released and 'released' in args.variants:
        theirs = released_hyperseg(released, name, x[:1].cpu(), model.cpu()).to(x.device)
        model.to(x.device)
        with torch.no_grad():
            ref = theirs(x)
            diff = float((ref - model(x)['out']).abs().max() / ref.abs().max())
        print(f'  released vs graphseg {name}, same weights: max |diff| = {diff:.1e} of the '
              'largest logit')
    fns, fast, onnx_diff = variants(name, case, model, x, args, tmp)
    if theirs is not None:
        fns['released'] = lambda: theirs(x)
    progress(f'{name}: timing {list(fns)}, {args.repeat} interleaved runs each')
    with torch.no_grad():
        times = compare_times(fns, repeat=args.repeat, warmup=1, device=x.device)
        memory = ({} if args.no_memory else
                  {k: peak_memory(fn, x.device) for k, fn in fns.items() if k != 'onnxruntime'})
    summary = fast.summary
    print(f'\n## {name}, {W}x{H}, batch {batch}: fast path = folded {summary["folded_bn"]} BN, '
          f'channels_last={summary["channels_last"]}'
          + (', HG fusion on the nodes' if summary.get('projected_hg_fusion') else '')
          + (f'; ONNX max rel diff {onnx_diff:.1e}' if onnx_diff is not None else ''))
    rows = []
    for k, t in times.items():
        mem = memory.get(k)
        rows.append([k, f'{t / batch * 1e3:.1f}', f'{batch / t:.3g}', f'{times["eager"] / t:.2f}x',
                     f'{mem / 2 ** 20:.0f}' if mem is not None else '-'])
        record('inference', f'{name} {W}x{H} b{batch} {k}', model=name, size=f'{W}x{H}',
               batch=batch, variant=k, seconds=t, images_per_s=batch / t,
               speedup_vs_eager=times['eager'] / t, peak_bytes=mem)
    print(format_table(rows, ['variant', 'ms / image', 'images / s', 'vs eager', 'peak MiB']))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_benchmark_arguments(parser, device='cpu',
                            quick='a smoke run: batch 1 only, sides / 4, 3 repeats, no compile')
    parser.add_argument('--models', default=','.join(CASES),
                        help=f'comma-separated subset of {list(CASES)}')
    parser.add_argument('--batch', type=int, nargs='+', default=[1, 8], help='batch sizes')
    parser.add_argument('--repeat', type=int, default=5, help='timed runs per variant')
    parser.add_argument('--variants', default=','.join(VARIANTS),
                        help='comma-separated subset of %s besides eager and fast (mixed: bf16 '
                             'autocast, and fp16 on CUDA; released: --released-hyperseg)'
                             % (list(VARIANTS),))
    parser.add_argument('--no-compile', action='store_true', help='skip torch.compile')
    parser.add_argument('--no-onnx', action='store_true', help='skip onnxruntime')
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the peak-memory runs (one more call of each variant)')
    parser.add_argument('--keep-cpu-memory', action='store_true',
                        help='graphseg.keep_cpu_memory() first: freed CPU memory stays in the '
                             'process (process-wide: every variant, the released code too)')
    parser.add_argument('--released-hyperseg', default=None, metavar='DIR',
                        help='a checkout of YuvalNirkin/hyperseg (outside the repository)')
    args = parser.parse_args()
    device = setup_benchmark(args, 'bench_inference')
    if args.keep_cpu_memory:
        print(f'# keep_cpu_memory: {keep_cpu_memory()} (every variant of this run)')
    if args.quick:
        args.batch, args.repeat, args.no_compile = [1], 3, True
    args.variants = {v.strip() for v in args.variants.split(',') if v.strip()}
    if args.variants - set(VARIANTS):
        raise SystemExit(f'bench_inference: --variants must be among {list(VARIANTS)}, got '
                         f'{sorted(args.variants - set(VARIANTS))}')
    args.variants -= {'compiled'} if args.no_compile else set()
    args.variants -= {'onnx'} if args.no_onnx else set()
    names = [n.strip() for n in args.models.split(',') if n.strip()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        raise SystemExit(f'bench_inference: --models must be among {list(CASES)}, got {unknown}')
    photo = load_image('astronaut')
    results: Dict[Tuple[str, int], Dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for batch in args.batch:
            for name in names:
                results[name, batch] = run_case(name, batch, args, tmp, photo.to(device),
                                                args.released_hyperseg)
    rows: List[List[str]] = []
    for (name, batch), t in results.items():
        twin = CASES[name].twin
        if twin and (twin, batch) in results:
            d = results[twin, batch]
            rows.append([f'{name} / {twin}, batch {batch}', f'{d["eager"] / t["eager"]:.2f}x',
                         f'{d["fast"] / t["fast"]:.2f}x'])
            record('inference_vs_twin', f'{name} b{batch}', eager_speedup=d['eager'] / t['eager'],
                   fast_speedup=d['fast'] / t['fast'])
        if 'released' in t:
            rows.append([f'{name} / released code, batch {batch}',
                         f'{t["released"] / t["eager"]:.2f}x', f'{t["released"] / t["fast"]:.2f}x'])
            record('inference_vs_released', f'{name} b{batch}',
                   eager_time_ratio=t['eager'] / t['released'],
                   fast_time_ratio=t['fast'] / t['released'])
    if rows:
        print('\n## speed ratios (images/s of the first over the second)')
        print(format_table(rows, ['models', 'eager', 'fast path']))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
