from __future__ import annotations

from typing import Any

import keras
import numpy as np

from kzoo.metrics.weighted_knn import weighted_knn_accuracy


@keras.saving.register_keras_serializable(package="kzoo")
class WeightedKNNMonitor(keras.callbacks.Callback):
    """Logs the weighted-kNN accuracy of the current embeddings every N epochs.

    At the end of epoch e (0-based) with `e == 0` or `(e + 1) % every_n_epochs == 0`, the
    validation images are embedded with `embedding_model` and classified by a weighted
    kNN vote (k neighbours, weights exp(sim/τ)) against a labelled reference set; the
    accuracy is written into `logs[monitor_name]`, so `EarlyStopping`, `ModelCheckpoint`,
    `CSVLogger` and the `History` see it like any metric (list this callback before them).
    The reference embeddings are `embedding_model(reference_data[0])`, or, when
    `memory_bank` is given, the bank rows of that `NCEMemoryBank` (row i has label
    `reference_data[1][i]`), as in the reference implementation. The same evaluation is
    `kzoo.metrics.weighted_knn_accuracy`. Results are also kept in `self.history`
    (a list of `(epoch, accuracy)`, epoch -1 for the value before training).

    Args:
        embedding_model: maps images to embeddings (shares layers with the trained model).
        validation_data: `(x_val, y_val)` labelled queries.
        reference_data: `(x_ref, y_ref)`; `x_ref` may be `None` with `memory_bank`.
        memory_bank: optional `NCEMemoryBank` layer whose bank is the reference set.
        k: neighbours. Defaults to 200.
        temperature: τ of the vote weights. Defaults to 0.07.
        every_n_epochs: evaluation period. Defaults to 1.
        batch_size: batch size for embedding. Defaults to 256.
        monitor_name: the logs key. Defaults to `"val_knn_accuracy"`.
        evaluate_on_train_begin: also evaluate before training (`self.history[0]`).
        verbose: print each result when 1.

    Example:
    ```python
    monitor = WeightedKNNMonitor(embedder, (x_val, y_val), (x_train, y_train), every_n_epochs=5)
    model.fit(ds, epochs=50, callbacks=[monitor, keras.callbacks.EarlyStopping(
        "val_knn_accuracy", mode="max", patience=2)])
    ```

    Reference: Wu, Xiong, Yu, Lin, "Unsupervised Feature Learning via Non-Parametric
    Instance Discrimination", CVPR 2018, Sec. 3.5.
    """

    def __init__(
        self,
        embedding_model: keras.Model,
        validation_data: tuple[Any, Any],
        reference_data: tuple[Any, Any],
        memory_bank: keras.layers.Layer | None = None,
        k: int = 200,
        temperature: float = 0.07,
        every_n_epochs: int = 1,
        batch_size: int = 256,
        monitor_name: str = "val_knn_accuracy",
        evaluate_on_train_begin: bool = False,
        verbose: int = 0,
    ) -> None:
        super().__init__()
        if not callable(embedding_model):
            raise TypeError(
                f"`embedding_model` must be callable. Received: {type(embedding_model)}"
            )
        for arg, value in (
            ("validation_data", validation_data),
            ("reference_data", reference_data),
        ):
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise ValueError(f"`{arg}` must be a pair (x, labels). Received: {type(value)}")
        if reference_data[0] is None and memory_bank is None:
            raise ValueError("`reference_data[0]` may be None only when `memory_bank` is given.")
        if memory_bank is not None and not hasattr(memory_bank, "bank"):
            raise TypeError(
                f"`memory_bank` must be an NCEMemoryBank layer. Received: {type(memory_bank)}"
            )
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"`k` must be an int >= 1. Received: k={k!r}")
        if not temperature > 0:
            raise ValueError(f"`temperature` must be > 0. Received: temperature={temperature!r}")
        if (
            isinstance(every_n_epochs, bool)
            or not isinstance(every_n_epochs, int)
            or every_n_epochs < 1
        ):
            raise ValueError(
                f"`every_n_epochs` must be an int >= 1. Received: every_n_epochs={every_n_epochs!r}"
            )
        self.embedding_model = embedding_model
        self.validation_data = validation_data
        self.reference_data = reference_data
        self.memory_bank = memory_bank
        self.k = k
        self.temperature = float(temperature)
        self.every_n_epochs = every_n_epochs
        self.batch_size = batch_size
        self.monitor_name = monitor_name
        self.evaluate_on_train_begin = evaluate_on_train_begin
        self.verbose = verbose
        self.history: list[tuple[int, float]] = []

    def _embed(self, x: Any) -> np.ndarray:
        if hasattr(self.embedding_model, "predict"):
            return np.asarray(
                self.embedding_model.predict(x, batch_size=self.batch_size, verbose=0)
            )
        return np.asarray(keras.ops.convert_to_numpy(self.embedding_model(x)))

    def evaluate(self) -> float:
        """The weighted-kNN accuracy of the current embeddings."""
        x_val, y_val = self.validation_data
        x_ref, y_ref = self.reference_data
        if self.memory_bank is not None:
            reference = keras.ops.convert_to_numpy(self.memory_bank.bank)
        else:
            reference = self._embed(x_ref)
        return weighted_knn_accuracy(
            self._embed(x_val),
            np.asarray(y_val),
            reference,
            np.asarray(y_ref),
            k=self.k,
            temperature=self.temperature,
            batch_size=self.batch_size,
        )

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.evaluate_on_train_begin:
            self._record(-1, self.evaluate())

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch != 0 and (epoch + 1) % self.every_n_epochs != 0:
            return
        accuracy = self.evaluate()
        self._record(epoch, accuracy)
        if logs is not None:
            logs[self.monitor_name] = accuracy

    def _record(self, epoch: int, accuracy: float) -> None:
        self.history.append((epoch, accuracy))
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: {self.monitor_name} = {accuracy:.4f}")

    def get_config(self) -> dict:
        """Hyper-parameters only: the models and data arrays are not serialisable."""
        config = getattr(super(), "get_config", dict)()
        config.update(
            {
                "k": self.k,
                "temperature": self.temperature,
                "every_n_epochs": self.every_n_epochs,
                "batch_size": self.batch_size,
                "monitor_name": self.monitor_name,
                "evaluate_on_train_begin": self.evaluate_on_train_begin,
                "verbose": self.verbose,
            }
        )
        return config
