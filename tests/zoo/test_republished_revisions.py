"""Zoo v2 republished some entries as new commits (some twice); their older commits stay loadable
by revision."""

from __future__ import annotations

import numpy as np
import pytest

import kzoo
from kzoo.zoo import Manifest

ARCFACE = "arcface_resnet20.fashion_mnist"


def _head(model):
    return next(layer for layer in model.layers if isinstance(layer, kzoo.heads.MarginHead))


def test_arcface_v2_is_pinned_and_v1_loads_by_revision(fresh_hub):
    entry = Manifest.load().resolve(ARCFACE)
    assert entry.architecture.kwargs["head_kwargs"] == {"scale": 16.0, "margin": 0.2}
    v2 = kzoo.load(ARCFACE, progress=False)
    with pytest.warns(UserWarning, match="not the manifest's pinned commit"):
        v1 = kzoo.load(ARCFACE, revision="v1", progress=False)
    assert (_head(v2).scale, _head(v2).margin) == (16.0, 0.2)
    assert (_head(v1).scale, _head(v1).margin) == (64.0, 0.5)
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    assert not np.allclose(v1.predict(x, verbose=0)[0], v2.predict(x, verbose=0)[0])


def _images(model):
    """Two random images at the model's input size (v3 of the Omniglot entry takes 56 px)."""
    shape = model.input_shape[1:]
    return np.random.default_rng(1).random((2, *shape)).astype("float32")


V1_REPUBLISHED = [
    "cosface_resnet20.fashion_mnist",
    "dcnet_tanh_resnet20.fashion_mnist",
    "instdisc_resnet20.fashion_mnist",
    "l2softmax_resnet20.fashion_mnist",
    "lsoftmax_cnn.mnist",
    "lsoftmax_resnet20.fashion_mnist",
    "softmax_cnn.mnist",
    "softmax_resnet20.fashion_mnist",
    "sphereface_resnet20.fashion_mnist",
    "triplet_convnet.omniglot_openset",
]
V2_REPUBLISHED = [
    "lsoftmax_cnn.mnist",
    "softmax_cnn.mnist",
    "sphereface_resnet20.fashion_mnist",
    "triplet_convnet.omniglot_openset",
]


@pytest.mark.parametrize(
    "key, revision",
    [(key, "v1") for key in V1_REPUBLISHED]
    + [(key, "v2") for key in ("instdisc_resnet20.fashion_mnist", *V2_REPUBLISHED)],
)
def test_pinned_differs_from_an_older_revision_which_loads(fresh_hub, key, revision):
    pinned = kzoo.load(key, progress=False)
    with pytest.warns(UserWarning, match="not the manifest's pinned commit"):
        older = kzoo.load(key, revision=revision, progress=False)
    first = [
        np.asarray(m.predict(_images(m), verbose=0)[0 if len(m.outputs) > 1 else slice(None)])
        for m in (older, pinned)
    ]
    assert first[0].shape == first[1].shape and not np.allclose(*first)


def test_an_older_revision_of_another_input_size_loads(fresh_hub):
    """v3 of the Omniglot triplet entry takes 56-px drawings, v2 28 px: the manifest's `input`
    describes the pinned commit only, so v2 loads with its own input size (and the warning)."""
    key = "triplet_convnet.omniglot_openset"
    assert tuple(Manifest.load().resolve(key).input.shape) == (56, 56, 1)
    assert kzoo.load(key, progress=False).input_shape == (None, 56, 56, 1)
    with pytest.warns(UserWarning, match="not the manifest's pinned commit"):
        v2 = kzoo.load(key, revision="v2", progress=False)
    assert v2.input_shape == (None, 28, 28, 1)
