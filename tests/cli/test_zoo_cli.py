"""`kzoo list | info | eval | publish | hub serve` end to end."""

from __future__ import annotations

import json
import os

import pytest

from kzoo import publishing
from kzoo.cli.main import build_parser, main
from kzoo.zoo import Manifest
from tests.hub.tiny_zoo import TINY_KEY, build_tiny_net, empty_manifest, tiny_entry


def test_subcommands_are_registered():
    choices = build_parser()._subparsers._group_actions[0].choices
    assert {"demo", "list", "info", "eval", "publish", "hub"} <= set(choices)


def test_list_and_info(hub_env, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert TINY_KEY in out and "accuracy=0.1000" in out and hub_env.shas["v2"][:12] in out
    assert main(["list", "*resnet*"]) == 0
    assert "no models match" in capsys.readouterr().out
    assert main(["info", "tiny_net"]) == 0
    out = capsys.readouterr().out
    assert "(default tag)" in out and hub_env.shas["v2"] in out and "model.weights.h5" in out
    assert main(["info", "tiny_net", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["revision"] == hub_env.shas["v2"]


def test_unknown_name_is_a_message_not_a_traceback(hub_env, capsys):
    assert main(["info", "tiny_nt"]) == 2
    err = capsys.readouterr().err
    assert "UnknownModelError" in err and "Did you mean 'tiny_net'" in err


def test_eval_prints_recorded_beside_measured(hub_env, capsys):
    assert main(["eval", "tiny_net", "--limit", "64", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "first 64 samples of fashion_mnist/test" in out
    line = next(row for row in out.splitlines() if row.strip().startswith("accuracy"))
    assert line.split()[1] == "0.1000"
    report_args = ["eval", "tiny_net", "--limit", "64", "--no-progress", "--json"]
    assert main(report_args) == 0
    report = json.loads(capsys.readouterr().out)
    acc = next(r for r in report["rows"] if r["metric"] == "accuracy")
    assert f"{acc['measured']:.4f}" == line.split()[2]
    assert report["recorded_on"] == "full split, not compared"  # 64 is not a CI slice
    assert all(r["ok"] is None for r in report["rows"])
    assert main([*report_args[:-1], "--check"]) == 0  # slice noise is not a failure


def test_eval_with_local_hub_serves_the_bundles_itself(hub_env, monkeypatch, capsys):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing there: --local-hub must serve
    argv = ["eval", "tiny_net", "--limit", "32", "--no-progress", "--local-hub"]
    assert main([*argv, "--hub-dir", str(hub_env.hub_dir)]) == 0
    assert "first 32 samples of fashion_mnist/test" in capsys.readouterr().out
    assert os.environ["HF_ENDPOINT"] == "http://127.0.0.1:9"


def test_publish_command_pins_the_same_commit_as_the_api(tmp_path, capsys):
    model = build_tiny_net(seed=0)
    model_path = tmp_path / "trained.keras"
    model.save(model_path)
    (tmp_path / "entry.json").write_text(json.dumps(tiny_entry()))
    manifest = empty_manifest(tmp_path / "m.json")
    argv = [
        "publish",
        TINY_KEY,
        "--model",
        str(model_path),
        "--entry",
        str(tmp_path / "entry.json"),
        "--tag",
        "v1",
        "--manifest",
        manifest,
        "--hub-dir",
        str(tmp_path / "hub"),
        "--out",
        str(tmp_path / "repo"),
    ]
    assert main(argv) == 0
    sha = Manifest.load(manifest).resolve("tiny_net").revision
    assert f"@ {sha} (tag v1)" in capsys.readouterr().out
    api_manifest = empty_manifest(tmp_path / "api.json")
    import keras

    reloaded = keras.saving.load_model(
        model_path, compile=False
    )  # the CLI publishes what the file holds
    direct = publishing.publish(
        reloaded, TINY_KEY, tiny_entry(), manifest=api_manifest, hub_dir=tmp_path / "hub2", tag="v1"
    )
    assert direct.revision == sha
    assert (tmp_path / "repo" / "README.md").exists()


def test_hub_serve_starts_and_stops(hub_world, capsys):
    assert main(["hub", "serve", "--hub-dir", str(hub_world.hub_dir), "--duration", "0"]) == 0
    out = capsys.readouterr().out
    assert "kzoo-test/tiny_net.v1" in out and "export HF_ENDPOINT=http://127.0.0.1:" in out


@pytest.mark.parametrize("argv", [["eval"], ["publish", TINY_KEY], ["hub"]])
def test_missing_arguments_exit_with_usage(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
