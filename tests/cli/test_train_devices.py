"""`kzoo train --devices N [--shard-heads]`: the README's "Training at scale" commands run end to
end on 8 virtual CPU devices (JAX, each in a fresh process: XLA flags are read at start-up)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kzoo.cli.main import main
from tests.training.test_engine import make_image_folder

ROOT = Path(__file__).resolve().parents[2]
CONFIG = "training/configs/arcface_resnet20.fashion_mnist.toml"
FACES = 640  # 80 per device: Partial FC at 0.1 keeps 8 of each device's classes
TINY = [
    "--epochs", "1", "--eval-limit", "64", "--verbose", "2",
    "--set", "schedule.steps_per_epoch=2", "--set", "schedule.batch_size=8",
    "--set", "model.backbone=lsoftmax_cnn", "--set", "model.embedding_dim=16",
    "--set", 'model.backbone_kwargs={"width": 4, "convs_per_stage": 1}',
    "--set", "data.image_size=[16, 16]", "--set", "evaluate.monitor=none",
    "--set", "schedule.warmup_epochs=0", "--set", "augment.shift=0", "--set", 'augment.flip=""',
]  # fmt: skip


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Training at scale", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    lines = block.replace("\\\n", " ").splitlines()
    return [line.split(" ", 1)[1] for line in lines if line.startswith("KERAS_BACKEND=jax kzoo ")]


def test_readme_names_the_devices_shard_heads_and_sample_rate_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert "--devices 8" in commands[0] and "--shard-heads" not in commands[0]
    assert "--shard-heads" in commands[1] and "model.head_kwargs.sample_rate=0.1" in commands[1]


@pytest.mark.parametrize("index", [0, 1], ids=["data_parallel", "sharded_partial_fc"])
def test_readme_training_at_scale_command_runs_on_8_devices(index, tmp_path):
    command = readme_commands()[index]
    if "path/to/faces" in command:
        folder = make_image_folder(tmp_path / "faces", classes=FACES, per_class=2, size=16)
        command = command.replace("path/to/faces", str(folder))
    argv = shlex.split(command)[1:]  # after "kzoo"
    tiny = TINY if "--images" in argv else [*TINY, "--train-limit", "64"]
    out = tmp_path / "run"
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "kzoo.cli.main", *argv, *tiny, "--out", str(out)],
        cwd=ROOT,
        env=env,
        timeout=300,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "model.keras").exists() and json.loads((out / "entry.json").read_text())
    record = json.loads((out / "run.json").read_text())
    assert np.all(np.isfinite(record["history"]["loss"]))
    layout = record["distribution"]
    assert layout["devices"] == 8
    if index == 0:
        assert layout["mesh"] == {"batch": 8}
        assert layout["head_kernel_shard"] == [16, 10]  # replicated
        assert "accuracy" in record["history"]
    else:
        assert layout["mesh"] == {"batch": 1, "model": 8}
        assert layout["head_kernel_shard"] == [16, FACES // 8]
        assert "sampled_accuracy" in record["history"]  # Partial FC's loss and metric


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--devices", "8"], "needs the JAX backend"),
        (["--shard-heads"], "needs the JAX backend"),
    ],
)
def test_devices_on_another_backend_exit_2_with_the_reason(argv, message, capsys, tmp_path):
    import keras

    if keras.backend.backend() == "jax":
        pytest.skip("the other backends refuse --devices")
    monkey_out = tmp_path / "out"
    assert main(["train", str(ROOT / CONFIG), *argv, "--out", str(monkey_out)]) == 2
    assert message in capsys.readouterr().err
