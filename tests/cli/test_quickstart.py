import re

import pytest

from kzoo.cli.main import main
from kzoo.zoo import Manifest

pytestmark = pytest.mark.skipif(
    "sphereface_resnet20" not in {e.name for e in Manifest.load().entries.values()},
    reason="sphereface_resnet20 is not published yet",
)


def test_quickstart_fetches_scores_as_recorded_and_saves_a_picture(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    picture = tmp_path / "quickstart.png"
    assert main(["quickstart", "--points", "300", "--output", str(picture)]) == 0
    out = capsys.readouterr().out
    rows = re.findall(
        r"^\s+(accuracy|recall_at_1|map_at_r)\s+([\d.]+)\s+([\d.]+)\s+(-?[\d.]+)$", out, re.M
    )
    assert {r[0] for r in rows} == {"accuracy", "recall_at_1", "map_at_r"}, out
    assert all(abs(float(r[3])) <= 0.005 for r in rows), out
    assert "differs" not in out
    assert picture.stat().st_size > 10_000 and picture.read_bytes()[:4] == b"\x89PNG"
