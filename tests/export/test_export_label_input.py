import pytest

from kzoo.export import to_tflite
from kzoo.models import build_margin_classifier, training_model
from kzoo.testing.test_case import backend

pytestmark = pytest.mark.skipif(backend() != "tensorflow", reason="LiteRT export runs under TF")


def _model():
    return build_margin_classifier(
        3, head="arcface", backbone="conv4", backbone_kwargs={"width": 4}, embedding_dim=4
    )


def test_refuses_a_label_input(tmp_path):
    train = training_model(_model())
    path = tmp_path / "train.tflite"
    with pytest.raises(ValueError, match=r"label input\(s\) \['label'\].*inference model"):
        to_tflite(train, path)
    assert not path.exists()


def test_margin_model_exports_its_label_free_graph(tmp_path):
    report = to_tflite(_model(), tmp_path / "m.tflite")
    assert report.output_names == ("embedding", "logits")
