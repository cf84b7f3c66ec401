"""`training/results_tables.py`: the seeds table groups runs by recipe and reports mean ± std."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.training_scripts import load_training_script


def write_run(
    folder: Path, name: str, head: str, seed: int, accuracy: float, epochs: int = 8, lr: float = 0.1
):
    entry = {
        "metrics": {"accuracy": accuracy, "recall_at_1": accuracy - 0.02, "map_at_r": 0.8},
        "recipe": {
            "args": {
                "seed": seed,
                "model": {"head": head, "head_kwargs": {"scale": 16.0, "margin": 0.2}},
                "schedule": {"epochs": epochs, "warmup_epochs": 1.0},
                "augment": {"shift": 2, "flip": "horizontal"},
                "optimizer": {"lr": lr},
            }
        },
    }
    (folder / f"{name}.json").write_text(json.dumps(entry))


def test_seeds_table_mean_and_sample_std(tmp_path):
    accuracies = [0.9296, 0.9310, 0.9281]
    for seed, accuracy in enumerate(accuracies):
        write_run(tmp_path, f"arcface_seed{seed}", "arcface", seed, accuracy)
    write_run(tmp_path, "arcface_30ep", "arcface", 0, 0.94, epochs=30)
    write_run(tmp_path, "arcface_lr", "arcface", 0, 0.90, lr=0.01)
    table = load_training_script("results_tables").seeds_table(str(tmp_path))
    rows = [r for r in table.splitlines() if r.startswith("| arcface")]
    assert len(rows) == 3, table
    assert sum("| 0.9000 |" in r for r in rows) == 1, table
    eight = next(r for r in rows if "| 0, 1, 2 |" in r)
    mean, std = np.mean(accuracies), np.std(accuracies, ddof=1)
    recipe = "8 ep, warm-up 1, shift 2, horizontal flip"
    assert f"| {recipe} | 0, 1, 2 | {mean:.4f} ± {std:.4f} |" in eight
    assert "margin=0.2, scale=16" in eight
    thirty = next(r for r in rows if "| 30 ep" in r)
    assert "| 0 | 0.9400 | 0.9200 | 0.8000 |" in thirty


def edit_run(folder: Path, name: str, section: str, **values) -> None:
    path = folder / f"{name}.json"
    entry = json.loads(path.read_text())
    entry["recipe"]["args"].setdefault(section, {}).update(values)
    path.write_text(json.dumps(entry))


def test_seeds_table_reads_a_missing_field_as_its_default_and_ignores_curve_points(tmp_path):
    write_run(tmp_path, "softmax_seed0", "softmax", 0, 0.93)
    write_run(tmp_path, "softmax_seed1", "softmax", 1, 0.92)
    edit_run(tmp_path, "softmax_seed1", "augment", crop_scale=0.0, brightness=0.0, contrast=0.0)
    edit_run(tmp_path, "softmax_seed1", "evaluate", curve_points=4)
    write_run(tmp_path, "softmax_bright", "softmax", 2, 0.90)
    edit_run(tmp_path, "softmax_bright", "augment", brightness=0.4)
    write_run(tmp_path, "softmax_val", "softmax", 3, 0.91)
    edit_run(tmp_path, "softmax_val", "evaluate", split="validation")
    table = load_training_script("results_tables").seeds_table(str(tmp_path))
    rows = [r for r in table.splitlines() if r.startswith("| softmax")]
    assert len(rows) == 3, table
    assert sum("| 0, 1 | 0.9250 ± 0.0071 |" in r for r in rows) == 1, table


def write_curve(folder: Path, name: str, points: list[tuple[float, float]]) -> None:
    rows = "".join(f"{e:.4f},{a:.4f}\n" for e, a in points)
    (folder / f"curve_{name}.csv").write_text("epoch,test_accuracy\n" + rows)


def test_dcnet_table_over_seeds_reports_first_epochs_and_the_unreached(tmp_path):
    write_curve(tmp_path, "plain_seed0", [(1, 0.86), (2, 0.91), (3, 0.93)])
    write_curve(tmp_path, "plain_seed1", [(1, 0.80), (2, 0.88), (3, 0.91)])
    write_curve(tmp_path, "tanh_seed0", [(0.5, 0.87), (1, 0.90), (2, 0.92)])
    write_curve(tmp_path, "tanh_seed1", [(1, 0.84), (2, 0.89), (3, 0.919)])
    table = load_training_script("results_tables").dcnet_table(str(tmp_path))
    lines = table.splitlines()
    assert "epochs to the plain final (92.00%)" in lines[0], table
    assert lines[2].startswith("| plain | 0, 1 | 0.9200 ± 0.0141 | 1.00 / 2.00 (mean 1.50) |")
    assert lines[2].endswith("| 3.00 / - (1 of 2 not reached) |"), table
    assert lines[3] == (
        "| tanh | 0, 1 | 0.9195 ± 0.0007 | 0.50 / 2.00 (mean 1.25) "
        "| 1.00 / 3.00 (mean 2.00) | 2.00 / - (1 of 2 not reached) |"
    ), table


def test_dcnet_table_reads_unseeded_curves_as_seed_0(tmp_path):
    write_curve(tmp_path, "plain", [(1, 0.86), (2, 0.91)])
    write_curve(tmp_path, "tanh", [(1, 0.91), (2, 0.92)])
    table = load_training_script("results_tables").dcnet_table(str(tmp_path))
    assert "| tanh | 0 | 0.9200 | 1.00 | 1.00 | 1.00 |" in table, table


def test_dcnet_table_says_not_reached_for_a_single_seed(tmp_path):
    write_curve(tmp_path, "plain", [(1, 0.86), (2, 0.93)])
    write_curve(tmp_path, "tanh", [(1, 0.84), (2, 0.91)])
    table = load_training_script("results_tables").dcnet_table(str(tmp_path))
    assert "| tanh | 0 | 0.9100 | 2.00 | 2.00 | not reached |" in table, table
