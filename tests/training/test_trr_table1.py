"""`training/trr_table1.py`: a thin runner over the engine's TRR configs."""

from __future__ import annotations

import pytest

from tests.training_scripts import load_training_script


def load_runner():
    return load_training_script("trr_table1")


def test_model_keys_and_configs():
    runner = load_runner()
    assert runner.model_key("trr") == "trr_mlp.synthetic"
    assert runner.model_key("trr_new") == "trr_mlp.synthetic_trr_new"
    assert runner.model_key("none") == "trr_mlp.synthetic_no_trr"
    assert runner.model_key("trr", 50_000, 1) == "trr_mlp.synthetic_50k_seed1"
    assert runner.model_key("none", 320) == "trr_mlp.synthetic_no_trr_n320"
    for suffix in runner.VARIANTS.values():
        assert (runner.CONFIGS / f"trr_mlp.synthetic{suffix}.toml").is_file()


@pytest.mark.slow  # three tiny training runs
def test_a_tiny_table(tmp_path):
    runner = load_runner()
    runner.main(
        ["--seeds", "0", "--sizes", "64", "--out", str(tmp_path), "--set", "schedule.epochs=1"]
    )
    table = (tmp_path / "table1.md").read_text()
    assert "| No TRR |" in table and "| TRR_new |" in table
    runs = (tmp_path / "runs.json").read_text()
    assert runs.count('"variant"') == 3
