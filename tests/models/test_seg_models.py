"""Every registered segmentation model: the output dict, forward and backward, batch-independent
eval outputs, torch.compile (dense and RepGraph models), bad input. Big models are built, tiny
inputs run."""
import pytest
import torch

from graphseg.engine.losses import segmentation_loss
from graphseg.models import create_model, list_models, model_info

SEG_MODELS = list_models(task='segmentation')
#: input side of the torch.compile checks (dense and RepGraph models)
SIZE = 32
NUM_CLASSES = 3
#: (model, expected 'aux' in training mode): the registry's metadata
AUX = {n: model_info(n).aux for n in SEG_MODELS}


def build(name):
    return create_model(name, num_classes=NUM_CLASSES)


def size_of(name):
    """Smallest convenient input side (the registry's ``min_input_size``: HyperSeg's context head
    needs 2-4 cells at stride 32), a multiple of the model's ``input_divisor``."""
    info = model_info(name)
    return -(-info.min_input_size // info.input_divisor) * info.input_divisor


def test_registry_metadata_is_what_the_models_do():
    """The aux flag matches the families that have an auxiliary head (dilated / DCN ResNets,
    HG-ResNet, RGNet, the non-local baseline, HG-ResUNet with attention); QGN and HyperSeg need
    multiples of 32."""
    for n in SEG_MODELS:
        want = (n.endswith('_dilated') or n.endswith('_dcn')
                or n.startswith(('hg_resnet', 'rgnet_', 'nonlocal_')) or n == 'hg_resunet18_attn')
        assert AUX[n] == want, n
        if n.startswith(('qgn_', 'hyperseg_')):
            assert model_info(n).input_divisor == 32, n


def test_the_papers_networks_are_registered():
    for name in ['resnet18_dilated', 'resnet34_dilated', 'resnet50_dilated', 'resnet101_dilated',
                 'resnet50_dcn', 'resnet101_dcn', 'hg_resnet18', 'hg_resnet34', 'hg_resnet50',
                 'hg_resnet101', 'hg_resnet50_dcn', 'hg_resnet101_dcn', 'resunet18', 'resunet50',
                 'hg_resunet18', 'hg_resunet50', 'hg_resunet18_attn', 'rgnet_resnet18',
                 'rgnet_resnet50', 'rgnet_resnet101', 'nonlocal_resnet18', 'nonlocal_resnet50',
                 'nonlocal_resnet101']:
        assert name in SEG_MODELS, name
    assert 'resnet18' not in SEG_MODELS  # backbones are not segmentation models


@pytest.mark.parametrize('name', SEG_MODELS)
def test_every_model(name):
    """The output dict in training and eval mode, a backward pass through the training loss, and
    eval outputs that are deterministic and batch-independent: one image alone == the same image
    inside a batch, whatever the global RNG state (HG models included: their centre sampling draws
    from a per-image generator)."""
    torch.manual_seed(0)
    S = size_of(name)
    model = build(name).train()
    x = torch.rand(3, 3, S, S)
    out = model(x[:2])
    assert isinstance(out, dict) and out['out'].shape == (2, NUM_CLASSES, S, S)
    assert ('aux' in out) == AUX[name], sorted(out)
    if AUX[name]:
        assert out['aux'].shape == (2, NUM_CLASSES, S, S)
    labels = torch.randint(0, NUM_CLASSES, (2, S, S))
    # the model's compute_loss where it has one (QGN)
    segmentation_loss(model, x[:2], labels).backward()
    grads = [p.grad for p in model.parameters()]
    assert sum(g is not None and bool(g.abs().sum() > 0) for g in grads) > 0.5 * len(grads)
    model.eval()
    with torch.no_grad():
        torch.manual_seed(1)
        batch = model(x)
        assert 'aux' not in batch
        torch.manual_seed(2)
        alone = model(x[1:2])['out']
        torch.manual_seed(3)
        again = model(x[1:2])['out']
    # float32 kernels may pick another summation order for another batch size: 1e-4 on O(1) logits;
    # coupling between the images (shared sampling, batch statistics) would move them by O(1)
    torch.testing.assert_close(alone, batch['out'][1:2], atol=1e-4, rtol=1e-3)
    torch.testing.assert_close(again, alone)


@pytest.mark.parametrize('name', ['resnet18_dilated', 'rgnet_resnet18'])
def test_torch_compile(name):
    """Dense and RepGraph models trace with torch.compile(fullgraph=True): no graph breaks, same
    outputs."""
    torch._dynamo.reset()
    model = build(name).eval()
    x = torch.randn(2, 3, SIZE, SIZE)
    compiled = torch.compile(model, fullgraph=True, backend='aot_eager')
    with torch.no_grad():
        torch.testing.assert_close(compiled(x)['out'], model(x)['out'], atol=1e-5, rtol=1e-5)
    model.train()
    out = torch.compile(model, fullgraph=True, backend='aot_eager')(x)
    (out['out'].mean() + out['aux'].mean() if 'aux' in out else out['out'].mean()).backward()


@pytest.mark.parametrize('name,min_side',
                         [('resnet18_dilated', 8), ('hg_resnet18', 8), ('rgnet_resnet18', 8),
                                           ('resunet18', 32), ('hg_resunet18_attn', 16)])
def test_bad_input_names_the_argument(name, min_side):
    model = build(name)
    with pytest.raises(ValueError, match=r'x must have 3 channels, got shape \(1, 1, 32, 32\)'):
        model(torch.randn(1, 1, 32, 32))
    with pytest.raises(ValueError,
                       match=rf'x must be at least {min_side}x{min_side} pixels \(the output '
                             r'stride\), '
                                         rf'got \({min_side - 1}, 40\)'):
        model(torch.randn(1, 3, min_side - 1, 40))
    with pytest.raises(ValueError, match=r'x must be \(B, C, H, W\)'):
        model(torch.randn(3, 32, 32))
    with pytest.raises(TypeError, match='x must have a floating-point dtype'):
        model(torch.zeros(1, 3, 32, 32, dtype=torch.long))
    with pytest.raises(ValueError, match='num_classes must be an int >= 1, got 0'):
        create_model(name, num_classes=0)


def test_constructor_errors():
    from graphseg.models import DilatedResNet, ResUNet, resnet18
    with pytest.raises(ValueError, match=r'backbone must have output stride 8'):
        DilatedResNet(resnet18(), 3)
    with pytest.raises(ValueError,
                       match=r'backbone must have output stride 32 \(no dilation\): feature '
                             r'strides'):
        ResUNet(resnet18(replace_stride_with_dilation=(False, True, True)))
    with pytest.raises(TypeError, match='backbone must be a graphseg ResNet'):
        DilatedResNet(torch.nn.Conv2d(3, 3, 1), 3)
    with pytest.raises(ValueError, match=r"attention must be one of \('uncertainty', 'object'\)"):
        create_model('hg_resunet18_attn', attention='edges')
    with pytest.raises(ValueError, match='inter_channels must divide the 512 head channels'):
        create_model('nonlocal_resnet18', inter_channels=300)
