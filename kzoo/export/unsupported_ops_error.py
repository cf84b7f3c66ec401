"""The error raised when a graph needs TensorFlow (flex) or custom ops in LiteRT."""

from __future__ import annotations


class UnsupportedOpsError(ValueError):
    """A model's inference graph needs ops outside the TFLite builtin op set.

    Flex (SELECT_TF_OPS) and custom ops do not run in the stock LiteRT interpreter on
    Android/iOS, so `kzoo.export.to_tflite` refuses such graphs instead of enabling them.

    Args:
        ops: names of the offending ops, e.g. `["Acos"]` (TensorFlow op names, without
            the `tf.` prefix).
        locations: for each op, where it comes from in the Keras graph when the converter
            reports it (e.g. `"functional_1/bad_layer/Acos"`), else an empty string.
        detail: the converter's own message, kept for debugging.
    """

    def __init__(self, ops: list[str], locations: list[str] | None = None, detail: str = ""):
        self.ops = list(ops)
        self.locations = list(locations or [""] * len(self.ops))
        self.detail = detail
        where = [
            f"{op} (at {loc})" if loc else op
            for op, loc in zip(self.ops, self.locations, strict=True)
        ]
        super().__init__(
            "The model cannot be exported with TFLite builtin ops only; it needs "
            f"{len(self.ops)} unsupported op(s): {', '.join(where)}. Flex/custom ops do not run "
            "in the LiteRT interpreter, so kzoo does not enable SELECT_TF_OPS. Rewrite the layer "
            "with builtin-convertible keras.ops (e.g. arccos(x) -> arctan2(sqrt(1 - x**2), x), "
            "or the identity cos(t + m) = cos t cos m - sin t sin m)."
        )
