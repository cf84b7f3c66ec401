"""State of NCEMemoryBank (bank, Z, step, noise seed) across save/restore and interruption."""

import os

import keras
import numpy as np
import pytest

from kzoo.layers import NCEMemoryBank
from kzoo.losses import NCELoss
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy

pytestmark = pytest.mark.multi_backend

N, EPOCHS, BATCH = 48, 4, 16


def _build(mode="nce"):
    images = keras.Input((10,))
    ids = keras.Input((), dtype="int32")
    dense = keras.layers.Dense(6, kernel_initializer=keras.initializers.GlorotUniform(seed=2))
    f = keras.layers.UnitNormalization()(dense(images))
    bank = NCEMemoryBank(N, num_negatives=5, temperature=0.5, seed=7, mode=mode, name="bank")
    model = keras.Model([images, ids], bank([f, ids]))
    loss = (
        NCELoss(N)
        if mode == "nce"
        else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), loss=loss)
    return model


def _data():
    x = np.random.default_rng(0).normal(size=(N, 10)).astype("float32")
    ids = np.arange(N, dtype="int32")
    return (x, ids), ids


def _state(model):
    layer = model.get_layer("bank")
    state = {
        "bank": to_numpy(layer.bank),
        "step": int(to_numpy(layer.step)),
        "seed": to_numpy(layer.seed_generator.state),
    }
    if layer.mode == "nce":
        state["log_z"] = float(to_numpy(layer.log_z))
    return state


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise RuntimeError("interrupted")


class TestNCEMemoryBankSaving(TestCase):
    def assertStateEqual(self, a, b, atol=0.0):
        assert a.keys() == b.keys()
        for key in a:
            self.assertAllClose(a[key], b[key], atol=atol, rtol=0, msg=key)

    @pytest.mark.parametrize("mode", ["nce", "softmax"])
    def test_keras_file_round_trip(self, tmp_path, mode):
        model = _build(mode)
        x, y = _data()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
        state = _state(model)
        assert state["step"] == N // BATCH
        if mode == "nce":
            assert np.isfinite(state["log_z"])
        path = os.path.join(tmp_path, "model.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertStateEqual(_state(restored), state)
        self.assertAllClose(restored(x), model(x), atol=1e-6)
        restored.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
        self.assertStateEqual(_state(restored), _state(model), atol=1e-6)
        assert _state(restored)["step"] == 2 * (N // BATCH)

    def test_weights_checkpoint_round_trip(self, tmp_path):
        model = _build()
        x, y = _data()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
        path = os.path.join(tmp_path, "ckpt.weights.h5")
        model.save_weights(path)
        fresh = _build()
        assert _state(fresh)["step"] == 0
        fresh.load_weights(path)
        self.assertStateEqual(_state(fresh), _state(model))

    def test_backup_and_restore_resumes_exactly(self, tmp_path):
        x, y = _data()
        reference = _build()
        reference.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0, shuffle=False)
        backup = keras.callbacks.BackupAndRestore(os.path.join(tmp_path, "backup"))
        model = _build()
        with pytest.raises(RuntimeError, match="interrupted"):
            model.fit(
                x,
                y,
                batch_size=BATCH,
                epochs=EPOCHS,
                verbose=0,
                shuffle=False,
                callbacks=[backup, _Interrupt()],
            )
        interrupted = _state(model)
        assert interrupted["step"] == 2 * (N // BATCH)
        resumed = _build()
        history = resumed.fit(
            x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0, shuffle=False, callbacks=[backup]
        )
        assert len(history.history["loss"]) == EPOCHS - 2
        final = _state(resumed)
        assert final["step"] == EPOCHS * (N // BATCH)
        assert final["log_z"] == interrupted["log_z"]
        self.assertStateEqual(final, _state(reference), atol=1e-5)
