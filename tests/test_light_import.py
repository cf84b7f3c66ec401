"""`import kzoo` is light; Keras' arrival, in any order, registers every kzoo class and hf://.

Each case runs in a fresh interpreter: what is imported first is the point of the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

ACTIVATED = """
import sys
from keras.src.saving import saving_lib
import keras
for name in ("kzoo.heads", "kzoo.losses", "kzoo.models", "kzoo.zoo.loading"):
    assert name in sys.modules, name
for name in ("kzoo>ArcFace", "kzoo>MarginModel", "kzoo>TripletSemiHardLoss"):
    assert keras.saving.get_registered_object(name) is not None, name
assert getattr(saving_lib.load_model, "kzoo_hf_scheme", False)
"""


def _run(code: str, backend: str | None = None) -> subprocess.CompletedProcess:
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    env = {**os.environ, "KERAS_BACKEND": backend}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_catalogue_commands_do_not_import_keras():
    result = _run(
        """
        import sys
        from kzoo.cli.main import main
        assert main(["list"]) == 0
        assert main(["info", "sphereface_resnet20"]) == 0
        assert main(["info", "sphereface_resnet20", "--json"]) == 0
        import kzoo
        assert kzoo.list_models("sphereface*") and kzoo.info("sphereface_resnet20")["key"]
        heavy = [m for m in ("keras", "tensorflow", "jax", "torch") if m in sys.modules]
        assert not heavy, heavy
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "sphereface_resnet20.fashion_mnist" in result.stdout


@pytest.mark.parametrize(
    "first",
    [
        # Keras first: everything at `import kzoo`
        pytest.param("import keras\nimport kzoo", marks=pytest.mark.slow),
        # kzoo first: everything once Keras is imported
        "import kzoo\nimport keras",
        # a subpackage pulls Keras in mid-import: everything once that import ends
        "from kzoo.heads import ArcFace",
        # a bottom-floor module pulls Keras in
        pytest.param("import kzoo.ops.l2_normalize", marks=pytest.mark.slow),
        # the facade's lazy attribute
        pytest.param("import kzoo\nkzoo.load", marks=pytest.mark.slow),
    ],
)
def test_keras_arrival_activates_kzoo(first):
    result = _run(first + "\n" + ACTIVATED)
    assert result.returncode == 0, result.stderr[-3000:]


def test_lazy_attributes_and_dir():
    result = _run(
        """
        import kzoo
        assert "heads" in dir(kzoo) and "load" in dir(kzoo)
        assert kzoo.heads.ArcFace.__name__ == "ArcFace"
        assert callable(kzoo.load) and callable(kzoo.zoo.load)
        try:
            kzoo.no_such_thing
        except AttributeError as err:
            assert "no_such_thing" in str(err)
        else:
            raise AssertionError("no AttributeError")
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_training_on_jax_imports_neither_tensorflow_nor_litert():
    """A GPU machine with JAX and no TensorFlow trains: only exporting needs them."""
    result = _run(
        """
        import sys
        import kzoo, keras, kzoo.training, kzoo.export, kzoo.cli.main
        heavy = [m for m in ("tensorflow", "ai_edge_litert") if m in sys.modules]
        assert not heavy, heavy
        """,
        backend="jax",
    )
    assert result.returncode == 0, result.stderr[-3000:]
