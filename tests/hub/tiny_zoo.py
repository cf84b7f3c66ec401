"""A tiny test architecture (a few KB of weights) registered as a zoo builder, and its entry."""

from __future__ import annotations

import keras

from kzoo.zoo import register_builder

TINY_KEY = "tiny_net.v1"


@keras.saving.register_keras_serializable(package="kzoo_test")
class TinyL2Normalize(keras.layers.Layer):
    """L2-normalises the last axis (a custom layer, so loading must find registered objects)."""

    def __init__(self, epsilon: float = 1e-12, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, x):
        return x / keras.ops.sqrt(
            keras.ops.maximum(keras.ops.sum(x * x, axis=-1, keepdims=True), self.epsilon)
        )

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def build_tiny_net(embedding_size: int = 8, classes: int = 10, seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28, 1), name="image")
    x = keras.layers.Conv2D(4, 3, strides=2, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dense(embedding_size, name="project")(x)
    embedding = TinyL2Normalize(name="embedding")(x)
    logits = keras.layers.Dense(classes, name="logits")(embedding)
    return keras.Model(inputs, [embedding, logits], name="tiny_net")


register_builder("tiny_test_net", build_tiny_net, overwrite=True)


def tiny_entry(**overrides) -> dict:
    entry = {
        "repo_id": "kzoo-test/tiny_net.v1",
        "architecture": {
            "builder": "tiny_test_net",
            "kwargs": {"embedding_size": 8, "classes": 10},
        },
        "input": {"shape": [28, 28, 1], "dtype": "float32", "scale": 1 / 255, "offset": 0.0},
        "outputs": ["embedding", "logits"],
        "embedding_size": 8,
        "classes": 10,
        "eval": {
            "evaluator": "classification",
            "dataset": "fashion_mnist",
            "split": "test",
            "kwargs": {},
        },
        "metrics": {"accuracy": 0.1, "recall_at_1": 0.2},
        "metrics_tolerance": 0.005,
        "recipe": {
            "script": "tests/zoo/tiny_zoo.py",
            "command": "python -m pytest tests/zoo",
            "args": {"seed": 0},
        },
        "license": "apache-2.0",
        "papers": [{"title": "SphereFace", "url": "https://arxiv.org/abs/1704.08063"}],
        "tags": ["test"],
        "description": "A random-weight test model.",
    }
    entry.update(overrides)
    return entry


def empty_manifest(path) -> str:
    path.write_text('{"format_version": 1, "default_tags": {}, "models": {}}\n')
    return str(path)
