import pytest

from kzoo.cli.main import main, one_line
from kzoo.version import __version__


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"kzoo {__version__}"


def test_export_error_is_one_line(hub_env, capsys):
    assert main(["export", "no_such_model", "--no-verify"]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("kzoo export: ") and "no_such_model" in err
    assert "\n" not in err and "Traceback" not in err


def test_uncaught_errors_are_one_line(monkeypatch, capsys):
    def boom(args):
        raise OSError("disk full\nsecond line")

    monkeypatch.setattr("kzoo.cli.main.build_parser", _parser_with(boom))
    assert main(["list"]) == 1
    assert capsys.readouterr().err.strip() == "kzoo list: error: OSError: disk full second line"
    monkeypatch.setenv("KZOO_DEBUG", "1")
    with pytest.raises(OSError):
        main(["list"])


def _parser_with(func):
    import argparse

    def build():
        parser = argparse.ArgumentParser(prog="kzoo")
        sub = parser.add_subparsers(dest="command", required=True)
        sub.add_parser("list").set_defaults(func=func)
        return parser

    return build


def test_one_line():
    assert one_line(ValueError("a\n  b\n")) == "ValueError: a b"
    assert one_line(KeyError()) == "KeyError"


def test_eval_limit_other_than_the_slice_labels_the_full_split(hub_env, capsys):
    assert main(["eval", "tiny_net", "--limit", "48", "--no-progress", "--check"]) == 0
    out = capsys.readouterr().out
    assert "recorded (full split)" in out and "not the recorded CI slice" in out
    assert "<-- differs" not in out


def test_eval_limit_equal_to_the_slice_is_compared(hub_env, capsys, tmp_path):
    from kzoo.zoo import Manifest

    manifest = Manifest.load(hub_env.manifest)
    key = manifest.resolve("tiny_net").key
    data = manifest.entries[key].to_dict()
    data["ci_eval"] = {"limit": 48, "metrics": {"accuracy": 0.9}, "command": "test"}
    manifest.set_entry(key, data)
    path = manifest.save(tmp_path / "m.json")
    argv = ["eval", "tiny_net", "--limit", "48", "--no-progress", "--manifest", str(path)]
    assert main([*argv, "--check"]) == 1
    out = capsys.readouterr().out
    assert "<-- differs" in out and "full split" not in out
