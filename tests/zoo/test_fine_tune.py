"""Fine-tuning a pretrained zoo model kzoo.load(name, num_classes=N), fit, predict."""

from __future__ import annotations

import numpy as np
import pytest

import kzoo
from kzoo.heads import ArcFace, SphereFace
from kzoo.models import MarginModel
from kzoo.zoo import local_hub

NAME = "sphereface_resnet20"


@pytest.fixture(scope="module")
def project_hub(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf_home")))
        mp.delenv("HF_HUB_OFFLINE", raising=False)
        with local_hub() as server:
            yield server


def faces():
    """AT&T faces at 28×28 scaled as the zoo model expects; images 0–6 of each person train."""
    images, people = kzoo.datasets.load_att_faces(size=(28, 28))
    x = images[..., None].astype("float32") / 255.0
    train = np.arange(len(people)) % 10 < 7
    return x[train], people[train], x[~train], people[~train]


def test_load_returns_a_margin_model(project_hub):
    model = kzoo.load(NAME, progress=False)
    assert isinstance(model, MarginModel) and isinstance(model.head, SphereFace)
    embedding_model = kzoo.load(NAME, include_head=False, progress=False)
    x = faces()[0][:4]
    np.testing.assert_allclose(
        embedding_model.predict(x, verbose=0), model.predict(x, verbose=0)[0], atol=1e-6
    )


def test_new_head_on_the_pretrained_backbone(project_hub):
    pretrained = kzoo.load(NAME, include_head=False, progress=False)
    model = kzoo.load(NAME, num_classes=40, progress=False)
    assert isinstance(model, MarginModel) and isinstance(model.head, SphereFace)
    assert model.head.num_classes == 40 and model.optimizer is not None  # compiled
    x_train, y_train, x_test, _ = faces()
    np.testing.assert_allclose(
        model.predict(x_test[:8], verbose=0)[0],
        pretrained.predict(x_test[:8], verbose=0),
        atol=1e-5,
    )
    custom = kzoo.load(
        NAME, num_classes=40, head="arcface", head_kwargs={"scale": 16.0}, progress=False
    )
    assert isinstance(custom.head, ArcFace) and custom.head.scale == 16.0
    history = custom.fit(x_train[:64], y_train[:64], batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    embeddings, logits = custom.predict(x_test, verbose=0)
    assert embeddings.shape == (120, 128) and logits.shape == (120, 40)


def test_bad_arguments(project_hub):
    with pytest.raises(ValueError, match="num_classes"):
        kzoo.load(NAME, head="arcface", progress=False)
    with pytest.raises(ValueError, match="`num_classes`"):
        kzoo.load(NAME, num_classes=1, progress=False)
    with pytest.raises(ValueError, match="`head`"):
        kzoo.load(NAME, num_classes=4, head="nope", progress=False)


@pytest.mark.slow
def test_fine_tunes_on_att_faces_to_090(project_hub):
    """The README journey: 30 epochs on images 0–6 (+ their mirror images) of the 40 people."""
    import keras

    x_train, y_train, x_test, y_test = faces()
    keras.utils.set_random_seed(0)
    model = kzoo.load(
        NAME, num_classes=40, head="arcface", head_kwargs={"scale": 16.0, "margin": 0.2}
    )
    model.fit(
        np.concatenate([x_train, x_train[:, :, ::-1]]),
        np.concatenate([y_train, y_train]),
        batch_size=32,
        epochs=30,
        verbose=0,
    )
    _, logits = model.predict(x_test, verbose=0)
    accuracy = float(np.mean(np.argmax(logits, -1) == y_test))
    print(f"AT&T fine-tuned test accuracy {accuracy:.4f}")
    assert accuracy >= 0.90
