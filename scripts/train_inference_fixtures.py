"""Train the tiny model of every family and write ``tests/data/inference_tiny.pt``.

``python scripts/train_inference_fixtures.py [--steps 1000] [--out tests/data/inference_tiny.pt]``

The mixed-precision tests of the inference fast path (``tests/models/test_inference.py``) need
*trained* models: on random weights the logits are nearly tied and say little about where bf16 /
fp16 flip the arg-max. Each family of ``tests/models/tiny_models.py`` (dense FCN, HG-Conv, RepGraph,
HyperSeg, QGN with its sparse decoder) is trained from seed 0 on the digit scenes
(``MNISTSegmentation``, 64x64 RGB photo backdrops, 11 classes) with AdamW and a poly schedule,
then the file keeps, in float32, each model's ``state_dict`` (packed into one tensor,
``tests.models.tiny_models.pack_state``) and 8 validation images (uint8) with their labels. The
script prints each model's validation pixel accuracy and mIoU; the whole run takes about 15
minutes on 2 CPU cores and is deterministic on one machine (another CPU may round differently;
the tests only need trained weights, not these exact ones). Committed: 1000 steps, val mIoU
0.11-0.16 (background is 84 % of the pixels; the tiny models find most digits but not their
class), median arg-max margins of 3.6-9 logits.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from graphseg.data import MNISTSegmentation  # noqa: E402
from graphseg.fileio import atomic_torch_save, load_torch  # noqa: E402
from graphseg.models import model_logits  # noqa: E402
from tests.models.tiny_models import (FIXTURE, NUM_CLASSES, SIZE, TINY_MODELS,  # noqa: E402
                                      pack_state)

IGNORE = 255


def batches(dataset, batch_size: int, steps: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(len(dataset), (batch_size,), generator=g).tolist()
        images, labels = zip(*(dataset[i] for i in idx))
        yield torch.stack(images), torch.stack(labels)


def loss_of(model, image, label, weight):
    if hasattr(model, 'compute_loss'):  # QGN: the level loss of the ground-truth scheme
        return model.compute_loss(image, label)
    return F.cross_entropy(model_logits(model(image)), label, weight=weight, ignore_index=IGNORE)


def scores(pred, label):
    valid = label != IGNORE
    acc = float((pred[valid] == label[valid]).float().mean())
    ious = []
    for c in range(NUM_CLASSES):
        p, t = (pred == c) & valid, (label == c) & valid
        if t.any():
            ious.append(float((p & t).sum()) / float((p | t).sum()))
    return acc, sum(ious) / len(ious)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--steps', type=int, default=1000, help='training steps per model')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--models', default=','.join(TINY_MODELS),
                        help='families to train, comma-separated (the others are kept from --out '
                             'if it exists)')
    parser.add_argument('--val-images', type=int, default=8,
                        help='validation images kept in the file (8 keep it under 1 MB)')
    parser.add_argument('--lr', type=float, default=5e-3)
    parser.add_argument('--background-weight', type=float, default=0.1,
                        help='cross-entropy weight of the background class (most pixels; at 1 the '
                             'tiny models settle on predicting background everywhere)')
    parser.add_argument('--out', default=FIXTURE)
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    train = MNISTSegmentation('train', num_samples=args.steps * args.batch_size, size=SIZE,
                              rgb=True, seed=0)
    val = MNISTSegmentation('val', num_samples=args.val_images, size=SIZE, rgb=True, seed=1)
    val_images, val_labels = map(torch.stack, zip(*(val[i] for i in range(len(val)))))
    result = {'images': (val_images * 255).round().to(torch.uint8),
              'labels': val_labels.to(torch.uint8),  # 0-10 and 255 = ignore
              'models': {}, 'steps': args.steps}
    weight = torch.ones(NUM_CLASSES)
    weight[0] = args.background_weight
    if os.path.isfile(args.out):
        result['models'] = load_torch(args.out, 'fixture', verify=False)['models']
    for name in args.models.split(','):
        build = TINY_MODELS[name]
        torch.manual_seed(0)
        model = build().train()
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (1 - s / args.steps) ** 0.9)
        t0 = time.perf_counter()
        for step, (image, label) in enumerate(batches(train, args.batch_size, args.steps, 0)):
            loss = loss_of(model, image, label, weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            pred = model_logits(model(val_images)).argmax(1)
        acc, miou = scores(pred, val_labels)
        print(f'{name:9s} {args.steps} steps in {time.perf_counter() - t0:6.1f} s: last loss '
              f'{float(loss.detach()):.3f}, val pixel accuracy {acc:.3f}, mIoU {miou:.3f}',
              flush=True)
        result['models'][name] = pack_state(model.state_dict())
        # after every family (atomic): an interrupted run keeps what it trained
        atomic_torch_save(result, args.out, checksum=False)
    print(f'wrote {args.out} ({os.path.getsize(args.out) / 2 ** 20:.2f} MiB)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
