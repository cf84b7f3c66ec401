import os
from pathlib import Path

_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
if not os.environ.get("KZOO_DATA") and _SHARED.is_dir():
    os.environ["KZOO_DATA"] = str(_SHARED)
