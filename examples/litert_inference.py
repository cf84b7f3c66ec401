"""Run an exported `.tflite` with the LiteRT interpreter on a few Fashion-MNIST test images.

This is the check an Android/iOS developer does before shipping: the plain tensor API
(allocate, set input, invoke, read outputs by name), one image at a time, float32 pixels in
[0, 1] shaped as the file's input, predictions printed next to the true labels.

    # a file from `kzoo export NAME --format tflite` or `kzoo.export.to_tflite`:
    PYTHONPATH=$PWD python examples/litert_inference.py model.tflite --num-images 8
    # or train a tiny CNN for a few seconds, export it (fp32/fp16/int8) and check it:
    PYTHONPATH=$PWD python examples/litert_inference.py --demo --quantize int8
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np


def demo_export(path: str, quantize: str, data_dir: str | None) -> None:
    """Trains a tiny embedding + logits CNN briefly (TensorFlow backend) and exports it."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    from kzoo.datasets import load_fashion_mnist
    from kzoo.export import representative_sample, to_tflite

    (x_train, y_train), _ = load_fashion_mnist(data_dir)
    x_train = (x_train[:6000].astype("float32") / 255.0)[..., None]
    keras.utils.set_random_seed(0)
    inputs = keras.Input((28, 28, 1), name="image")
    x = keras.layers.Conv2D(16, 3, strides=2, activation="relu")(inputs)
    x = keras.layers.Conv2D(32, 3, strides=2, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    embedding = keras.layers.UnitNormalization(name="embedding")(keras.layers.Dense(32)(x))
    logits = keras.layers.Dense(10, name="logits")(embedding)
    model = keras.Model(inputs, [embedding, logits])
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=[None, loss])
    model.fit(x_train, y_train[:6000], batch_size=64, epochs=3, verbose=0)
    calibration = representative_sample(x_train) if quantize == "int8" else None
    report = to_tflite(model, path, quantize=quantize, representative_data=calibration)
    size = report.size_bytes / 1024
    print(f"exported {report.path} ({size:.1f} KiB, {quantize}), outputs {report.output_names}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", help="the .tflite file")
    parser.add_argument("--demo", action="store_true", help="train and export a tiny CNN first")
    parser.add_argument(
        "--quantize", default="none", choices=["none", "fp16", "int8"], help="for --demo"
    )
    parser.add_argument("--num-images", type=int, default=8)
    parser.add_argument("--data-dir", default=None, help="default: $KZOO_DATA")
    args = parser.parse_args()
    if not args.model and not args.demo:
        parser.error("give a .tflite file or --demo")
    path = args.model or os.path.join(tempfile.mkdtemp(), f"demo-{args.quantize}.tflite")
    if args.demo:
        demo_export(path, args.quantize, args.data_dir)

    from ai_edge_litert.interpreter import Interpreter

    from kzoo.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

    _, (x_test, y_test) = load_fashion_mnist(args.data_dir)
    interpreter = Interpreter(model_path=path)
    (image_input,) = interpreter.get_input_details()
    shape = [1, *[int(d) for d in image_input["shape_signature"][1:]]]
    interpreter.resize_tensor_input(image_input["index"], shape)
    interpreter.allocate_tensors()
    outputs = {d["name"]: d for d in interpreter.get_output_details()}
    dtype = image_input["dtype"].__name__
    print(f"input {image_input['name']} {shape} {dtype}; outputs {list(outputs)}")
    correct = 0
    for i in range(args.num_images):
        pixels = (x_test[i].astype("float32") / 255.0).reshape(shape)
        interpreter.set_tensor(image_input["index"], pixels.astype(image_input["dtype"]))
        interpreter.invoke()
        values = {name: interpreter.get_tensor(d["index"])[0] for name, d in outputs.items()}
        truth = FASHION_MNIST_CLASSES[y_test[i]]
        if "logits" in values:
            logits = values["logits"].astype(np.float64)
            probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
            k = int(probs.argmax())
            correct += k == y_test[i]
            line = f"predicted {FASHION_MNIST_CLASSES[k]:12s} p={probs[k]:.2f}"
        else:
            line = ""
        if "embedding" in values:
            e = values["embedding"]
            head = ", ".join(f"{v:+.3f}" for v in e[:3])
            line += f"  embedding[{len(e)}] |e|={np.linalg.norm(e):.4f} [{head}, ...]"
        print(f"image {i}: true {truth:12s} {line}")
    if any("logits" in n for n in outputs):
        print(f"{correct}/{args.num_images} correct")


if __name__ == "__main__":
    main()
