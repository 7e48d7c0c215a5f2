"""The inference fast path: folded BatchNorm, channels-last, mixed precision, torch.compile.

* every registered segmentation model: the fast path's float32 output equals eager within 1e-4 of
  the largest logit, in both memory formats, with non-trivial BatchNorm statistics; bf16 autocast
  runs and mostly agrees;
* the folding of each layer kind against the layer followed by its BatchNorm;
* trained tiny models of every family (``tests/data/inference_tiny.pt``, written by
  ``scripts/train_inference_fixtures.py``): bf16 and fp16 autocast agree with float32 on >= 99 % of
  the pixels.
"""
import copy
import os

import pytest
import torch
from torch import nn

import graphseg
from graphseg.graphs import grid_graph
from graphseg.models import (InferenceModel, count_batchnorms, create_model, fold_batchnorm,
                             fold_bn_into_, list_models, model_info, optimize_for_inference)
from graphseg.models.hgresnet import NodeLinear
from graphseg.nn import DeformConv2d, DeformConv2dPack, DirectionalConv, RepGraph
from graphseg.nn.hgconv import HGClustering
from graphseg.nn.sparse import (SparseBatchNorm, SparseConvTranspose2d, SparseLinear,
                                SubmanifoldConv2d)
from graphseg.ops import SparseMap
from tests.models.tiny_models import FIXTURE, TINY_MODELS, unpack_state

SEG_MODELS = list_models(task='segmentation')
#: the families whose every BatchNorm follows a foldable layer (models added later are checked for
#: equality, not for a complete fold)
FOLDED_FAMILIES = {f'graphseg.models.{m}' for m in ('baselines', 'dilated', 'hgresnet', 'resunet',
                                                    'hyperseg', 'qgn', 'rgnet')}
#: models whose 23 deformable stage-3 blocks, with random BatchNorm statistics and random offsets,
#: amplify float rounding chaotically (the folds' 1e-7 changes grow to 0.2-0.3 of the logits, and
#: so does any other rounding change); they are checked with zero offsets (each deformable
#: convolution still folds; the fold with non-zero offsets is tested per layer below)
CHAOTIC_OFFSETS = {'resnet101_dcn', 'hg_resnet101_dcn'}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def size_of(name):
    info = model_info(name)
    return -(-info.min_input_size // info.input_divisor) * info.input_divisor


@torch.no_grad()
def randomize(model: nn.Module, seed: int = 1) -> nn.Module:
    """BatchNorm statistics and affine parameters away from their init, and non-zero offsets of the
    deformable convolutions and RepGraph samplers, so that there is something to fold and to
    sample."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
            m.running_mean.uniform_(-0.5, 0.5, generator=g)
            m.running_var.uniform_(0.5, 2., generator=g)
            if m.weight is not None:
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.2, 0.2, generator=g)
        if isinstance(m, DeformConv2dPack):
            m.conv_offset.weight.normal_(0., 0.01, generator=g)
        if isinstance(m, RepGraph):
            m.layer.offset.weight.normal_(0., 0.05, generator=g)
    return model


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out - ref).abs().max() / ref.abs().max().clamp_min(1e-12))


def agreement(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.argmax(1) == b.argmax(1)).float().mean())


# ----------------------------------------------------------------------------- every model

@pytest.mark.parametrize('name', SEG_MODELS)
def test_fast_path_equals_eager(name):
    """fp32 fast path == eager within 1e-4 of the largest logit (NCHW and channels-last), the
    output convention kept (float32, contiguous, the same keys), the original model untouched; bf16
    autocast runs and its arg-max mostly agrees even on random weights. At the registry's smallest
    input, batch 2.

    The channels-last fast path is compared with eager in channels-last: the layout changes the
    convolutions' summation order, which HG-Conv's clustering (discrete choices) can amplify into
    a different graph; the fast path's own transforms (folding, HG fusion on the nodes) are exact.
    For models without HG-Conv it must also equal contiguous eager. A model whose float32 eager
    output is itself more than the tolerance away from float64 eager (deep stacks that amplify
    rounding) is held to float64 instead: the fast path within 3x eager's own float32 error."""
    torch.manual_seed(0)
    S = size_of(name)
    model = randomize(create_model(name, num_classes=3)).eval()
    if name in CHAOTIC_OFFSETS:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, DeformConv2dPack):
                    m.conv_offset.weight.zero_()
    before = count_batchnorms(model)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    hg = any(isinstance(m, HGClustering) for m in model.modules())
    x = torch.rand(2, 3, S, S)
    with torch.no_grad():
        ref = model(x)
    for channels_last in (False, True):
        fast = optimize_for_inference(model, x, channels_last=channels_last)
        out = fast(x)
        assert set(out) == set(ref)
        logits = out['out']
        assert logits.dtype == torch.float32 and logits.is_contiguous()
        assert logits.shape == ref['out'].shape
        same = ref['out']
        if channels_last and hg:
            with torch.no_grad():
                same = copy.deepcopy(model).to(memory_format=torch.channels_last)(
                    x.contiguous(memory_format=torch.channels_last))['out']
        err = relative_error(logits, same)
        if err > 1e-4 and not hg:
            # a model that amplifies float32 rounding past the tolerance (eager float32 is itself
            # that far from float64, e.g. rgnet_resnet50_5layer: 1.4e-4): the fast path must be
            # about as close to float64 eager as float32 eager is (folding reorders the sums)
            with torch.no_grad():
                ref64 = copy.deepcopy(model).double()(x.double())['out']
            eager_err = relative_error(same.double(), ref64)
            assert relative_error(logits.double(), ref64) <= 3 * eager_err, (name, channels_last)
        else:
            assert err <= 1e-4, (name, channels_last)
        assert fast.summary['folded_bn'] > 0 and fast.summary['channels_last'] == channels_last
        if model_info(name).module in FOLDED_FAMILIES:
            assert fast.summary['remaining_bn'] == 0, name
    low = optimize_for_inference(model, x, channels_last=False, dtype=torch.bfloat16)(x)['out']
    assert low.dtype == torch.float32 and bool(torch.isfinite(low).all())
    assert agreement(low, ref['out']) >= 0.9, name
    assert count_batchnorms(model) == before and not model.training
    assert all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())


