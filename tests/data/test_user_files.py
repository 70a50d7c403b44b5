"""Sources that read a user's files, tested on small files each test writes."""

from pathlib import Path

import numpy as np
import pandas
import pytest
import tensorflow as tf

import data

# Every source that reads a user's files must have a test here; a new one fails this list until it has.
COVERED = {"csv", "parquet", "npz", "image_folder", "text_folder", "function"}


def test_every_file_source_is_covered_here():
    assert {name for name in data.list_sources() if data.sources.source_needs(name) == "files"} == COVERED


def table(rows: int = 60, seed: int = 0) -> pandas.DataFrame:
    generator = np.random.default_rng(seed)
    kind = np.array(["a", "b", "c"])[np.arange(rows) % 3]
    size = generator.normal(10, 2, rows) + (kind == "b") * 5
    frame = pandas.DataFrame({"size": size, "colour": np.where(np.arange(rows) % 2, "red", "blue"), "kind": kind})
    frame.loc[3, "size"] = np.nan
    frame.loc[4, "colour"] = None
    return frame


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_table_file_loads_with_its_target_types_and_gaps(kind, tmp_path):
    path = tmp_path / f"table.{kind}"
    getattr(table(), f"to_{kind}")(path, index=False)
    dataset = data.load(kind, path=str(path), target="kind")
    assert dataset.task == data.CLASSIFICATION
    assert dataset.class_names == ["a", "b", "c"]
    assert list(dataset.features.columns) == ["size", "colour"]
    assert dataset.features["size"].isna().sum() == 1 and dataset.features["colour"].isna().sum() == 1
    with pytest.raises(data.DataError, match="target column 'size' has 1 missing values"):
        data.load(kind, path=str(path), target="size")
    filled = table().fillna({"size": 10.0})
    getattr(filled, f"to_{kind}")(path, index=False)
    assert data.load(kind, path=str(path), target="size", drop=["kind"]).task == data.REGRESSION


def test_a_table_with_its_own_test_file_keeps_it_as_the_test_split(tmp_path):
    table(60).to_csv(tmp_path / "train.csv", index=False)
    table(21, seed=1).to_csv(tmp_path / "test.csv", index=False)
    prepared = data.prepare("csv", {"path": str(tmp_path / "train.csv"), "target": "kind",
                                    "test_path": str(tmp_path / "test.csv")},
                            validation_split=0.2, preprocessing=[{"name": "feature_space"}], seed=0)
    assert prepared.test_from == "source"
    assert prepared.sizes() == {"train": 48, "validation": 12, "test": 21}
    # Stratified: 20 of each kind, so the 12 validation rows are 4 of each.
    assert prepared.class_counts["validation"] == [4, 4, 4]


def test_an_npz_file_with_and_without_its_own_test_split(tmp_path):
    features = np.arange(40, dtype="float32").reshape(20, 2)
    np.savez(tmp_path / "plain.npz", x=features, y=np.arange(20) % 2)
    plain = data.load("npz", path=str(tmp_path / "plain.npz"))
    assert plain.task == data.CLASSIFICATION and plain.test is None and plain.class_names == ["0", "1"]
    np.savez(tmp_path / "split.npz", x_train=features, y_train=np.arange(20) * 0.5, x_test=features[:5],
             y_test=np.arange(5) * 0.5)
    split = data.load("npz", path=str(tmp_path / "split.npz"), task="regression")
    assert split.task == data.REGRESSION and len(split.test[0]) == 5


def test_an_npz_file_needing_pickle_is_refused(tmp_path):
    np.savez(tmp_path / "objects.npz", x=np.array([[1], [1, 2]], dtype=object), y=np.array([0, 1]))
    with pytest.raises(data.DataError, match="without pickle"):
        data.load("npz", path=str(tmp_path / "objects.npz"))


