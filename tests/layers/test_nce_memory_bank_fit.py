"""A short real instance-discrimination run on a Fashion-MNIST subset (no labels in training)."""

import keras
import numpy as np
import pytest

from kzoo.callbacks import WeightedKNNMonitor
from kzoo.datasets import FASHION_MNIST_MEAN, FASHION_MNIST_STD, load_fashion_mnist
from kzoo.datasets.data_files import DatasetFileError
from kzoo.layers import NCEMemoryBank
from kzoo.losses import NCELoss

pytestmark = pytest.mark.multi_backend

N_TRAIN, N_VAL, EPOCHS = 1000, 1000, 10


def _load():
    try:
        (x, y), (xv, yv) = load_fashion_mnist()
    except DatasetFileError as error:
        pytest.skip(str(error))

    def prep(images):
        return (
            (images.astype("float32") / 255.0 - FASHION_MNIST_MEAN) / FASHION_MNIST_STD
        ).reshape(len(images), -1)

    return prep(x[:N_TRAIN]), y[:N_TRAIN], prep(xv[:N_VAL]), yv[:N_VAL]


@pytest.mark.parametrize(
    "mode, kwargs", [("nce", {"num_negatives": 64, "proximal_weight": 30.0}), ("softmax", {})]
)
def test_instance_discrimination_improves_knn_accuracy(mode, kwargs):
    keras.utils.set_random_seed(0)
    x, y, xv, yv = _load()
    images = keras.Input((784,))
    h = keras.layers.Dense(256)(images)
    h = keras.layers.ReLU()(keras.layers.BatchNormalization()(h))
    h = keras.layers.BatchNormalization()(keras.layers.Dense(64)(h))
    embedder = keras.Model(images, keras.layers.UnitNormalization()(h))
    ids = keras.Input((), dtype="int32")
    bank = NCEMemoryBank(N_TRAIN, temperature=0.1, momentum=0.5, mode=mode, seed=3, **kwargs)
    model = keras.Model([images, ids], bank([embedder(images), ids]))
    loss = (
        NCELoss(N_TRAIN)
        if mode == "nce"
        else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.compile(keras.optimizers.Adam(1e-3), loss=loss)
    monitor = WeightedKNNMonitor(
        embedder,
        (xv, yv),
        (x, y),
        k=200,
        temperature=0.1,
        every_n_epochs=EPOCHS,
        evaluate_on_train_begin=True,
    )
    index = np.arange(N_TRAIN, dtype="int32")
    model.fit((x, index), index, batch_size=128, epochs=EPOCHS, verbose=0, callbacks=[monitor])
    print(mode, monitor.history)
    (_, initial), (_, after_first), (_, final) = monitor.history
    assert final > initial + 0.03, monitor.history
    assert int(keras.ops.convert_to_numpy(bank.step)) == EPOCHS * int(np.ceil(N_TRAIN / 128))