@pytest.mark.parametrize('name', ['hg_resnet18', 'hyperseg_m', 'qgn_resnet34'])
def test_fast_path_is_deterministic_and_batch_independent(name):
    S = size_of(name)
    model = randomize(create_model(name, num_classes=3)).eval()
    x = torch.rand(3, 3, S, S)
    fast = optimize_for_inference(model, x, channels_last=True)
    batch = fast(x)['out']
    torch.manual_seed(5)
    alone = fast(x[1:2])['out']
    torch.testing.assert_close(alone, batch[1:2], atol=1e-4, rtol=1e-3)
    torch.testing.assert_close(fast(x[1:2])['out'], alone)


# ----------------------------------------------------------------------------- the options

def test_channels_last_auto_times_both_layouts():
    model = randomize(create_model('fcn_small', num_classes=3)).eval()
    x = torch.rand(2, 3, 64, 64)
    fast = optimize_for_inference(model, x)
    t = fast.summary['layout_seconds']
    assert set(t) == {'contiguous', 'channels_last'} and min(t.values()) > 0
    assert fast.channels_last == (t['channels_last'] < 0.97 * t['contiguous'])
    weight = fast.model.head[0][0].weight  # a 3x3 kernel (a 1x1 one is both layouts)
    assert weight.is_contiguous(memory_format=torch.channels_last) == fast.channels_last
    with torch.no_grad():
        assert relative_error(fast(x)['out'], model(x)['out']) <= 1e-4


def test_options_compile_no_fold_inplace():
    torch._dynamo.reset()
    model = randomize(create_model('fcn_small', num_classes=3)).eval()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        ref = model(x)['out']
    compiled = optimize_for_inference(model, x, channels_last=False,
                                      compile={'backend': 'aot_eager', 'fullgraph': True})
    assert compiled.summary['compiled']
    assert relative_error(compiled(x)['out'], ref) <= 1e-4
    # parameters are not duplicated by the compiled wrapper
    assert len(compiled.state_dict()) == len(compiled.model.state_dict())
    plain = optimize_for_inference(model, None, channels_last=False, fold_bn=False)
    assert plain.summary['folded_bn'] == 0 and count_batchnorms(plain.model) == 5
    torch.testing.assert_close(plain(x)['out'], ref, rtol=0, atol=0)
    same = optimize_for_inference(model, None, channels_last=False, inplace=True)
    assert same.model is model and count_batchnorms(model) == 0
    assert relative_error(same(x)['out'], ref) <= 1e-4


def test_channels_last_auto_keeps_hgconv_contiguous():
    model = create_model('hg_fcn_small', num_classes=3).eval()
    fast = optimize_for_inference(model, torch.rand(1, 3, 32, 32))
    assert not fast.channels_last and 'layout_seconds' not in fast.summary
    assert 'HG-Conv' in fast.summary['layout_reason']