def write_images(folder: Path, classes: dict[str, int]) -> None:
    for index, (name, count) in enumerate(classes.items()):
        (folder / name).mkdir(parents=True)
        for number in range(count):
            pixels = np.full((6, 5, 3), 40 * index + number, dtype="uint8")
            (folder / name / f"{number}.png").write_bytes(tf.io.encode_png(pixels).numpy())


def test_an_image_folder_gives_one_class_per_sub_folder(tmp_path):
    write_images(tmp_path / "train", {"cat": 3, "dog": 4})
    write_images(tmp_path / "test", {"cat": 1, "dog": 2})
    dataset = data.load("image_folder", path=str(tmp_path / "train"), image_size=[6, 5],
                        test_path=str(tmp_path / "test"))
    assert dataset.class_names == ["cat", "dog"]
    assert dataset.features.shape == (7, 6, 5, 3)
    assert np.bincount(dataset.targets).tolist() == [3, 4]
    assert dataset.features[dataset.targets == 1].min() >= 40  # dog images are the brighter ones
    assert dataset.test[0].shape == (3, 6, 5, 3)


def test_an_image_folder_with_one_class_is_refused(tmp_path):
    write_images(tmp_path, {"cat": 3})
    with pytest.raises(data.DataError, match="at least two classes"):
        data.load("image_folder", path=str(tmp_path))


def test_a_text_folder_is_read_and_vectorized_on_the_training_vocabulary(tmp_path):
    for label, words in (("good", "great fine lovely"), ("bad", "awful poor dreadful")):
        (tmp_path / label).mkdir()
        for number in range(6):
            (tmp_path / label / f"{number}.txt").write_text(f"{words} text {number}")
    dataset = data.load("text_folder", path=str(tmp_path))
    assert dataset.class_names == ["bad", "good"] and len(dataset.features) == 12
    prepared = data.prepare("text_folder", {"path": str(tmp_path)}, validation_split=0.25, test_split=0.25,
                            preprocessing=[{"name": "text_vectorize", "max_tokens": 50}])
    assert prepared.splits["train"][0].dtype == np.float32
    assert prepared.splits["train"][0].shape[1] == prepared.steps[0]["vocabulary"]


def test_a_python_function_can_bring_any_arrays(tmp_path):
    (tmp_path / "my_data.py").write_text(
        "import numpy as np\n"
        "def load(rows=10):\n"
        "    x = np.arange(rows * 2, dtype='float32').reshape(rows, 2)\n"
        "    return (x, x.sum(axis=1) * 0.5), (x[:3], x[:3].sum(axis=1) * 0.5)\n")
    dataset = data.load("function", function=f"{tmp_path / 'my_data.py'}:load", args={"rows": 12})
    assert dataset.task == data.REGRESSION and len(dataset.features) == 12 and len(dataset.test[0]) == 3
    with pytest.raises(data.DataError, match="has no function 'missing'"):
        data.load("function", function=f"{tmp_path / 'my_data.py'}:missing")


@pytest.mark.parametrize("call, message", [
    (lambda d: data.load("csv", path=str(d / "none.csv"), target="kind"), "No file at"),
    (lambda d: data.load("csv", path=str(d / "t.csv"), target="species"), "has no column 'species'"),
    (lambda d: data.load("csv", path=str(d / "t.csv"), target="kind", classes=["a", "b"]),
     r"labels \['c'\] are not among the declared classes"),
    (lambda d: data.load("csv", path=str(d / "t.csv"), target="colour", task="regression"), "not numbers"),
    (lambda d: data.load("csv", path=str(d / "t.csv")), "needs `data.args.target`"),
    (lambda d: data.prepare("csv", {"path": str(d / "t.csv"), "target": "kind"}), "hold text"),
    (lambda d: data.prepare("csv", {"path": str(d / "t.csv"), "target": "kind", "drop": ["colour"]}),
     "still holds 1 missing"),
    (lambda d: data.load("npz", path=str(d / "t.csv")), "as a NumPy .npz file"),
])
def test_bad_files_give_data_errors_that_say_what_to_change(call, message, tmp_path):
    table().to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(data.DataError, match=message):
        call(tmp_path)
