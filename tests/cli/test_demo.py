import re

from kzoo.cli.main import main


def test_demo_prints_real_statistics_and_learns(capsys):
    assert main(["demo", "--steps", "30"]) == 0
    out = capsys.readouterr().out
    assert "pixel mean 0.1307 std 0.3081" in out
    assert "per class 6000..6000" in out
    assert "242 characters, 20..20 drawings each" in out
    before, after = map(float, re.search(r"test accuracy ([\d.]+) -> ([\d.]+)", out).groups())
    assert after > before + 0.3
