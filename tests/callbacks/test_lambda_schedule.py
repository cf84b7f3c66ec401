"""MarginLambdaScheduler: counts training batches into the head, saved with the model."""

import os
import tempfile

import keras
import numpy as np
import pytest

from kzoo import heads
from kzoo.callbacks import MarginLambdaScheduler

pytestmark = pytest.mark.multi_backend


def _model(head):
    inputs, labels = keras.Input((5,)), keras.Input((), dtype="int32")
    logits = head([keras.layers.Dense(2)(inputs), labels])
    model = keras.Model([inputs, labels], logits)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=40).astype("int32")
    return [rng.normal(size=(40, 5)).astype("float32"), y], y


def _iteration(head):
    return int(keras.ops.convert_to_numpy(head.iteration))


def test_counts_batches_and_anneals_lambda():
    head = heads.SphereFace(3, name="sphere")
    model = _model(head)
    x, y = _data()
    history = model.fit(
        x, y, batch_size=8, epochs=2, verbose=0, callbacks=[MarginLambdaScheduler()]
    )
    assert _iteration(head) == 10
    lambdas = history.history["margin_lambda"]
    np.testing.assert_allclose(lambdas, [1000 / (1 + 0.12 * 5), 1000 / (1 + 0.12 * 10)], rtol=1e-5)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert _iteration(head) == 10, "only training batches move the schedule"


def test_iteration_is_saved_and_training_resumes():
    head = heads.LSoftmax(3, margin=2, lambda_base=10.0, lambda_gamma=1.0, lambda_power=1.0)
    model = _model(head)
    x, y = _data()
    model.fit(x, y, batch_size=10, epochs=1, verbose=0, callbacks=[MarginLambdaScheduler()])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
    restored_head = [layer for layer in restored.layers if isinstance(layer, heads.LSoftmax)][0]
    assert _iteration(restored_head) == 4
    np.testing.assert_allclose(
        restored.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5
    )
    restored.fit(x, y, batch_size=20, epochs=1, verbose=0, callbacks=[MarginLambdaScheduler()])
    assert _iteration(restored_head) == 6
    assert float(keras.ops.convert_to_numpy(restored_head.current_lambda())) == pytest.approx(
        10 / 7
    )


def test_head_names_and_errors():
    head = heads.SphereFace(3, name="sphere")
    model = _model(head)
    x, y = _data()
    cb = MarginLambdaScheduler(head_names=["sphere"], verbose=1)
    model.fit(x, y, batch_size=40, epochs=1, verbose=0, callbacks=[cb])
    assert cb.current_lambdas() == {"sphere": pytest.approx(1000 / 1.12)}
    with pytest.raises(ValueError, match="not annealed margin heads"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[MarginLambdaScheduler(head_names=["nope"])])
    plain = _model(heads.CosFace(3))
    with pytest.raises(ValueError, match="found no LSoftmax/SphereFace head"):
        plain.fit(x, y, epochs=1, verbose=0, callbacks=[MarginLambdaScheduler()])
    with pytest.raises(TypeError, match="`head_names` must be a list"):
        MarginLambdaScheduler(head_names="sphere")
    assert MarginLambdaScheduler(["a"], 1).get_config() == {"head_names": ["a"], "verbose": 1}
