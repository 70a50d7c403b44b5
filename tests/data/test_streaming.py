"""Sources streamed from files give what the same files give read into memory.

Each test prepares the same small folder or table twice, with `stream=True` and with
`stream=False`, and compares: split membership, the statistics preprocessing learns, the
pipeline's batches. Statistics come from the training split only, bad `stream` / `cache`
values are refused, and a recipe trains to the same test metrics either way.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas
import pytest
import tensorflow as tf

import data
from data.pipeline import make_dataset
from tests.conftest import only_run_folder, read_json, run_cli

CLASSES = ("ant", "bee", "cow")


def write_images(folder: Path, per_class: int = 20, seed: int = 0) -> None:
    """3 classes of PNGs, 20 x 12 pixels (so reading resizes them), a different random picture each."""
    generator = np.random.default_rng(seed)
    for label, name in enumerate(CLASSES):
        (folder / name).mkdir(parents=True)
        for number in range(per_class):
            pixels = generator.integers(0, 200, (20, 12, 3)) + 20 * label
            (folder / name / f"{number:02d}.png").write_bytes(tf.io.encode_png(pixels.astype("uint8")).numpy())
    (folder / "ant" / "notes.md").write_text("not an image")


def write_texts(folder: Path, per_class: int = 12) -> None:
    words = {"ant": "small busy worker colony", "bee": "honey buzz hive flower", "cow": "milk grass field moo"}
    for name in CLASSES:
        (folder / name).mkdir(parents=True)
        for number in range(per_class):
            chosen = words[name].split()[: 1 + number % 4]
            (folder / name / f"{number}.txt").write_text(" ".join(chosen + [f"word{number % 5}", "common"]))


def table(rows: int = 90, seed: int = 0) -> pandas.DataFrame:
    generator = np.random.default_rng(seed)
    frame = pandas.DataFrame({
        "size": generator.normal(10, 2, rows),
        "count": generator.integers(0, 50, rows),
        "colour": np.array(["red", "blue", "green"])[generator.integers(0, 3, rows)].astype(object),
        "label": np.array(["a", "b", "c"])[np.arange(rows) % 3],
    })
    frame.loc[[3, rows // 5, rows // 2], "size"] = np.nan
    frame.loc[[5, rows - 3], "colour"] = None
    return frame


def write_table(folder: Path, kind: str, frame: pandas.DataFrame | None = None) -> str:
    frame = table() if frame is None else frame
    path = folder / f"table.{kind}"
    if kind == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return str(path)


def both(source: str, args: dict, preprocessing: list | None = None, **options) -> tuple:
    """The same source prepared streamed and in memory."""
    return tuple(data.prepare(source, {**args, "stream": stream}, preprocessing=preprocessing, seed=3, **options)
                 for stream in (True, False))


def materialize(features) -> np.ndarray:
    if isinstance(features, data.Stream):
        return np.stack(list(features.dataset().as_numpy_iterator()))
    return np.asarray(features)


def assert_same_splits(streamed: data.Prepared, in_memory: data.Prepared, exact: bool = True) -> None:
    assert streamed.splits.keys() == in_memory.splits.keys()
    assert streamed.input_shape == in_memory.input_shape
    assert streamed.class_names == in_memory.class_names and streamed.class_counts == in_memory.class_counts
    for name, (features, targets) in streamed.splits.items():
        assert isinstance(features, data.Stream)
        memory_features, memory_targets = in_memory.splits[name]
        np.testing.assert_array_equal(targets, memory_targets)
        assert len(features) == len(memory_features)
        values = materialize(features)
        if values.dtype.kind in "OSU":
            assert [str(text, "utf-8") for text in values] == [str(text) for text in memory_features]
        elif exact:
            np.testing.assert_array_equal(values, memory_features)
        else:  # statistics learned batch by batch may round a last float64 digit differently
            np.testing.assert_allclose(values, memory_features, rtol=1e-6, atol=1e-6)


def batches(features, targets, **options) -> list:
    dataset = make_dataset(features, targets, batch_size=16, seed=7, **options)
    return [(np.asarray(x), np.asarray(y)) for x, y in dataset]


def assert_same_batches(first: list, second: list, exact: bool = True) -> None:
    assert len(first) == len(second)
    for (x1, y1), (x2, y2) in zip(first, second, strict=True):
        np.testing.assert_array_equal(y1, y2)
        if exact:
            np.testing.assert_array_equal(x1, x2)
        else:
            np.testing.assert_allclose(x1, x2, rtol=1e-6, atol=1e-6)


# ---- image and text folders ---------------------------------------------------------------------


@pytest.fixture
def images(tmp_path) -> dict:
    write_images(tmp_path / "images")
    return {"path": str(tmp_path / "images"), "image_size": [16, 16]}


def test_streamed_images_have_the_same_splits_pixels_and_batches(images):
    streamed, in_memory = both("image_folder", images)
    assert_same_splits(streamed, in_memory)
    assert streamed.input_shape == (16, 16, 3)
    for shuffle in (False, True):
        assert_same_batches(batches(*streamed.splits["train"], shuffle=shuffle),
                            batches(*in_memory.splits["train"], shuffle=shuffle))


def test_streamed_standardize_learns_the_training_statistics_of_memory(images):
    steps = [{"name": "standardize"}, {"name": "rescale", "scale": 2.0}]
    streamed, in_memory = both("image_folder", images, steps)
    assert streamed.steps == in_memory.steps
    assert_same_splits(streamed, in_memory, exact=False)
    assert_same_batches(batches(*streamed.splits["test"], shuffle=False),
                        batches(*in_memory.splits["test"], shuffle=False), exact=False)


@pytest.mark.parametrize("cache", ["none", "memory", "auto", "file"])
def test_shuffled_streamed_batches_are_reproducible_and_each_epoch_holds_every_sample(images, cache, tmp_path):
    cache = str(tmp_path / "cache" / "train") if cache == "file" else cache
    prepared = data.prepare("image_folder", {**images, "stream": True, "cache": cache}, seed=3)
    features, targets = prepared.splits["train"]
    dataset = make_dataset(features, targets, batch_size=8, shuffle=True, seed=11)
    epochs = [np.concatenate([np.asarray(x) for x, _ in dataset]) for _ in range(2)]
    again = np.concatenate([np.asarray(x) for x, _ in make_dataset(features, targets, 8, shuffle=True, seed=11)])
    np.testing.assert_array_equal(epochs[0], again)
    assert not np.array_equal(epochs[0], epochs[1]), "each epoch should be shuffled afresh"
    ordered = materialize(features).astype("float32")  # uint8 pixels as decoded; batches reach the model as float32
    for epoch in epochs:
        assert sorted(map(bytes, epoch)) == sorted(map(bytes, ordered)), "an epoch must hold each sample once"


def test_statistics_come_from_the_training_split_only(images):
    steps = [{"name": "standardize"}]
    before = data.prepare("image_folder", {**images, "stream": True}, preprocessing=steps, seed=3)
    train, test = (materialize(before.splits[name][0]) for name in ("train", "test"))  # read now: streams are lazy
    for path in before.splits["test"][0].keys:  # the test split's files become extreme
        Path(str(path)).write_bytes(tf.io.encode_png(np.full((20, 12, 3), 255, "uint8")).numpy())
    after = data.prepare("image_folder", {**images, "stream": True}, preprocessing=steps, seed=3)
    np.testing.assert_array_equal(materialize(after.splits["train"][0]), train)
    assert materialize(after.splits["test"][0]).mean() > test.mean() + 1.0


def test_a_streamed_image_folder_keeps_its_own_test_folder(tmp_path):
    write_images(tmp_path / "train")
    write_images(tmp_path / "test", per_class=4, seed=1)
    args = {"path": str(tmp_path / "train"), "test_path": str(tmp_path / "test"), "image_size": [8, 8],
            "color_mode": "grayscale"}
    streamed, in_memory = both("image_folder", args)
    assert streamed.test_from == "source" and len(streamed.splits["test"][0]) == 12
    assert_same_splits(streamed, in_memory)


def test_streamed_texts_learn_the_same_vocabulary_and_vectors(tmp_path):
    write_texts(tmp_path / "texts")
    args = {"path": str(tmp_path / "texts")}
    streamed, in_memory = both("text_folder", args)
    assert_same_splits(streamed, in_memory)
    for mode in ("multi_hot", "int", "tf_idf"):
        steps = [{"name": "text_vectorize", "output_mode": mode, "sequence_length": 6}]
        streamed, in_memory = both("text_folder", args, steps)
        assert streamed.steps == in_memory.steps
        assert_same_splits(streamed, in_memory)


# ---- tables -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_streamed_tables_encode_like_memory_with_a_feature_space(kind, tmp_path):
    args = {"path": write_table(tmp_path, kind), "target": "label"}
    steps = [{"name": "feature_space", "impute": "mean"}]
    streamed, in_memory = both(kind, args, steps)
    assert streamed.steps == in_memory.steps
    assert streamed.steps[0]["missing_in_train"] == in_memory.steps[0]["missing_in_train"] != {}
    assert_same_splits(streamed, in_memory)
    assert_same_batches(batches(*streamed.splits["train"], shuffle=True),
                        batches(*in_memory.splits["train"], shuffle=True))
    columns = {name: np.asarray(values) for name, values in table().drop(columns="label").head(5).items()}
    columns["colour"] = columns["colour"].astype(str)
    columns["size"] = columns["size"].astype("float32")
    np.testing.assert_allclose(np.asarray(streamed.feature_space(columns)),
                               np.asarray(in_memory.feature_space(columns)), rtol=1e-6, atol=1e-6)


def rows_with_labels(batched: list) -> list:
    return sorted((tuple(np.round(x, 5)), y) for xs, ys in batched for x, y in zip(xs, ys, strict=True))


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_table_read_afresh_each_epoch_moves_whole_chunks_and_keeps_every_row_with_its_label(
        kind, tmp_path, monkeypatch):
    # Small chunks and a pool of 40 rows, so that the 90-row table is read in pieces and mixed by a window.
    monkeypatch.setattr(data.streaming, "CHUNK_ROWS", 16)
    monkeypatch.setattr(data.streaming, "SHUFFLE_BYTES", 40 * (data.streaming.ELEMENT_BYTES + 200))
    args = {"path": write_table(tmp_path, kind), "target": "label", "cache": "none"}
    streamed, in_memory = both(kind, args, [{"name": "feature_space", "impute": "mean"}])
    features, targets = streamed.splits["train"]
    in_order = batches(features, targets, shuffle=False)
    assert_same_batches(in_order, batches(*in_memory.splits["train"], shuffle=False))
    dataset = make_dataset(features, targets, batch_size=16, shuffle=True, seed=7)
    assert int(dataset.cardinality()) == -(-len(features) // 16)
    epochs = [[(np.asarray(x), np.asarray(y)) for x, y in dataset] for _ in range(2)]
    assert [len(y) for _, y in epochs[0]] == [len(y) for _, y in in_order], "full batches, the last one short"
    for epoch in epochs:
        assert rows_with_labels(epoch) == rows_with_labels(in_order), "each row once, with its own label"
    assert not np.array_equal(np.concatenate([y for _, y in epochs[0]]), np.concatenate([y for _, y in epochs[1]]))
    again = make_dataset(features, targets, batch_size=16, shuffle=True, seed=7)
    assert_same_batches([(np.asarray(x), np.asarray(y)) for x, y in again], epochs[0])


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_streamed_numeric_tables_impute_and_standardize_like_memory(kind, tmp_path):
    args = {"path": write_table(tmp_path, kind), "target": "label", "drop": ["colour"]}
    steps = [{"name": "impute", "strategy": "mean"}, {"name": "standardize"}]
    streamed, in_memory = both(kind, args, steps)
    assert streamed.steps == in_memory.steps
    assert streamed.input_shape == (2,)
    assert_same_splits(streamed, in_memory, exact=False)


def test_steps_that_cannot_stream_say_what_to_do_instead(tmp_path):
    args = {"path": write_table(tmp_path, "csv"), "target": "label", "stream": True}
    with pytest.raises(data.DataError, match=r"'feature_space' cannot run on data streamed .*impute.: .mean."):
        data.prepare("csv", args, preprocessing=[{"name": "feature_space"}])
    with pytest.raises(data.DataError, match=r"'impute' cannot run on data streamed.*stream=false"):
        data.prepare("csv", {**args, "drop": ["colour"]}, preprocessing=[{"name": "impute"}])
    with pytest.raises(data.DataError, match=r"columns \['colour'\] hold text"):
        data.prepare("csv", args, preprocessing=[{"name": "standardize"}])
    with pytest.raises(data.DataError, match=r"streamed train split may still hold missing values"):
        data.prepare("csv", {**args, "drop": ["colour"]}, preprocessing=[{"name": "standardize"}])


def test_a_streamed_table_keeps_its_own_test_file(tmp_path):
    (tmp_path / "test").mkdir()
    args = {"path": write_table(tmp_path, "csv"), "target": "label",
            "test_path": write_table(tmp_path / "test", "csv", table(rows=12, seed=4))}
    streamed, in_memory = both("csv", args, [{"name": "feature_space", "impute": "mean"}])
    assert len(streamed.splits["test"][0]) == 12
    assert_same_splits(streamed, in_memory)


@pytest.mark.parametrize("source", ["image_folder", "text_folder", "csv", "parquet"])
@pytest.mark.parametrize(("argument", "value"), [("stream", "yes"), ("stream", 1), ("cache", ""), ("cache", 3)])
def test_bad_stream_and_cache_values_are_refused(source, argument, value, tmp_path):
    if source in ("csv", "parquet"):
        args = {"path": write_table(tmp_path, source), "target": "label"}
    else:
        (write_images if source == "image_folder" else write_texts)(tmp_path / "files")
        args = {"path": str(tmp_path / "files")}
    with pytest.raises(data.DataError, match=rf"`data.args.{argument}` must be .*Received: {argument}={value!r}"):
        data.load(source, **args, **{argument: value})


def test_auto_streams_only_files_over_the_threshold(images, monkeypatch):
    assert not isinstance(data.load("image_folder", **images).features, data.Stream)
    monkeypatch.setattr(data.streaming, "STREAM_BYTES", 100)
    assert isinstance(data.load("image_folder", **images).features, data.Stream)


# ---- whole runs: streamed and in memory give the same test metrics ----------------------------------------


RECIPE = textwrap.dedent('''
    """{description}"""
    import keras

    from engine import Data, Model, Recipe


    def small(input_shape, num_classes, output_activation="softmax"):
        inputs = keras.Input(shape=input_shape)
        hidden = keras.layers.Flatten()(inputs)
        hidden = keras.layers.Dense(8, activation="relu")(hidden)
        return keras.Model(inputs, keras.layers.Dense(num_classes, activation=output_activation)(hidden))


    recipe = Recipe(
        data=Data(source="{source}", args={args}, preprocessing={steps}),
        model=Model(builder=small),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        batch_size=16,
        epochs=2,
        seed=4,
    )
''')


@pytest.mark.parametrize("source", ["image_folder", "csv"])
def test_a_recipe_trains_to_the_same_test_metrics_streamed_and_in_memory(source, tmp_path):
    if source == "image_folder":
        write_images(tmp_path / "images")
        args = {"path": str(tmp_path / "images"), "image_size": [16, 16]}
        steps = [{"name": "rescale", "scale": 1 / 255}]
    else:
        args = {"path": write_table(tmp_path, "csv"), "target": "label"}
        steps = [{"name": "feature_space", "impute": "mean"}]
    recipe = tmp_path / f"streamed_{source}.py"
    recipe.write_text(RECIPE.format(description=f"A tiny model on a {source}.", source=source,
                                    args=json.dumps(args), steps=json.dumps(steps)))
    metrics = {}
    for stream in ("true", "false"):
        runs_dir = tmp_path / f"runs_{stream}"
        result = run_cli("recipe", str(recipe), f"data.args.stream={stream}", runs_dir=runs_dir)
        assert result.returncode == 0, result.stderr[-3000:]
        metrics[stream] = read_json(only_run_folder(runs_dir, recipe.stem) / "metrics.json")["test"]
    # The same seed shuffles the same keys the same way, so training sees the same batches in the
    # same order: only float rounding in the preprocessing statistics may differ.
    assert metrics["true"].keys() == metrics["false"].keys()
    for name, value in metrics["true"].items():
        if isinstance(value, float):
            assert value == pytest.approx(metrics["false"][name], abs=1e-6), name
        else:
            assert value == metrics["false"][name], name
