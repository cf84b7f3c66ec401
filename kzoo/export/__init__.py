"""LiteRT (TFLite) export of Keras models with builtin ops only, and its verification."""

from kzoo.export.export_report import ExportReport
from kzoo.export.to_tflite import representative_sample, to_tflite
from kzoo.export.unsupported_ops_error import UnsupportedOpsError
from kzoo.export.verify import verify_tflite

__all__ = [
    "ExportReport",
    "UnsupportedOpsError",
    "representative_sample",
    "to_tflite",
    "verify_tflite",
]
