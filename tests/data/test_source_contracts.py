"""The contract every registered data source keeps, checked for each entry of the registry.

A source that needs nothing is loaded as it is. A source that reads a user's files is loaded
from a small file written by its builder below: a new "files" source fails here until it has
one. A source that needs a download, asked for with an empty KERAS_HOME and no network, must
say which URL to fetch and where to put the file.
"""

from __future__ import annotations

import re
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas
import pytest
import tensorflow as tf

import data
from data.sources import source_needs

SOURCES_BY_NEED = {need: [name for name in data.list_sources() if source_needs(name) == need]
                   for need in data.sources.NEEDS}


# ---- the Dataset contract -------------------------------------------------------------------------


def width(features) -> tuple:
    """The shape of one sample, or the column names of a table."""
    if isinstance(features, pandas.DataFrame):
        return tuple(str(column) for column in features.columns)
    return tuple(np.shape(features)[1:])


def check_targets(targets, dataset: data.Dataset, where: str) -> None:
    targets = np.asarray(targets)
    if dataset.task == data.CLASSIFICATION:
        assert targets.dtype.kind in "iu", f"{where}: class labels are {targets.dtype}, not whole numbers"
        assert targets.ndim == 1, f"{where}: class labels have shape {targets.shape}, not one per sample"
        if len(targets):
            assert 0 <= targets.min() and targets.max() < len(dataset.class_names), (
                f"{where}: labels {np.unique(targets)[:10].tolist()} fall outside 0..{len(dataset.class_names) - 1}"
            )
    else:
        assert targets.dtype.kind == "f", f"{where}: regression targets are {targets.dtype}, not floats"


def check_dataset(dataset: data.Dataset, name: str) -> None:
    """What `data.prepare` and the engine rely on from any source."""
    assert isinstance(dataset, data.Dataset), f"{name} returned {type(dataset).__name__}, not a data.Dataset"
    assert len(dataset.features) > 0, f"{name} gave no samples"
    assert len(dataset.features) == len(dataset.targets), (
        f"{name}: {len(dataset.features)} feature rows but {len(dataset.targets)} targets")
    assert dataset.task in (data.CLASSIFICATION, data.REGRESSION), f"{name}: unknown task {dataset.task!r}"
    if dataset.task == data.CLASSIFICATION:
        names = dataset.class_names
        assert len(names) >= 2, f"{name}: a classification source needs at least two classes, has {names}"
        assert all(isinstance(class_name, str) for class_name in names), f"{name}: class names {names} not text"
        assert len(set(names)) == len(names), f"{name}: repeated class names {names}"
    else:
        assert dataset.class_names == [], f"{name}: a regression source names classes {dataset.class_names}"
    check_targets(dataset.targets, dataset, name)
    if dataset.feature_names:
        assert len(dataset.feature_names) == int(np.prod(np.shape(dataset.features)[1:])), (
            f"{name}: {len(dataset.feature_names)} feature names for samples shaped {np.shape(dataset.features)[1:]}")
    if dataset.test is not None:
        test_features, test_targets = dataset.test
        assert len(test_features) > 0 and len(test_features) == len(test_targets), (
            f"{name}: its test split has {len(test_features)} feature rows and {len(test_targets)} targets")
        assert width(test_features) == width(dataset.features), (
            f"{name}: test samples {width(test_features)} do not match training samples {width(dataset.features)}")
        check_targets(test_targets, dataset, f"{name} (test split)")
        assert np.shape(test_targets)[1:] == np.shape(dataset.targets)[1:], f"{name}: test targets' shape differs"


def assert_same_features(first, second) -> None:
    if isinstance(first, pandas.DataFrame):
        pandas.testing.assert_frame_equal(first, second)
    else:
        np.testing.assert_array_equal(first, second)


def assert_same_dataset(first: data.Dataset, second: data.Dataset) -> None:
    assert (first.task, first.class_names, first.feature_names) == (second.task, second.class_names,
                                                                    second.feature_names)
    assert_same_features(first.features, second.features)
    np.testing.assert_array_equal(first.targets, second.targets)
    assert (first.test is None) == (second.test is None)
    if first.test is not None:
        assert_same_features(first.test[0], second.test[0])
        np.testing.assert_array_equal(first.test[1], second.test[1])


def test_every_source_says_what_it_needs():
    assert sorted(name for names in SOURCES_BY_NEED.values() for name in names) == data.list_sources()


@pytest.mark.parametrize("name", SOURCES_BY_NEED[None])
def test_a_source_needing_nothing_loads_a_valid_dataset_the_same_way_twice(name):
    first = data.load(name)
    check_dataset(first, name)
    assert_same_dataset(first, data.load(name))


# ---- sources that read a user's files: one builder each ------------------------------------------------


def table(rows: int, seed: int, gap: bool = True) -> pandas.DataFrame:
    generator = np.random.default_rng(seed)
    frame = pandas.DataFrame({
        "size": generator.normal(10, 2, rows),
        "colour": np.where(np.arange(rows) % 2, "red", "blue"),
        "kind": np.array(["a", "b", "c"])[np.arange(rows) % 3],
    })
    if gap:  # a table source keeps gaps in its features for the feature_space step
        frame.loc[1, "size"] = np.nan
    return frame


