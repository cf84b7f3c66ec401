"""Fine-tune a pretrained zoo model on the AT&T faces (40 people, 10 images each, 28×28).

Closed set: `kzoo.load(MODEL, num_classes=40)` is fine-tuned on images 0–6 of every person (and
their mirror images) and
classifies images 7–9; beside it, the 1-nearest-neighbour accuracy of the raw pixels.
Open set: a second model is fine-tuned on people 0–29 only; people 30–39 are identified by the
nearest neighbour of their embedding among their images 0–6 (the gallery), for the pretrained
embedding, the fine-tuned one and the raw pixels.

    KZOO_DATA=/path/to/datasets python examples/fine_tune_faces.py [--local-hub] [--epochs 30]

`--local-hub` serves the project's hub/ with olah for the run (kzoo.zoo.local_hub()); without it
kzoo.load uses HF_ENDPOINT, the cache, or the verified copies shipped in hub/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time

import keras
import numpy as np

import kzoo

TRAIN_IMAGES = 7  # images 0–6 of each person train, 7–9 test
HELD_OUT = 10  # people 30–39 are never fine-tuned on (open set)


def load_faces(scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images (400, 28, 28, 1) scaled as the model expects, labels, image index 0–9)."""
    images, labels = kzoo.datasets.load_att_faces(size=(28, 28))
    index = np.arange(len(labels)) % 10
    return images[..., None].astype("float32") * scale, labels, index


def nearest_neighbour_accuracy(gallery, gallery_y, probes, probes_y, cosine=True) -> float:
    a = gallery.reshape(len(gallery), -1).astype("float64")
    b = probes.reshape(len(probes), -1).astype("float64")
    if cosine:
        a /= np.linalg.norm(a, axis=1, keepdims=True)
        b /= np.linalg.norm(b, axis=1, keepdims=True)
        nearest = np.argmax(b @ a.T, axis=1)
    else:
        nearest = np.argmin(((b[:, None] - a[None]) ** 2).sum(-1), axis=1)
    return float(np.mean(gallery_y[nearest] == probes_y))


def fine_tune(name, x, y, num_classes, epochs, head, head_kwargs, seed=0):
    """kzoo.load(name, num_classes=...) fitted on `x` and its mirror images."""
    keras.utils.set_random_seed(seed)
    model = kzoo.load(name, num_classes=num_classes, head=head, head_kwargs=head_kwargs)
    x, y = np.concatenate([x, x[:, :, ::-1]]), np.concatenate([y, y])
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    return model


def run(name, epochs, head=None, head_kwargs=None, seed=0) -> dict:
    scale = kzoo.info(name)["input"]["scale"]
    x, y, index = load_faces(scale)
    train, test = index < TRAIN_IMAGES, index >= TRAIN_IMAGES
    result = {"model": name, "epochs": epochs, "head": head, "head_kwargs": head_kwargs}

    start = time.perf_counter()
    model = fine_tune(name, x[train], y[train], 40, epochs, head, head_kwargs, seed)
    _, logits = model.predict(x[test], verbose=0)
    result["closed_set_test_accuracy"] = float(np.mean(np.argmax(logits, -1) == y[test]))
    result["raw_pixel_1nn_accuracy"] = nearest_neighbour_accuracy(
        x[train], y[train], x[test], y[test], cosine=False
    )

    known = y < 40 - HELD_OUT
    model = fine_tune(name, x[train & known], y[train & known], 30, epochs, head, head_kwargs, seed)
    gallery, probes = train & ~known, test & ~known
    pretrained = kzoo.load(name, include_head=False)
    for label, embed in (
        ("pretrained", lambda v: pretrained.predict(v, verbose=0)),
        ("fine_tuned", lambda v: model.predict(v, verbose=0)[0]),
    ):
        result[f"open_set_1nn_{label}"] = nearest_neighbour_accuracy(
            embed(x[gallery]), y[gallery], embed(x[probes]), y[probes]
        )
    result["open_set_1nn_raw_pixels"] = nearest_neighbour_accuracy(
        x[gallery], y[gallery], x[probes], y[probes], cosine=False
    )
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sphereface_resnet20")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--head", default="arcface", help="a kzoo.models.HEADS name")
    parser.add_argument(
        "--head-kwargs", default='{"scale": 16.0, "margin": 0.2}', help="the head's, as JSON"
    )
    parser.add_argument("--local-hub", action="store_true", help="serve hub/ with olah meanwhile")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    head_kwargs = json.loads(args.head_kwargs) if args.head_kwargs else None
    hub = kzoo.zoo.local_hub() if args.local_hub else contextlib.nullcontext()
    with hub:
        result = run(args.model, args.epochs, args.head, head_kwargs)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