def test_compile_with_graph_breaks_hgconv():
    """HG-Conv's clustering breaks the graph; torch.compile still runs it, with the same output."""
    torch._dynamo.reset()
    model = randomize(create_model('hg_fcn_small', num_classes=3)).eval()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        ref = model(x)['out']
    fast = optimize_for_inference(model, x, channels_last=False, compile={'backend': 'aot_eager'})
    assert relative_error(fast(x)['out'], ref) <= 1e-4


def test_inference_model_is_for_inference_only():
    fast = optimize_for_inference(create_model('fcn_small', num_classes=3), channels_last=False)
    assert isinstance(fast, InferenceModel) and not fast.training
    with pytest.raises(RuntimeError, match='for inference only'):
        fast.train()
    assert fast.eval() is fast
    out = fast(torch.rand(1, 3, 32, 32, requires_grad=True))['out']
    assert not out.requires_grad  # no autograd graph is kept
    assert 'channels_last=False, dtype=float32, compiled=False' in repr(fast)


def test_root_package_attribute_is_lazy():
    assert graphseg.optimize_for_inference is optimize_for_inference
    assert 'optimize_for_inference' in dir(graphseg)


# ----------------------------------------------------------------------------- folding each layer

def _bn(cls, C, g):
    bn = cls(C).eval()
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1, generator=g)
        bn.running_var.uniform_(0.2, 3., generator=g)
        bn.weight.uniform_(0.5, 2., generator=g)
        bn.bias.uniform_(-1, 1, generator=g)
    return bn


def _sparse_input():
    coords = torch.tensor([[0, 0, 0], [0, 0, 1], [0, 1, 1], [0, 2, 3], [1, 0, 0], [1, 3, 2]])
    return SparseMap(coords, torch.randn(6, 4), (4, 4), 2)


def _cases():
    grid = grid_graph(5, 5)
    x_nodes = torch.randn(25, 4)
    return [
        ('conv2d', lambda: nn.Conv2d(4, 6, 3, padding=1), nn.BatchNorm2d,
         lambda m: m(torch.randn(2, 4, 7, 7))),
        ('conv2d grouped with bias', lambda: nn.Conv2d(4, 6, 3, padding=1, groups=2),
         nn.BatchNorm2d, lambda m: m(torch.randn(2, 4, 7, 7))),
        ('conv_transpose2d', lambda: nn.ConvTranspose2d(4, 6, 3, 2, 1, 1, bias=False),
         nn.BatchNorm2d, lambda m: m(torch.randn(2, 4, 5, 5))),
        ('linear', lambda: nn.Linear(4, 6), nn.BatchNorm1d, lambda m: m(torch.randn(9, 4))),
        ('node linear', lambda: NodeLinear(4, 6), nn.BatchNorm1d, lambda m: m(torch.randn(9, 4))),
        ('directional conv', lambda: DirectionalConv(4, 6, bias=False), nn.BatchNorm1d,
         lambda m: m(x_nodes, grid.edge_index, grid.edge_type)),
        ('deformable conv', lambda: DeformConv2d(4, 6, 3, padding=1), nn.BatchNorm2d,
         lambda m: m(torch.randn(2, 4, 6, 6), torch.randn(2, 18, 6, 6) * 0.5)),
        ('submanifold conv', lambda: SubmanifoldConv2d(4, 6), SparseBatchNorm,
         lambda m: m(_sparse_input())),
        ('sparse linear', lambda: SparseLinear(4, 6, bias=False), SparseBatchNorm,
         lambda m: m(_sparse_input())),
        ('sparse conv transpose', lambda: SparseConvTranspose2d(4, 6), SparseBatchNorm,
         lambda m: m(_sparse_input())),
    ]


@pytest.mark.parametrize('case', _cases(), ids=lambda c: c[0])
def test_fold_bn_into_each_layer(case):
    """layer -> BatchNorm (eval) == the folded layer, for every layer kind the fold supports; sparse
    weights keep their channels-last storage."""
    _, make, bn_cls, run = case
    torch.manual_seed(3)
    layer = make().eval()
    bn = _bn(bn_cls, 6, torch.Generator().manual_seed(3))
    torch.manual_seed(4)  # the inputs
    with torch.no_grad():
        ref = bn(run(layer))
    stride = layer.weight.stride()
    assert fold_bn_into_(layer, bn)
    assert layer.weight.stride() == stride
    torch.manual_seed(4)
    with torch.no_grad():
        out = run(layer)
    ref = ref.feats if isinstance(ref, SparseMap) else ref
    out = out.feats if isinstance(out, SparseMap) else out
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_fold_bn_into_refuses_what_does_not_fold():
    conv = nn.Conv2d(3, 4, 1)
    w = conv.weight.detach().clone()
    assert not fold_bn_into_(conv, nn.BatchNorm2d(5))  # channel counts differ
    assert not fold_bn_into_(conv, nn.BatchNorm2d(4, track_running_stats=False))
    assert not fold_bn_into_(nn.ReLU(), nn.BatchNorm2d(4))
    assert not fold_bn_into_(nn.ConvTranspose2d(4, 4, 2, groups=2), nn.BatchNorm2d(4))
    assert torch.equal(conv.weight, w)