def csv_files(folder: Path) -> dict:
    table(30, 0).to_csv(folder / "train.csv", index=False)
    table(9, 1).to_csv(folder / "test.csv", index=False)
    return {"path": str(folder / "train.csv"), "target": "kind", "test_path": str(folder / "test.csv")}


def parquet_files(folder: Path) -> dict:
    # A regression target this time (a table target must have no gaps for regression).
    table(30, 0, gap=False).to_parquet(folder / "train.parquet", index=False)
    table(9, 1, gap=False).to_parquet(folder / "test.parquet", index=False)
    return {"path": str(folder / "train.parquet"), "target": "size", "drop": ["kind"],
            "test_path": str(folder / "test.parquet")}


def npz_files(folder: Path) -> dict:
    features = np.arange(60, dtype="float32").reshape(20, 3)
    np.savez(folder / "arrays.npz", x_train=features, y_train=np.arange(20) % 3, x_test=features[:6],
             y_test=np.arange(6) % 3)
    return {"path": str(folder / "arrays.npz")}


def write_images(folder: Path, count: int) -> None:
    for index, name in enumerate(("cat", "dog")):
        (folder / name).mkdir(parents=True)
        for number in range(count):
            pixels = np.full((6, 5, 3), 40 * index + number, dtype="uint8")
            (folder / name / f"{number}.png").write_bytes(tf.io.encode_png(pixels).numpy())


def image_folder_files(folder: Path) -> dict:
    write_images(folder / "train", 3)
    write_images(folder / "test", 1)
    return {"path": str(folder / "train"), "image_size": [6, 5], "test_path": str(folder / "test")}


def write_texts(folder: Path, count: int) -> None:
    for label, words in (("good", "great fine lovely"), ("bad", "awful poor dreadful")):
        (folder / label).mkdir(parents=True)
        for number in range(count):
            (folder / label / f"{number}.txt").write_text(f"{words} text {number}")


def text_folder_files(folder: Path) -> dict:
    write_texts(folder / "train", 4)
    write_texts(folder / "test", 2)
    return {"path": str(folder / "train"), "test_path": str(folder / "test")}


def function_files(folder: Path) -> dict:
    (folder / "my_data.py").write_text(
        "import numpy as np\n"
        "def load(rows=10):\n"
        "    x = np.arange(rows * 2, dtype='float32').reshape(rows, 2)\n"
        "    return (x, np.arange(rows) % 2), (x[:4], np.arange(4) % 2)\n")
    return {"function": f"{folder / 'my_data.py'}:load", "args": {"rows": 12}}


# source name -> writes small files in the given folder and returns the source's arguments for them.
FILE_BUILDERS: dict[str, Callable[[Path], dict]] = {
    "csv": csv_files,
    "parquet": parquet_files,
    "npz": npz_files,
    "image_folder": image_folder_files,
    "text_folder": text_folder_files,
    "function": function_files,
}


@pytest.mark.parametrize("name", SOURCES_BY_NEED["files"])
def test_a_source_reading_files_loads_a_valid_dataset_from_small_files(name, tmp_path):
    if name not in FILE_BUILDERS:
        pytest.fail(f"The files source {name!r} has no builder: add one to FILE_BUILDERS in {__file__} that writes "
                    "a small file of its kind and returns the source's arguments.")
    arguments = FILE_BUILDERS[name](tmp_path)
    first = data.load(name, **arguments)
    check_dataset(first, name)
    assert first.test is not None, f"the builder for {name!r} should exercise the source's own test split"
    assert_same_dataset(first, data.load(name, **arguments))


def test_every_files_builder_belongs_to_a_registered_files_source():
    assert set(FILE_BUILDERS) <= set(SOURCES_BY_NEED["files"])


# ---- sources that need a download -------------------------------------------------------------------


@pytest.fixture
def offline(tmp_path, monkeypatch) -> Path:
    """An empty KERAS_HOME and no network: every connection attempt fails as it would offline."""

    def unreachable(*args, **kwargs):
        raise OSError("network is unreachable (blocked by the test)")

    monkeypatch.setattr(socket, "getaddrinfo", unreachable)
    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(socket.socket, "connect", unreachable)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return tmp_path / "keras_home" / "datasets"


KERAS_FILE_SOURCES = [name for name in SOURCES_BY_NEED["download"] if name != "tfds"]


@pytest.mark.parametrize("name", KERAS_FILE_SOURCES)
def test_a_download_source_offline_names_the_url_and_where_to_put_the_file(name, offline):
    with pytest.raises(data.DataError) as caught:
        data.load(name)
    message = str(caught.value)
    assert re.search(r"https?://\S+", message), f"{name}: the error does not name the URL to fetch: {message}"
    assert re.search(re.escape(str(offline)) + r"/\S+", message), (
        f"{name}: the error does not name a file to put under {offline}: {message}")


def test_tfds_without_tensorflow_datasets_says_what_to_install(monkeypatch):
    # A None entry in sys.modules makes `import tensorflow_datasets` fail as if it were not installed.
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    with pytest.raises(data.DataError, match="tensorflow-datasets"):
        data.load("tfds", name="mnist")
