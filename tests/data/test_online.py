"""Downloadable sets, read from small files the tests write in each set's own format.

The sha256 that guards each real file is swapped for the written file's, so the whole path
(find the file, check its hash, parse it) runs as it would on a real download.
"""

import gzip
import hashlib
import importlib.util
import io
import os
import pickle
import tarfile
import time

import numpy as np
import pytest

import data
import data.online

COVERED = {"mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "tfds"}


def test_every_download_source_is_covered_here():
    assert {name for name in data.list_sources() if data.sources.source_needs(name) == "download"} == COVERED


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


def trust(monkeypatch, folder, file):
    """Publish the written file's own sha256 in place of Keras's, as if it were the real download."""
    digest = hashlib.sha256((folder / file).read_bytes()).hexdigest()
    monkeypatch.setitem(data.online.FILES, file, (data.online.FILES[file][0], digest))


def test_mnist_from_its_npz(keras_home, monkeypatch):
    images = np.arange(5 * 28 * 28, dtype="uint8").reshape(5, 28, 28)
    np.savez(keras_home / "mnist.npz", x_train=images[:3], y_train=np.array([0, 7, 9]), x_test=images[3:],
             y_test=np.array([1, 2]))
    trust(monkeypatch, keras_home, "mnist.npz")
    dataset = data.load("mnist")
    assert dataset.features.shape == (3, 28, 28, 1) and dataset.test[0].shape == (2, 28, 28, 1)
    assert dataset.targets.tolist() == [0, 7, 9] and len(dataset.class_names) == 10
    np.testing.assert_array_equal(dataset.features[1, :, :, 0], images[1])


def idx_file(path, array, header_bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as handle:
        handle.write(b"\0" * header_bytes + array.astype("uint8").tobytes())


def test_fashion_mnist_from_its_idx_files(keras_home):
    folder = keras_home / "fashion-mnist"
    for part, count in (("train", 4), ("t10k", 2)):
        idx_file(folder / f"{part}-images-idx3-ubyte.gz", np.full((count, 28, 28), 9), 16)
        idx_file(folder / f"{part}-labels-idx1-ubyte.gz", np.arange(count), 8)
    dataset = data.load("fashion_mnist")
    assert dataset.features.shape == (4, 28, 28, 1) and dataset.test[1].tolist() == [0, 1]
    assert dataset.class_names[9] == "Ankle boot"


def add_pickle(archive, name, payload):
    blob = pickle.dumps(payload)
    info = tarfile.TarInfo(name)
    info.size = len(blob)
    archive.addfile(info, io.BytesIO(blob))


def cifar_batch(count, label_key, first_label=0):
    pixels = np.arange(count * 3072, dtype="int64").reshape(count, 3072) % 256
    return {b"data": pixels.astype("uint8"), label_key.encode(): list(range(first_label, first_label + count))}


def test_cifar10_from_its_python_archive(keras_home, monkeypatch):
    with tarfile.open(keras_home / "cifar-10-python.tar.gz", "w:gz") as archive:
        for index in range(1, 6):
            add_pickle(archive, f"cifar-10-batches-py/data_batch_{index}", cifar_batch(2, "labels", index))
        add_pickle(archive, "cifar-10-batches-py/test_batch", cifar_batch(3, "labels"))
    trust(monkeypatch, keras_home, "cifar-10-python.tar.gz")
    dataset = data.load("cifar10")
    assert dataset.features.shape == (10, 32, 32, 3) and dataset.test[0].shape == (3, 32, 32, 3)
    assert dataset.targets.tolist() == [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]
    # Channels first on disk, channels last here: pixel (0, 0) of image 0 is values 0, 1024, 2048 mod 256.
    assert dataset.features[0, 0, 0].tolist() == [0, 1024 % 256, 2048 % 256]


def test_cifar100_reads_fine_or_coarse_labels(keras_home, monkeypatch):
    with tarfile.open(keras_home / "cifar-100-python.tar.gz", "w:gz") as archive:
        for name, count in (("train", 4), ("test", 2)):
            batch = cifar_batch(count, "fine_labels") | {b"coarse_labels": [19] * count}
            add_pickle(archive, f"cifar-100-python/{name}", batch)
    trust(monkeypatch, keras_home, "cifar-100-python.tar.gz")
    assert data.load("cifar100").targets.tolist() == [0, 1, 2, 3]
    coarse = data.load("cifar100", label_mode="coarse")
    assert coarse.targets.tolist() == [19] * 4 and len(coarse.class_names) == 20


class RunsCode:
    def __reduce__(self):
        return (os.system, ("echo hacked",))


def test_a_crafted_pickle_in_an_archive_is_refused(keras_home, monkeypatch):
    with tarfile.open(keras_home / "cifar-100-python.tar.gz", "w:gz") as archive:
        add_pickle(archive, "cifar-100-python/train", {b"data": RunsCode()})
    trust(monkeypatch, keras_home, "cifar-100-python.tar.gz")
    with pytest.raises(data.DataError, match="refusing `posix.system`"):
        data.load("cifar100")


def ragged(*lengths):
    return np.array([list(range(1, length + 1)) for length in lengths] + [[0]], dtype=object)[:-1]


def test_imdb_from_its_ragged_npz(keras_home, monkeypatch):
    np.savez(keras_home / "imdb.npz", x_train=ragged(3, 12), y_train=np.array([0, 1]), x_test=ragged(5),
             y_test=np.array([1]))
    trust(monkeypatch, keras_home, "imdb.npz")
    dataset = data.load("imdb", num_words=10, maxlen=8)
    assert dataset.features.shape == (2, 8) and dataset.test[0].shape == (1, 8)
    # Keras's convention: 1 starts, word w becomes w + 3, words past num_words become 2, padding 0 in front.
    assert dataset.features[0].tolist() == [0, 0, 0, 0, 1, 4, 5, 6]
    assert dataset.features[1].tolist() == [8, 9, 2, 2, 2, 2, 2, 2]  # the last 8 of 13 words, cut in front


def test_reuters_from_its_ragged_npz_uses_the_recipes_split(keras_home, monkeypatch):
    np.savez(keras_home / "reuters.npz", x=ragged(2, 4, 6), y=np.array([0, 3, 1]))
    trust(monkeypatch, keras_home, "reuters.npz")
    dataset = data.load("reuters", maxlen=5)
    assert dataset.test is None and dataset.features.shape == (3, 5) and len(dataset.class_names) == 4


def test_a_file_that_does_not_match_its_published_hash_is_refused(keras_home):
    np.savez(keras_home / "mnist.npz", x_train=np.zeros((1, 28, 28)))
    with pytest.raises(data.DataError, match="does not match the sha256 Keras publishes"):
        data.load("mnist")


def test_without_a_network_a_download_fails_fast_saying_what_to_fetch_and_where(keras_home, monkeypatch):
    # Port 9 on this machine refuses connections: the download fails as it does offline.
    monkeypatch.setitem(data.online.FILES, "mnist.npz", ("http://127.0.0.1:9/mnist.npz", "0" * 64))
    started = time.perf_counter()
    with pytest.raises(data.DataError) as caught:
        data.load("mnist")
    assert time.perf_counter() - started < 10
    message = str(caught.value)
    assert "http://127.0.0.1:9/mnist.npz" in message
    assert f"place it at {keras_home / 'mnist.npz'}" in message
    assert not (keras_home / "mnist.npz").exists()


@pytest.mark.skipif(importlib.util.find_spec("tensorflow_datasets") is not None,
                    reason="tensorflow-datasets is installed here")
def test_tfds_without_the_package_says_how_to_install_it():
    with pytest.raises(data.DataError, match="pip install tensorflow-datasets"):
        data.load("tfds", name="mnist")
