"""BatchNormalization policy for fine-tuning a zoo model: measured on the AT&T faces.

A pretrained zoo backbone gets a fresh margin head for the 40 people (kzoo.models.MarginModel) and
is fine-tuned on images 0–6 of each person (28×28), then classifies images 7–9. Policies:

- frozen: BN layers not trainable (Keras' transfer-learning guide): inference-mode BN with the
  pretraining data's moving statistics, during fine-tuning and after.
- recal_frozen: moving statistics recalibrated on the new training images first, then frozen.
- trainable: BN trainable (batch statistics while training, moving statistics updated with the
  layers' momentum, 0.99).
- trainable_recal: as trainable, then the moving statistics recalibrated on the training images.
- trainable_m09: as trainable with momentum 0.9 (what kzoo.load(..., num_classes=N) sets).

    KZOO_DATA=... python benchmarks/fine_tune_bn_policy.py arcface 30 frozen trainable_m09 \
        [--model sphereface_resnet20] [--flip] [--seed 0]

Each policy prints one JSON line. Results: benchmarks/results/fine_tune_bn_policy.md.
"""

from __future__ import annotations

import argparse
import json
import time

import keras
import numpy as np

import kzoo
from kzoo.heads import ArcFace
from kzoo.models import HEADS, MarginModel
from kzoo.models.fine_tuning import batch_norm_layers, recalibrate_batch_norm

POLICIES = ("frozen", "recal_frozen", "trainable", "trainable_recal", "trainable_m09")


def nearest_neighbour(a, ya, b, yb, cosine=False) -> float:
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    if cosine:
        a = a / np.linalg.norm(a, axis=1, keepdims=True)
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
        return float(np.mean(ya[np.argmax(b @ a.T, 1)] == yb))
    return float(np.mean(ya[np.argmin(((b[:, None] - a[None]) ** 2).sum(-1), 1)] == yb))


def run(pretrained_path, policy, head, epochs, data, flip=False, seed=0) -> dict:
    xtr, ytr, xte, yte = data
    keras.utils.set_random_seed(seed)
    backbone = keras.saving.load_model(pretrained_path, compile=False).get_layer("backbone")
    if head == "arcface":
        new_head = ArcFace(40, scale=16.0, margin=0.2, name="head")
    else:
        cls, defaults = HEADS[head]
        new_head = cls(40, **defaults, name="head")
    model = MarginModel(backbone, new_head)
    if policy == "recal_frozen":
        recalibrate_batch_norm(backbone, xtr)
    if policy in ("frozen", "recal_frozen"):
        for layer in batch_norm_layers(backbone):
            layer.trainable = False
    if policy == "trainable_m09":
        for layer in batch_norm_layers(backbone):
            layer.momentum = 0.9
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x, y = (
        (np.concatenate([xtr, xtr[:, :, ::-1]]), np.concatenate([ytr, ytr]))
        if flip
        else (
            xtr,
            ytr,
        )
    )
    start = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    if policy == "trainable_recal":
        recalibrate_batch_norm(backbone, xtr)
    etr, _ = model.predict(xtr, verbose=0)
    ete, logits = model.predict(xte, verbose=0)
    return {
        "test_accuracy": float(np.mean(np.argmax(logits, -1) == yte)),
        "embedding_1nn": nearest_neighbour(etr, ytr, ete, yte, cosine=True),
        "fit_seconds": round(seconds, 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("head", help="'arcface' (s 16, m 0.2) or a kzoo.models.HEADS name")
    parser.add_argument("epochs", type=int)
    parser.add_argument("policies", nargs="+", choices=POLICIES)
    parser.add_argument("--model", default="sphereface_resnet20")
    parser.add_argument("--flip", action="store_true", help="add the mirror images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default="/tmp/kzoo_fine_tune_pretrained.keras")
    args = parser.parse_args(argv)
    with kzoo.zoo.local_hub():
        kzoo.load(args.model).save(args.cache)
    scale = kzoo.info(args.model)["input"]["scale"]
    images, labels = kzoo.datasets.load_att_faces(size=(28, 28))
    x = images[..., None].astype("float32") * scale
    train = np.arange(len(labels)) % 10 < 7
    data = (x[train], labels[train], x[~train], labels[~train])
    print(json.dumps({"raw_pixel_1nn": nearest_neighbour(*data)}), flush=True)
    for policy in args.policies:
        result = run(args.cache, policy, args.head, args.epochs, data, args.flip, args.seed)
        row = {"backend": keras.backend.backend(), "model": args.model, "head": args.head}
        row.update(epochs=args.epochs, policy=policy, flip=args.flip, seed=args.seed, **result)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