def test_fold_batchnorm_keeps_a_batchnorm_after_a_relu():
    """BatchNorm after an activation is not a per-channel affine of a linear layer's output: it
    stays."""
    seq = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.BatchNorm2d(4), nn.Conv2d(4, 4, 1),
                        nn.BatchNorm2d(4))
    randomize(seq)
    folded = fold_batchnorm(seq)
    assert isinstance(folded[2], nn.BatchNorm2d) and isinstance(folded[4], nn.Identity)
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), seq.eval()(x), rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------------- mixed precision

@pytest.fixture(scope='module')
def trained():
    path = os.path.join(ROOT, FIXTURE)
    if not os.path.isfile(path):
        pytest.fail(f'{FIXTURE} is missing: run python scripts/train_inference_fixtures.py')
    return torch.load(path, weights_only=True)


def _low_dtypes(device):
    return (torch.bfloat16, torch.float16)


@pytest.mark.parametrize('family', list(TINY_MODELS))
def test_trained_models_agree_under_mixed_precision(family, trained, device):
    """bf16 and fp16 autocast (CPU here; fp16 / bf16 on CUDA with --device cuda) give the float32
    arg-max on >= 99 % of the pixels of trained models of every family, and the float32 fast path
    equals eager."""
    model = TINY_MODELS[family]()
    model.load_state_dict(unpack_state(trained['models'][family]))
    model = model.to(device).eval()
    x = (trained['images'].float() / 255).to(device)
    with torch.no_grad():
        ref = model(x)['out']
    fast = optimize_for_inference(model, x, channels_last=False)
    assert relative_error(fast(x)['out'], ref) <= 1e-4
    for dtype in _low_dtypes(device):
        low = optimize_for_inference(model, x, channels_last=False, dtype=dtype)
        out = low(x)['out']
        assert out.dtype == torch.float32
        assert agreement(out, ref) >= 0.99, (family, dtype, agreement(out, ref))


# ----------------------------------------------------------------------------- CPU memory

_KEEP_PROBE = r'''
import ctypes, sys, torch
from graphseg.models import keep_cpu_memory
libc = ctypes.CDLL(None)
if not hasattr(libc, 'gnu_get_libc_version') or not hasattr(libc, 'mallinfo2'):
    print('no glibc >= 2.33'); sys.exit(0)
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ('arena', 'ordblks', 'smblks', 'hblks', 'hblkhd',
                                               'usmblks', 'fsmblks', 'uordblks', 'fordblks',
                                               'keepcost')]
libc.mallinfo2.restype = MallInfo2
def mapped():  # bytes in blocks that malloc mapped with mmap
    return libc.mallinfo2().hblkhd
assert keep_cpu_memory(False) is True  # glibc's initial values: a fixed 128 KiB threshold
before = mapped()
x = torch.ones(2 << 20)  # 8 MiB
assert mapped() >= before + (8 << 20), (before, mapped())  # mapped for itself
del x
assert keep_cpu_memory() is True
before = mapped()
for _ in range(3):  # served from the heap, and reused
    y = torch.ones(2 << 20)
    assert mapped() == before, (before, mapped())
    del y
print('ok')
'''


def test_keep_cpu_memory_serves_activations_from_the_heap():
    """With glibc, keep_cpu_memory() makes an 8 MiB tensor come from the heap instead of a fresh
    mmap (glibc's mallinfo2 counts mapped bytes), and keep_cpu_memory(False) maps it again. Run
    in a subprocess: the setting is process-wide."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, '-c', _KEEP_PROBE], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    if 'no glibc' in out.stdout:
        pytest.skip('malloc is not glibc >= 2.33 here')
    assert out.stdout.strip().endswith('ok')


def test_optimize_for_inference_keeps_cpu_memory_on_request(monkeypatch):
    import graphseg.models.inference as inference
    calls = []
    monkeypatch.setattr(inference, '_keep_cpu_memory', lambda enable: calls.append(enable) or True)
    model = create_model('fcn_small', num_classes=3)
    assert optimize_for_inference(model, channels_last=False).summary['keep_cpu_memory'] is False
    assert calls == []
    fast = optimize_for_inference(model, channels_last=False, keep_cpu_memory=True)
    assert calls == [True] and fast.summary['keep_cpu_memory'] is True
