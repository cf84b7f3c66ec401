"""LiteRT (TFLite) export of Keras models with builtin ops only, and its verification.

Knows nothing of the zoo: `kzoo export NAME` (kzoo.cli) resolves the entry, loads the model and
its data, and records the result in the manifest.
"""

from kzoo.export.export_report import ExportReport
from kzoo.export.export_verified import export_verified
from kzoo.export.to_tflite import representative_sample, to_tflite
from kzoo.export.unsupported_ops_error import UnsupportedOpsError
from kzoo.export.verify import verify_tflite

__all__ = [
    "ExportReport",
    "UnsupportedOpsError",
    "export_verified",
    "representative_sample",
    "to_tflite",
    "verify_tflite",
]
