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
