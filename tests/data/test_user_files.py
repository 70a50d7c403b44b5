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


def write_random_images(folder: Path, per_class: int, shape: tuple, seed: int = 0) -> None:
    generator = np.random.default_rng(seed)
    for name in ("cat", "dog", "eel"):
        (folder / name).mkdir(parents=True)
        for number in range(per_class):
            pixels = generator.integers(0, 256, shape, dtype="uint8")
            (folder / name / f"{number:02d}.png").write_bytes(tf.io.encode_png(pixels).numpy())


def keras_pixels(folder: Path, size: list) -> np.ndarray:
    """The float32 pixels keras.utils.image_dataset_from_directory reads (what the source held before)."""
    reader = tf.keras.utils.image_dataset_from_directory(str(folder), image_size=size, batch_size=None,
                                                         shuffle=False, label_mode="int")
    return np.stack([image for image, _ in reader.as_numpy_iterator()])


def test_an_image_split_in_memory_holds_uint8_pixels_and_its_batches_reach_the_model_as_float32(tmp_path):
    from data.pipeline import make_dataset

    write_random_images(tmp_path, per_class=12, shape=(16, 16, 3))
    before = keras_pixels(tmp_path, [16, 16])
    dataset = data.load("image_folder", path=str(tmp_path), image_size=[16, 16], stream=False)
    assert dataset.features.dtype == np.uint8
    np.testing.assert_array_equal(dataset.features, before)  # no resize: exactly the stored pixels
    prepared = data.prepare("image_folder", {"path": str(tmp_path), "image_size": [16, 16], "stream": False},
                            preprocessing=[{"name": "rescale", "scale": 1 / 255}], seed=3)
    assert prepared.raw_inputs["dtype"] == "uint8"
    for name, (features, _) in prepared.splits.items():
        assert isinstance(features, data.Pixels) and features.pixels.dtype == np.uint8, name
        assert features.dtype == np.float32 and features.shape[1:] == (16, 16, 3)
    features, targets = prepared.splits["train"]
    # What the rescale step gave before, on the float32 pixels of the same training samples.
    index = data.split_indices(dataset.targets, 0.15, 0.15, 3, True)["train"]
    expected = (before[index] * (1 / 255) + 0.0).astype("float32")
    np.testing.assert_array_equal(np.asarray(features), expected)
    np.testing.assert_array_equal(features[2:5], expected[2:5])
    for shuffle in (False, True):
        old = tf.data.Dataset.from_tensor_slices((expected, targets))
        old = (old.shuffle(len(expected), seed=7, reshuffle_each_iteration=True) if shuffle else old).batch(8)
        new = make_dataset(features, targets, batch_size=8, shuffle=shuffle, seed=7)
        assert new.element_spec[0].dtype == tf.float32
        for (x_old, y_old), (x_new, y_new) in zip(old, new, strict=True):
            np.testing.assert_array_equal(x_new.numpy(), x_old.numpy())
            np.testing.assert_array_equal(y_new.numpy(), y_old.numpy())


def test_resized_images_are_rounded_to_whole_pixels_alike_in_memory_and_streamed(tmp_path):
    from data.pipeline import make_dataset

    write_random_images(tmp_path, per_class=8, shape=(20, 12, 3))
    before = keras_pixels(tmp_path, [16, 16])
    assert (before != np.round(before)).any()  # a bilinear resize makes fractional values
    dataset = data.load("image_folder", path=str(tmp_path), image_size=[16, 16], stream=False)
    assert dataset.features.dtype == np.uint8
    np.testing.assert_array_equal(dataset.features, np.round(before))  # half a level at most from before
    streamed = data.prepare("image_folder", {"path": str(tmp_path), "image_size": [16, 16], "stream": True}, seed=1)
    in_memory = data.prepare("image_folder", {"path": str(tmp_path), "image_size": [16, 16], "stream": False}, seed=1)
    assert isinstance(in_memory.splits["train"][0], data.Pixels)
    batches = [[(x.numpy(), y.numpy()) for x, y in make_dataset(*prepared.splits["train"], 4, True, 5)]
               for prepared in (streamed, in_memory)]
    for (x_streamed, y_streamed), (x_memory, y_memory) in zip(*batches, strict=True):
        assert x_streamed.dtype == x_memory.dtype == np.float32
        np.testing.assert_array_equal(x_streamed, x_memory)
        np.testing.assert_array_equal(y_streamed, y_memory)


def test_a_streamed_cache_keeps_pixels_as_bytes_and_rescales_after_it(tmp_path):
    from data.pipeline import make_dataset

    write_random_images(tmp_path, per_class=6, shape=(8, 8, 3))
    args = {"path": str(tmp_path), "image_size": [8, 8]}
    steps = [{"name": "rescale", "scale": 1 / 255}]
    streamed = data.prepare("image_folder", {**args, "stream": True, "cache": "memory"}, preprocessing=steps, seed=1)
    in_memory = data.prepare("image_folder", {**args, "stream": False}, preprocessing=steps, seed=1)
    features = streamed.splits["train"][0]
    assert features.caches_pixels() and features.sample_bytes() == 8 * 8 * 3
    for shuffle in (False, True):
        pairs = [list(make_dataset(*prepared.splits["train"], 4, shuffle, 5)) for prepared in (streamed, in_memory)]
        for (x_streamed, _), (x_memory, _) in zip(*pairs, strict=True):
            np.testing.assert_array_equal(x_streamed.numpy(), x_memory.numpy())


def test_steps_other_than_rescale_compute_on_pixels_as_float32(tmp_path):
    write_random_images(tmp_path, per_class=6, shape=(8, 8, 3))
    args = {"path": str(tmp_path), "image_size": [8, 8], "stream": False}
    plain = data.prepare("image_folder", args, seed=1)
    assert isinstance(plain.splits["train"][0], data.Pixels)  # no step: bytes, read as float32 0-255
    standardized = data.prepare("image_folder", args, preprocessing=[{"name": "standardize"}], seed=1)
    features = standardized.splits["train"][0]
    assert isinstance(features, np.ndarray) and features.dtype == np.float32
    flat = np.asarray(plain.splits["train"][0]).reshape(len(features), -1)
    np.testing.assert_allclose(features.reshape(len(features), -1).mean(axis=0), 0.0, atol=1e-5)
    assert flat.dtype == np.float32


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
