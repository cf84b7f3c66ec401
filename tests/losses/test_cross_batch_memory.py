"""CrossBatchMemory: step-by-step NumPy queue, PML parity, compiled training, saving."""

import os
import tempfile

import keras
import numpy as np
import pytest

from kzoo import losses, miners
from kzoo.testing import TestCase
from tests.losses import pair_references as ref

pytestmark = pytest.mark.multi_backend

LOSSES = {
    "multi_similarity": (losses.MultiSimilarityLoss, ref.multi_similarity, "MultiSimilarityLoss"),
    "circle": (losses.CircleLoss, ref.circle, "CircleLoss"),
    "supcon": (losses.SupConLoss, ref.supcon, "SupConLoss"),
    "ntxent": (losses.NTXentLoss, ref.ntxent, "NTXentLoss"),
}


def _steps(count=5, n=8, dim=6, classes=4):
    for step in range(count):
        rng = np.random.default_rng(step)
        yield rng.normal(size=(n, dim)).astype("float32"), rng.integers(0, classes, size=n)


def _value(x):
    return float(keras.ops.convert_to_numpy(x))


class TestCrossBatchMemory(TestCase):
    @pytest.mark.parametrize("name", sorted(LOSSES))
    @pytest.mark.parametrize("mine", [False, True])
    def test_matches_numpy_queue_across_wrap_around(self, name, mine):
        cls, reference, _ = LOSSES[name]
        epsilon = 0.1 if mine else None
        xbm = losses.CrossBatchMemory(
            cls(), 6, memory_size=20, miner=miners.MultiSimilarityMiner(0.1) if mine else None
        )
        numpy_xbm = ref.NumpyXBM(20, 6)
        for x, y in _steps():
            expected = numpy_xbm.step(x, y, reference, epsilon)
            self.assertAllClose(xbm.memory_loss(x, y), expected, atol=1e-4, rtol=1e-5)
        self.assertAllClose(xbm.embedding_memory, numpy_xbm.memory, atol=1e-6)
        self.assertAllClose(xbm.label_memory, numpy_xbm.labels)
        assert int(keras.ops.convert_to_numpy(xbm.queue_idx)) == numpy_xbm.index

    @pytest.mark.parity
    @pytest.mark.parametrize("name", sorted(LOSSES))
    @pytest.mark.parametrize("mine", [False, True])
    def test_pml_parity(self, name, mine):
        torch = pytest.importorskip("torch")
        pml_losses = pytest.importorskip("pytorch_metric_learning.losses")
        pml_miners = pytest.importorskip("pytorch_metric_learning.miners")
        cls, _, pml_name = LOSSES[name]
        ours = losses.CrossBatchMemory(
            cls(), 6, memory_size=20, miner=miners.MultiSimilarityMiner(0.1) if mine else None
        )
        theirs = pml_losses.CrossBatchMemory(
            getattr(pml_losses, pml_name)(),
            6,
            memory_size=20,
            miner=pml_miners.MultiSimilarityMiner(0.1) if mine else None,
        )
        for x, y in _steps():
            expected = float(theirs(torch.tensor(x, dtype=torch.float64), torch.tensor(y)))
            got = _value(ours.memory_loss(x, y))
            assert abs(got - expected) <= 1e-5 * max(1.0, abs(expected)), (got, expected)

    def test_compiled_training_updates_the_queue_and_saving_keeps_it(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(64, 10)).astype("float32")
        y = rng.integers(0, 4, size=64).astype("int32")
        images, labels = keras.Input((10,)), keras.Input((), dtype="int32")
        xbm = losses.CrossBatchMemory(losses.MultiSimilarityLoss(), 6, memory_size=40)
        model = keras.Model([images, labels], xbm([keras.layers.Dense(6)(images), labels]))
        model.compile("adam")
        history = model.fit([x, y], epochs=1, batch_size=16, verbose=0)
        assert np.isfinite(history.history["loss"][0])
        assert int(keras.ops.convert_to_numpy(xbm.queue_idx)) == 64 % 40
        assert int(keras.ops.convert_to_numpy(xbm.num_filled)) == 40
        queue = keras.ops.convert_to_numpy(xbm.embedding_memory)
        assert np.abs(queue).sum() > 0
        model.evaluate([x, y], verbose=0, batch_size=16)
        self.assertAllClose(xbm.embedding_memory, queue)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "xbm.keras")
            model.save(path)
            restored = keras.saving.load_model(path)
        revived = [layer for layer in restored.layers if isinstance(layer, losses.CrossBatchMemory)]
        self.assertAllClose(revived[0].embedding_memory, queue)
        self.assertAllClose(revived[0].label_memory, xbm.label_memory)
        assert int(keras.ops.convert_to_numpy(revived[0].queue_idx)) == 64 % 40

    def test_inference_and_evaluation_leave_the_queue(self):
        xbm = losses.CrossBatchMemory(losses.SupConLoss(), 6, memory_size=16)
        x, y = next(_steps())
        self.assertAllClose(xbm(x), x)
        self.assertAllClose(
            xbm.memory_loss(x, y, training=False), losses.SupConLoss()(y, x), atol=1e-6
        )
        assert int(keras.ops.convert_to_numpy(xbm.num_filled)) == 0

    def test_serialization(self):
        xbm = losses.CrossBatchMemory(
            losses.CircleLoss(m=0.25), 8, memory_size=32, miner=miners.MultiSimilarityMiner(0.2)
        )
        revived = self.run_serialization_test(xbm)
        assert revived.loss.m == 0.25 and revived.miner.epsilon == 0.2

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    def test_nan_or_inf_in_gives_non_finite_loss(self, bad):
        xbm = losses.CrossBatchMemory(losses.MultiSimilarityLoss(), 6, memory_size=16)
        x, y = next(_steps())
        x[2, 0] = bad
        assert not np.isfinite(_value(xbm.memory_loss(x, y)))

    def test_finite_gradients(self):
        xbm = losses.CrossBatchMemory(losses.NTXentLoss(), 6, memory_size=16)
        x, y = next(_steps())
        xbm.memory_loss(x, y)
        self.assertFiniteGradients(lambda e: xbm.memory_loss(e, y, training=False), x)


class TestBadArguments:
    def test_loss_must_be_a_pair_loss(self):
        with pytest.raises(TypeError, match="loss"):
            losses.CrossBatchMemory(losses.TripletHardLoss(), 8)

    def test_sizes(self):
        with pytest.raises(ValueError, match="embedding_size"):
            losses.CrossBatchMemory(losses.SupConLoss(), 0)
        with pytest.raises(ValueError, match="memory_size"):
            losses.CrossBatchMemory(losses.SupConLoss(), 4, memory_size=2.5)
        with pytest.raises(TypeError, match="miner"):
            losses.CrossBatchMemory(losses.SupConLoss(), 4, miner="hard")

    def test_batch_larger_than_memory_and_wrong_dimension(self):
        xbm = losses.CrossBatchMemory(losses.SupConLoss(), 4, memory_size=4)
        with pytest.raises(ValueError, match="memory_size"):
            xbm.memory_loss(np.zeros((5, 4), "float32"), np.zeros(5))
        with pytest.raises(ValueError, match="embedding_size"):
            xbm.memory_loss(np.zeros((3, 5), "float32"), np.zeros(3))
