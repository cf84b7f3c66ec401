import gzip
import shutil

import numpy as np
import pytest

from kzoo import datasets
from kzoo.datasets import DatasetFileError


def test_mnist_shapes_and_statistics():
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    x = x_train / 255.0
    assert round(x.mean(), 4) == datasets.MNIST_MEAN
    assert round(x.std(), 4) == datasets.MNIST_STD
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]


def test_fashion_mnist_shapes_and_statistics():
    (x_train, y_train), (x_test, y_test) = datasets.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    x = x_train / 255.0
    assert round(x.mean(), 4) == datasets.FASHION_MNIST_MEAN
    assert round(x.std(), 4) == datasets.FASHION_MNIST_STD
    assert y_train[:5].tolist() == [9, 0, 0, 3, 0]
    assert len(datasets.FASHION_MNIST_CLASSES) == 10


def test_att_faces():
    images, labels = datasets.load_att_faces()
    assert images.shape == (400, 112, 92) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [10] * 40
    assert labels[:11].tolist() == [0] * 10 + [1]


def test_att_faces_resized():
    full, _ = datasets.load_att_faces()
    small, labels = datasets.load_att_faces(size=(28, 28))
    assert small.shape == (400, 28, 28) and small.dtype == np.uint8
    # a 4x4 block of the 112-row image is about one pixel of the 28-row one (the mean brightness)
    assert abs(float(small.mean()) - float(full.mean())) < 1.0
    assert np.bincount(labels).tolist() == [10] * 40
    with pytest.raises(ValueError, match="`size`"):
        datasets.load_att_faces(size=(28,))


def test_att_faces_leave_one_out_nearest_neighbour_is_97_5_percent():
    images, labels = datasets.load_att_faces()
    x = images.reshape(400, -1).astype(np.float64)
    sq = (x * x).sum(1)
    d = sq[:, None] + sq[None, :] - 2 * x @ x.T
    np.fill_diagonal(d, np.inf)
    accuracy = (labels[d.argmin(1)] == labels).mean()
    assert accuracy == pytest.approx(0.975)


def test_omniglot_both_subsets_dedupe_shared_alphabets():
    data = datasets.load_omniglot()
    assert data.images.shape == (4840, 105, 105)
    assert len(data.character_names) == 242 and len(data.alphabet_names) == 8
    assert np.bincount(data.labels).tolist() == [20] * 242
    for c in range(242):
        assert sorted(data.drawers[data.labels == c].tolist()) == list(range(1, 21))
    assert set(np.unique(data.images).tolist()) == {0, 255}
    assert 0.02 < (data.images > 0).mean() < 0.2  # ink is the minority once inverted


@pytest.mark.parametrize("subset, characters, alphabets", [("small1", 136, 5), ("small2", 156, 5)])
def test_omniglot_subsets(subset, characters, alphabets):
    data = datasets.load_omniglot(subset, image_size=28)
    assert data.images.shape == (characters * 20, 28, 28)
    assert len(data.character_names) == characters and len(data.alphabet_names) == alphabets
    assert data.alphabets.max() == alphabets - 1


def test_omniglot_bad_arguments():
    with pytest.raises(ValueError, match="subset must be one of"):
        datasets.load_omniglot("evaluation")
    with pytest.raises(ValueError, match="image_size must be a positive int"):
        datasets.load_omniglot(image_size=0)


def _copy_dataset(tmp_path, name):
    source = datasets.data_file(name, "train-labels-idx1-ubyte.gz").parent
    shutil.copytree(source, tmp_path / name)
    for p in (tmp_path / name).iterdir():
        p.chmod(0o644)
    return tmp_path / name


def test_corrupt_file_is_refused_with_a_clear_message(tmp_path):
    folder = _copy_dataset(tmp_path, "mnist")
    path = folder / "train-labels-idx1-ubyte.gz"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetFileError) as info:
        datasets.load_mnist(data_dir=tmp_path)
    message = str(info.value)
    assert str(path) in message and "corrupt" in message and "sha256" in message
    assert "KZOO_DATA" in message


def test_truncated_file_is_refused(tmp_path):
    folder = _copy_dataset(tmp_path, "fashion_mnist")
    path = folder / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DatasetFileError, match="t10k-labels-idx1-ubyte.gz"):
        datasets.load_fashion_mnist(data_dir=tmp_path)


def test_missing_file_says_where_it_looked_and_how_to_provide_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KZOO_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("KZOO_HOME", str(tmp_path / "home"))
    with pytest.raises(DatasetFileError) as info:
        datasets.load_att_faces()
    message = str(info.value)
    assert "att_faces/att_faces.npz not found" in message
    assert str(tmp_path / "nowhere" / "att_faces" / "att_faces.npz") in message
    assert str(tmp_path / "home" / "datasets" / "att_faces" / "att_faces.npz") in message
    assert "KZOO_DATA" in message


def test_read_idx_rejects_inconsistent_payload(tmp_path):
    from kzoo.datasets.idx import read_idx

    path = tmp_path / "bad-idx1-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"\x00\x00\x08\x01" + (10).to_bytes(4, "big") + b"\x01\x02")
    with pytest.raises(DatasetFileError, match="header promises 18"):
        read_idx(path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DatasetFileError, match="Cannot decompress"):
        read_idx(path)
