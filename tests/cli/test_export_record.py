"""`kzoo export NAME --record` writes verified figures into the manifest (and so the card)."""

from __future__ import annotations

import shutil

import keras
import pytest

from kzoo.cli.main import main
from kzoo.zoo import Manifest

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="TFLite conversion runs under the TF backend"
)


def test_export_record_writes_the_summary_into_the_manifest(hub_env, tmp_path, capsys):
    pytest.importorskip("ai_edge_litert")
    manifest = tmp_path / "weights_manifest.json"
    shutil.copy(hub_env.manifest, manifest)
    out = tmp_path / "tiny.tflite"
    argv = ["export", "tiny_net", "--quantize", "fp16", "--output", str(out)]
    assert main([*argv, "--num-test", "300", "--record", "--manifest", str(manifest)]) == 0
    assert "recorded exports['tflite-fp16']" in capsys.readouterr().out
    recorded = Manifest.load(manifest).resolve("tiny_net").exports["tflite-fp16"]
    assert recorded.num_samples == 300 and recorded.size_bytes == out.stat().st_size
    assert recorded.command.endswith("--quantize fp16 --record --num-test 300")
    assert recorded.top1_agreement > 0.9 and recorded.embedding_max_abs_diff < 1e-2
    assert Manifest.load(hub_env.manifest).resolve("tiny_net").exports is None


def test_record_needs_the_verification(hub_env, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["export", "tiny_net", "--no-verify", "--record", "--output", str(tmp_path / "t")])
    assert info.value.code == 2 and "--record needs the verification" in capsys.readouterr().err
