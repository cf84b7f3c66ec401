import pytest

from tests.readme_sections import run_section


def test_readme_evaluation_section_runs(tmp_path):
    ns = run_section("Evaluation: retrieval, clustering, verification", tmp_path)
    assert ns["scores"]["precision_at_1"] == pytest.approx(
        ns["calc"].get_accuracy(
            ns["embeddings"][:100], ns["labels"][:100], ns["embeddings"][100:], ns["labels"][100:]
        )["precision_at_1"]
    )
    assert 0.5 < ns["report"].accuracy <= 1.0
    assert (tmp_path / "roc.png").read_bytes()[:4] == b"\x89PNG"
