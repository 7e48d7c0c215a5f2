"""QGN against the authors' released code (kashyap7x/QGN @ ee5399a, SparseConvNet @ cf251d0 built
from source): parameter counts, released-layout decoder checkpoints that reproduce the released
outputs ('gt' scheme) and the released inference, and the released label coding.

``tests/data/qgn_official_{basic,bottleneck}.pt`` were written once by the released code (run
outside this repository): ``ResNetTransposeSparse`` with ``TransBasicBlockSparse`` /
``TransBottleneckSparse`` (the "ResNet-34" / "ResNet-50" decoders), its hard-coded widths
512-256-128-64 reduced to 16-8-8-4 and the encoder channels 128 ... 2048 to 4 ... 64 (its
``__init__`` copied line by line with the new numbers; the blocks, layers and forward pass are the
released ones), blocks 2-2-2-2, 3 classes. Random weights (the released ``weights_init``), BatchNorm
shifts in [1, 2] and running statistics of one training pass (variances + 1), random encoder maps,
and the released label pipeline (``dense2quad`` + ``dataset.py``'s remapping) of a blob label map
with an ignore corner. Stored: the released ``state_dict``, the encoder maps, the label map and its
released per-level coding, the six dense level outputs (eval; and train for the basic decoder) of
the released forward with those labels (``sparse_mode=True, use_skip=True``), and the released
``QGN`` module's inference (``use_softmax=True``, masks from the labels) at a 40x72 output.
"""
import os

import pytest
import torch

from graphseg.graphs import from_official_labels, t_pyramid, to_official_labels
from graphseg.models import create_model, load_official, resnet50_deepstem
from graphseg.nn import QGNDecoder
from tests.helpers import DATA

# measured with the released code (19 classes)
# QGN_resnet34 / 50
RELEASED = {('qgn_resnet34', True): 34_111_736, ('qgn_resnet50', True): 47_064_696,
            # QGN_dense_resnet34 / 50
            ('qgn_resnet34', False): 34_992_376, ('qgn_resnet50', False): 48_805_496}
RELEASED_ENCODER = 23_631_808  # MIT CSAIL deep-stem ResNet-50 without fc


@pytest.mark.parametrize('name,sparse', sorted(RELEASED))
def test_released_parameter_counts(name, sparse):
    model = create_model(name, num_classes=19, sparse=sparse)
    assert sum(p.numel() for p in model.decoder.parameters()) == RELEASED[name, sparse]
    assert sum(p.numel() for p in model.encoder.parameters()) == RELEASED_ENCODER
    # the released noskip decoders build the lower skip layers but never use them; graphseg does not
    # build them
    noskip = create_model(name, num_classes=19, sparse=sparse, skips='top')
    unused = sum(p.numel() for s in model.decoder.skips[1:] for p in s.parameters())
    assert sum(p.numel() for p in noskip.decoder.parameters()) == RELEASED[name, sparse] - unused


def _fixture(name):
    data = torch.load(os.path.join(DATA, f'qgn_official_{name}.pt'), weights_only=True)
    k = data['num_classes']
    labels = data['labels'].long()
    labels[labels < 0] = 255
    return data, k, t_pyramid(labels[None], 6, k)


def test_label_coding_matches_the_released_pipeline():
    data, k, pyramid = _fixture('basic')
    released = [lv.long()[None] for lv in data['official_levels']]
    mine = to_official_labels(pyramid, k)
    assert all(torch.equal(a, b) for a, b in zip(mine, released))
    assert all(torch.equal(a, b) for a, b in zip(from_official_labels(released, k), pyramid))
    assert {int(v) for lv in released for v in lv.unique()} <= {-1, 0, 1, 2, 3}
    with pytest.raises(ValueError, match=r'levels\[0\] must hold values in \[-1, 3\]'):
        from_official_labels([released[0] + 5] + released[1:], k)


@pytest.mark.parametrize('name,block,widths', [('basic', 'basic', (16, 8, 8, 4, 4)),
                                               ('bottleneck', 'bottleneck', (64, 32, 32, 16, 16))])
def test_released_decoder_reproduces_released_outputs(name, block, widths, device):
    data, k, pyramid = _fixture(name)
    dec = QGNDecoder((4, 8, 16, 32, 64), k, widths, (2, 2, 2, 2), 3, block=block)
    load_official(dec, data['state_dict'])
    dec = dec.to(device).eval()
    feats = [f.float().to(device) for f in data['features']]
    pyramid = [t.to(device) for t in pyramid]
    with torch.no_grad():
        out = dec(feats, 'gt', pyramid)
        # the released inference: per-level masks, bilinear upsampling to any size, sum, softmax
        # over the classes
        probs = out.bilinear_logits(data['inference_size']).softmax(1).cpu()
    torch.testing.assert_close(probs, data['inference_probs'], atol=1e-5, rtol=0)
    modes = [('eval', out)]
    if 'quad_preds_train' in data:  # batch statistics over the active sites only
        with torch.no_grad():
            modes.append(('train', dec.train()(feats, 'gt', pyramid)))
    for mode, res in modes:
        for released, level in zip(data[f'quad_preds_{mode}'], range(5, -1, -1)):
            # released coding (composite first) -> graphseg's (last)
            released = released.roll(-1, dims=1)
            active = res.active_mask(level).cpu()
            # the released dense maps are zero off the active sites (level 0: the bias)
            if 0 < level < 5:
                assert torch.equal(active, released.abs().sum(1) > 0), (mode, level)
            mine = res.logits[level].to_dense().cpu()
            torch.testing.assert_close(mine * active[:, None], released * active[:, None],
                                       atol=1e-5, rtol=0)


def test_load_official_qgn_keys_and_encoder():
    data, k, _ = _fixture('basic')
    dec = QGNDecoder((4, 8, 16, 32, 64), k, (16, 8, 8, 4, 4), (2, 2, 2, 2), 3)
    # the released QGN module
    wrapped = {'orig_resnet.' + key: v for key, v in data['state_dict'].items()}
    load_official(dec, wrapped)
    ref = QGNDecoder((4, 8, 16, 32, 64), k, (16, 8, 8, 4, 4), (2, 2, 2, 2), 3)
    load_official(ref, data['state_dict'])
    assert all(torch.equal(a, b) for a,
               b in zip(dec.state_dict().values(), ref.state_dict().values()))
    top = QGNDecoder((4, 8, 16, 32, 64), k, (16, 8, 8, 4, 4), (2, 2, 2, 2), 3, skips='top')
    load_official(top, data['state_dict'])  # the unused released skip layers are dropped
    with pytest.raises(KeyError, match='checkpoint keys with no place in QGNDecoder'):
        load_official(dec, {**data['state_dict'], 'context.conv.weight': torch.zeros(1)})
    # the released encoder: MIT CSAIL's ResNet-50 keys are resnet50_deepstem's, plus synchronized-BN
    # bookkeeping
    enc = {key: v for key,
           v in resnet50_deepstem().state_dict().items() if not key.startswith('fc.')}
    enc = {key: torch.randn_like(v) if v.is_floating_point() else v for key, v in enc.items()}
    enc.update({'bn1._tmp_running_mean': torch.zeros(64), 'bn1._tmp_running_var': torch.ones(64),
                'bn1._running_iter': torch.ones(1)})
    model = create_model('qgn_resnet34', num_classes=3)
    load_official(model, None, encoder=enc)
    assert torch.equal(model.encoder.layer4[2].conv3.weight, enc['layer4.2.conv3.weight'])
    with pytest.raises(ValueError, match='checkpoint may be None only to load a QGN encoder alone'):
        load_official(dec, None)
