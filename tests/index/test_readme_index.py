import numpy as np

from tests.readme_sections import run_section


def test_readme_index_section_runs(tmp_path):
    ns = run_section("Retrieval index", tmp_path)
    index, calibration = ns["index"], ns["calibration"]
    assert len(index) == 500 and ns["positions"].shape == (3, 5)
    assert index.calibration.threshold == calibration.threshold and calibration.precision >= 0.9
    np.testing.assert_array_equal(index.match(ns["x_val"]), ns["predicted"])
    assert (tmp_path / "gallery.npz").exists()
