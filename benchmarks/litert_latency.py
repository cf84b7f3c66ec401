"""Per-image latency of the LiteRT interpreter vs Keras, and file sizes, for none/fp16/int8.

A small CNN (embedding + logits, the shape of a kzoo classifier) is trained briefly on
Fashion-MNIST, exported with `kzoo.export.to_tflite` in the three modes and verified with
`verify_tflite` on test images. Latency is measured at batch 1 on the same test images:
the LiteRT interpreter (`ai_edge_litert`, tensor API, XNNPACK default delegate), Keras
`model.predict(x[i:i+1])` and a direct `model(x, training=False)` call.

    KERAS_BACKEND=tensorflow PYTHONPATH=$PWD python benchmarks/litert_latency.py --out bench.json

With `--zoo NAME` the published zoo model is used instead (fetched through the Hugging Face
client from the local mirror, `hub/`), on its own dataset:

    KERAS_BACKEND=tensorflow PYTHONPATH=$PWD python benchmarks/litert_latency.py \
        --zoo sphereface_resnet20.fashion_mnist

Timings depend on the CPU and its load (printed); compare rows within one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kzoo.datasets import load_fashion_mnist  # noqa: E402
from kzoo.export import representative_sample, to_tflite, verify_tflite  # noqa: E402
from kzoo.export.verify import load_interpreter  # noqa: E402


def build_cnn(embedding_dim: int = 64) -> keras.Model:
    inputs = keras.Input((28, 28, 1), name="image")
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(128, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    embedding = keras.layers.UnitNormalization(name="embedding")(
        keras.layers.Dense(embedding_dim)(x)
    )
    logits = keras.layers.Dense(10, name="logits")(keras.layers.Rescaling(16.0)(embedding))
    return keras.Model(inputs, [embedding, logits])


def train_cnn(train_samples: int, epochs: int):
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    x_train = (x_train[:train_samples].astype("float32") / 255.0)[..., None]
    x_test = (x_test.astype("float32") / 255.0)[..., None]
    keras.utils.set_random_seed(0)
    model = build_cnn()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=[None, loss])
    start = time.perf_counter()
    model.fit(x_train, y_train[:train_samples], batch_size=128, epochs=epochs, verbose=0)
    print(
        f"trained {epochs} epochs on {len(x_train)} images in {time.perf_counter() - start:.0f} s"
    )
    return model, (x_train, y_train[:train_samples]), (x_test, y_test)


def _times(fn, images: np.ndarray, warmup: int) -> dict[str, float]:
    for i in range(warmup):
        fn(images[i : i + 1])
    seconds = []
    for i in range(len(images)):
        start = time.perf_counter()
        fn(images[i : i + 1])
        seconds.append(time.perf_counter() - start)
    ms = np.asarray(seconds) * 1e3
    return {"median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90))}


def litert_runner(path: str, threads: int | None, shape: tuple[int, ...] = (28, 28, 1)):
    interpreter = load_interpreter(path, num_threads=threads)
    (inp,) = interpreter.get_input_details()
    interpreter.resize_tensor_input(inp["index"], [1, *shape])
    interpreter.allocate_tensors()
    outputs = [d["index"] for d in interpreter.get_output_details()]

    def run(x: np.ndarray) -> list[np.ndarray]:
        interpreter.set_tensor(inp["index"], x)
        interpreter.invoke()
        return [interpreter.get_tensor(i) for i in outputs]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-samples", type=int, default=12000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--test-samples", type=int, default=2000, help="for verification")
    parser.add_argument("--latency-images", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1, help="LiteRT interpreter threads")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--zoo", default=None, help="benchmark this published zoo model instead")
    args = parser.parse_args()

    if args.zoo:
        from kzoo.evaluation import load_data
        from kzoo.hub import local_hub
        from kzoo.zoo import load

        with local_hub():
            model = load(args.zoo, progress=False)
        (x_train, y_train), (x_test, y_test) = load_data(args.zoo)
    else:
        model, (x_train, y_train), (x_test, y_test) = train_cnn(args.train_samples, args.epochs)

    x_eval, y_eval = x_test[: args.test_samples], y_test[: args.test_samples]
    images = x_test[-args.latency_images :]
    calibration = representative_sample(x_train, 200)
    workdir = tempfile.mkdtemp()
    rows = []
    for mode in ("none", "fp16", "int8"):
        path = os.path.join(workdir, f"model-{mode}.tflite")
        report = to_tflite(
            model, path, quantize=mode, representative_data=calibration if mode == "int8" else None
        )
        check = verify_tflite(model, path, x_eval, y_eval)
        outputs = check["outputs"]
        scored = outputs.get("logits") or outputs["embedding"]  # embedding-only: its 1-NN
        rows.append(
            {
                "runtime": f"LiteRT {mode}",
                "size_bytes": report.size_bytes,
                **_times(litert_runner(path, args.threads, images.shape[1:]), images, args.warmup),
                "embedding_max_abs_diff": outputs["embedding"]["max_abs_diff"],
                "top1_agreement": scored["top1_agreement"],
                "accuracy": scored["litert_accuracy"],
                "accuracy_change": scored["accuracy_change"],
            }
        )
    keras_accuracy = scored["keras_accuracy"]
    common = {"size_bytes": 4 * model.count_params(), "accuracy": keras_accuracy}
    rows.append(
        {
            "runtime": "Keras predict",
            **common,
            **_times(lambda x: model.predict(x, verbose=0), images, args.warmup),
        }
    )
    rows.append(
        {
            "runtime": "Keras model(x)",
            **common,
            **_times(lambda x: model(x, training=False), images, args.warmup),
        }
    )

    load = os.getloadavg()[0]
    print(
        f"\n{args.zoo or 'small CNN'}: batch 1, {len(images)} test images, {os.cpu_count()} CPUs, "
        f"load avg {load:.1f}, "
        f"LiteRT threads {args.threads}; accuracy on {len(x_eval)} test images"
    )
    print(
        "| runtime | file | median ms | p90 ms | accuracy | Δacc vs Keras | top-1 agree "
        "| max abs diff emb |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        size = f"{r['size_bytes'] / 1024:.1f} KiB" + (
            " (fp32 params)" if r["runtime"].startswith("Keras") else ""
        )
        extra = (
            f"{r['accuracy_change']:+.4f} | {r['top1_agreement']:.4f} "
            f"| {r['embedding_max_abs_diff']:.2e}"
            if "top1_agreement" in r
            else "– | – | –"
        )
        print(
            f"| {r['runtime']} | {size} | {r['median_ms']:.3f} | {r['p90_ms']:.3f} "
            f"| {r['accuracy']:.4f} | {extra} |"
        )
    if args.out:
        meta = {
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "load_avg": load,
            "model": args.zoo or "small CNN trained here",
        }
        with open(args.out, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
