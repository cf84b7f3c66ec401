"""`training/gpu_batch.sh`: a batch of `kzoo train` runs side by side, packed into one archive."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from kzoo.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
TINY = (
    "training/configs/softmax_cnn.mnist.toml --set data.train_limit=64 --set schedule.epochs=1"
    " --set schedule.warmup_epochs=0.0"
    ' --set schedule.steps_per_epoch=2 --set model.backbone_kwargs={"width":4}'
    " --set evaluate.limit=64"
)


def run_batch(tmp_path: Path, lines: list[str], backends: str) -> subprocess.CompletedProcess:
    batch = tmp_path / "batch.txt"
    batch.write_text("# a comment\n\n" + "\n".join(lines) + "\n")
    env = {
        **os.environ,
        "OUT": str(tmp_path / "out"),
        "RUNS": str(tmp_path / "runs"),
        "BACKENDS": backends,
    }
    return subprocess.run(
        ["bash", "training/gpu_batch.sh", str(batch)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_every_run_comes_back_in_one_archive_without_its_backup(tmp_path):
    done = run_batch(tmp_path, [f"tiny_a {TINY}", f"tiny_b {TINY} --set seed=1"], "tensorflow")
    assert done.returncode == 0, done.stdout + done.stderr
    with tarfile.open(tmp_path / "out" / "runs.tar.gz") as archive:
        names = set(archive.getnames())
    for folder in ("tiny_a", "tiny_b"):
        assert {f"{folder}/model.keras", f"{folder}/entry.json", f"{folder}.log"} <= names
    assert not any(".backup" in name for name in names)


def test_an_early_failure_stops_the_batch_and_tries_the_next_backend(tmp_path):
    done = run_batch(tmp_path, [f"bad {TINY} --set schedule.epochs=0"], "tensorflow jax")
    tried = [line.split(":")[0] for line in done.stdout.splitlines() if " exited " in line]
    assert tried == ["tensorflow", "jax"], done.stdout
    assert "schedule.epochs" in done.stdout


@pytest.mark.parametrize("batch", sorted((ROOT / "training" / "gpu").glob("*.txt")), ids=str)
def test_every_line_of_a_prepared_batch_resolves_to_a_config(batch, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    lines = [line.split() for line in batch.read_text().splitlines()]
    runs = [args for args in lines if args and not args[0].startswith("#")]
    assert runs
    assert len({args[0] for args in runs}) == len(runs), "two runs write one folder"
    names = []
    for folder, *args in runs:
        assert main(["train", *args, "--print-config"]) == 0, f"{batch.name}: {folder}"
        names.append(json.loads(capsys.readouterr().out)["name"])
    assert len(set(names)) == len(names), "two runs share a name"
