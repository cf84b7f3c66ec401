"""`kzoo train`: overrides from flags, clear errors, and the README's "Train your own" commands run
(on a slice of Fashion-MNIST and on a tiny generated image folder)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from kzoo.cli.main import build_parser, main
from tests.training.test_engine import make_image_folder

ROOT = Path(__file__).resolve().parents[2]
CONFIG = "training/configs/sphereface_resnet20.fashion_mnist.toml"


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Train your own", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    lines = [line for line in block.replace("\\\n", " ").splitlines() if line.startswith("kzoo ")]
    return lines


def test_train_is_registered():
    choices = build_parser()._subparsers._group_actions[0].choices
    assert "train" in choices


def test_flags_and_sets_resolve_into_the_config(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    argv = ["train", CONFIG, "--set", "optimizer.lr=0.05", "--epochs", "3", "--seed", "7"]
    argv += ["--images", "photos", "--train-limit", "100", "--print-config"]
    assert main(argv) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["optimizer"]["lr"] == 0.05 and config["schedule"]["epochs"] == 3
    assert config["seed"] == 7 and config["data"]["train_limit"] == 100
    assert config["data"]["dataset"] == "image_folder" and config["data"]["directory"] == "photos"
    assert config["model"]["head"] == "sphereface"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--set", "optimiser.lr=1"], "did you mean `optimizer`"),
        (["--set", "schedule.epochs=many"], "`schedule.epochs` must be int"),
    ],
)
def test_errors_exit_2_with_the_reason(argv, message, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(ROOT)
    assert main(["train", CONFIG, *argv, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_readme_train_your_own_commands_run(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    folder = make_image_folder(tmp_path / "photos", size=20)
    commands = readme_commands()
    assert len(commands) == 3 and sum("--images" in c for c in commands) == 1
    # 2 epochs: the flagship's config warms up for 1 (a run must be longer than its warm-up)
    tiny = ["--epochs", "2", "--train-limit", "64", "--eval-limit", "100", "--verbose", "0"]
    tiny += ["--set", "schedule.steps_per_epoch=2", "--set", "evaluate.monitor_limit=100"]
    tiny += ["--set", "model.depth=8", "--set", "data.image_size=[16, 16]"]  # a tiny slice
    for i, command in enumerate(commands):
        argv = shlex.split(command.replace("path/to/photos", str(folder)))[1:]
        out = tmp_path / f"run{i}"
        longer = ["--epochs", "3"] if "warmup_epochs=2" in command else []  # after the warm-up
        assert main([*argv, *tiny, *longer, "--out", str(out)]) == 0, command
        entry = json.loads((out / "entry.json").read_text())
        assert (out / "model.keras").exists() and entry["metrics"]
        assert entry["recipe"]["command"].startswith("KERAS_BACKEND=")
    assert entry["eval"]["dataset"] == "image_folder" and entry["input"]["shape"] == [16, 16, 3]
