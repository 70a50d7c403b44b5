"""make predict: raw inputs through a run's fitted preprocessing and model, one CSV row per input.

On each kind's own test split the predictions reproduce the test metric of the run's metrics.json exactly;
bad inputs exit 2 and write nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas
import pytest
from sklearn import metrics as sk

from engine.cli import main
from tests.engine.serve_runs import KINDS, metric_pair, write_rows, write_test_split

# serve_runs (tests/engine/conftest.py) trains once per process: keep this file and test_export.py together.
pytestmark = pytest.mark.xdist_group("serve")


@pytest.mark.parametrize("name", list(KINDS))
def test_predictions_on_the_test_split_reproduce_the_recorded_test_metric(serve_runs, name, tmp_path):
    folder = serve_runs[name]
    output = tmp_path / "predictions.csv"
    assert main(["predict", str(folder), str(write_test_split(folder, tmp_path)), "--output", str(output)]) == 0
    measured, recorded = metric_pair(folder, output)
    assert measured == recorded
    table = pandas.read_csv(output, keep_default_na=False)
    state = json.loads((folder / "preprocessing.json").read_text())
    if state["task"] == "classification":
        probabilities = table[[f"probability_{name}" for name in state["class_names"]]].to_numpy()
        assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
        assert set(table["predicted"].astype(str)) <= set(state["class_names"])
    else:  # in the target's own units (diabetes scores run from 25 to 346), not in standard units
        assert 50 < table["predicted"].mean() < 250


def test_named_feature_columns_work_as_a_csv_and_give_the_same_predictions(serve_runs, tmp_path):
    from engine.serve.predict import predict

    folder = serve_runs["diabetes_regression"]
    state = json.loads((folder / "preprocessing.json").read_text())
    features = np.load(write_test_split(folder, tmp_path))["x"]
    pandas.DataFrame(features, columns=state["raw_inputs"]["names"]).iloc[:, ::-1].to_csv(tmp_path / "rows.csv",
                                                                                          index=False)
    from_csv = pandas.read_csv(predict(folder, tmp_path / "rows.csv", tmp_path / "a.csv", console=print))
    from_npz = pandas.read_csv(predict(folder, tmp_path / "test_split.npz", tmp_path / "b.csv", console=print))
    assert np.array_equal(from_csv["predicted"].to_numpy(), from_npz["predicted"].to_numpy())


def test_a_pretrained_zoo_model_predicts_by_name(tmp_path):
    from sklearn.datasets import load_digits

    digits = load_digits()
    keep = digits.target < 5
    np.savez(tmp_path / "digits.npz", x=digits.data[keep][:50].astype("float32"))
    assert main(["predict", "digits04_cnn", str(tmp_path / "digits.npz"), "--output", str(tmp_path / "p.csv")]) == 0
    table = pandas.read_csv(tmp_path / "p.csv")
    assert list(table.columns) == ["row", "predicted", *[f"probability_{digit}" for digit in range(5)]]
    assert (table["predicted"].to_numpy() == digits.target[keep][:50]).mean() >= 0.9


def _penguins_rows(serve_runs, tmp_path) -> pandas.DataFrame:
    return pandas.read_csv(write_test_split(serve_runs["penguins_tabular"], tmp_path))


def _unfinished(serve_runs, tmp_path):
    folder = shutil.copytree(serve_runs["digits_cnn"], tmp_path / "unfinished")
    env = json.loads((folder / "env.json").read_text())
    (folder / "env.json").write_text(json.dumps({**env, "status": "running"}))
    return folder


BAD_INPUTS = {
    "missing column": ("penguins_tabular", lambda runs, tmp: _penguins_rows(runs, tmp).drop(columns=["island"]),
                       "lacks the columns ['island']"),
    "extra column": ("penguins_tabular", lambda runs, tmp: _penguins_rows(runs, tmp).assign(colour="blue"),
                     "columns ['colour'] that the model was not trained on"),
    "text in a numeric column": ("penguins_tabular",
                                 lambda runs, tmp: _penguins_rows(runs, tmp).assign(body_mass_g="heavy"),
                                 "declared numeric"),
    "wrong sample shape": ("digits_cnn", lambda runs, tmp: np.zeros((3, 8, 8), "float32"), "shaped [8, 8]"),
    "gaps with no impute step": ("diabetes_regression",
                                 lambda runs, tmp: np.full((2, 10), np.nan, "float32"), "no impute step"),
    "an empty file": ("mnist1d_cnn", lambda runs, tmp: np.zeros((0, 40, 1), "float32"), "holds no samples"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_inputs_exit_2_with_a_message_and_write_nothing(serve_runs, tmp_path, capsys, case):
    name, make, expected = BAD_INPUTS[case]
    path = write_rows(make(serve_runs, tmp_path), tmp_path, "rows")
    output = tmp_path / "out" / "predictions.csv"
    output.parent.mkdir()
    assert main(["predict", str(serve_runs[name]), str(path), "--output", str(output)]) == 2
    message = capsys.readouterr().err
    assert message.startswith("error: ") and expected in message and "Traceback" not in message
    assert list(output.parent.iterdir()) == []


def test_an_unfinished_run_or_an_unknown_name_is_refused(serve_runs, tmp_path, capsys):
    rows = write_test_split(serve_runs["digits_cnn"], tmp_path)
    output = tmp_path / "predictions.csv"
    assert main(["predict", str(_unfinished(serve_runs, tmp_path)), str(rows), "--output", str(output)]) == 2
    assert "not a finished run" in capsys.readouterr().err
    assert main(["predict", "digits04_cnm", str(rows), "--output", str(output)]) == 2
    assert "Did you mean 'digits04_cnn'" in capsys.readouterr().err
    assert not output.exists()


# An image folder run: 12x12 PNGs read at 8x8, each class its own colour and stripes, with its own test folder
# (`test_path`), so the test split is a folder predict can read as it is.
IMAGE_CLASSES = ("red_checks", "green_rows", "blue_columns")  # the channel each class brightens, in this order


def _pattern(channel: int, generator, height: int = 12, width: int = 12) -> np.ndarray:
    rows, columns = np.mgrid[:height, :width]
    stripes = [(rows // 3 + columns // 3) % 2, (rows // 3) % 2, (columns // 3) % 2][channel]
    pixels = generator.integers(0, 120, (height, width, 3))
    pixels[..., channel] += 60 + 60 * stripes
    return pixels.astype("uint8")


@pytest.fixture(scope="module", name="image_run")
def image_run_fixture(tmp_path_factory):
    """(a finished small_cnn run on a tiny image folder, its test folder)."""
    from PIL import Image

    from engine import Data, Model, Recipe
    from engine.run.training import run_recipe

    root = tmp_path_factory.mktemp("image_run")
    generator = np.random.default_rng(0)
    for split, count in (("train", 16), ("test", 5)):
        for channel, name in enumerate(IMAGE_CLASSES):
            (root / split / name).mkdir(parents=True)
            for number in range(count):
                Image.fromarray(_pattern(channel, generator)).save(root / split / name / f"{number}.png")
    recipe = Recipe(
        data=Data(source="image_folder", args={"path": str(root / "train"), "test_path": str(root / "test"),
                                               "image_size": [8, 8]},
                  preprocessing=[{"name": "rescale", "scale": 1 / 255}]),
        model=Model("small_cnn", args={"filters": 8, "blocks": 1, "dense_units": 8}),
        loss="sparse_categorical_crossentropy", optimizer={"name": "adam", "learning_rate": 0.01},
        metrics=["accuracy"], batch_size=4, epochs=2, seed=3, name="tiny_images")
    return run_recipe(recipe, runs_dir=root / "runs", console=lambda line: None, verbose=0).folder, root / "test"


def folder_metric_pair(folder, predictions) -> tuple[float, float]:
    """(the accuracy of the predictions CSV of an image folder whose sub-folders are the classes, the run's test
    accuracy from metrics.json)."""
    table = pandas.read_csv(predictions, keep_default_na=False)
    truth = [Path(file).parts[0] for file in table["file"]]
    recorded = json.loads((folder / "metrics.json").read_text())["evaluation"]["test"]["accuracy"]
    return sk.accuracy_score(truth, table["predicted"].astype(str)), recorded


def test_predictions_on_an_image_folder_reproduce_the_recorded_test_accuracy(image_run, tmp_path):
    folder, test_images = image_run
    output = tmp_path / "predictions.csv"
    assert main(["predict", str(folder), str(test_images), "--output", str(output)]) == 0
    measured, recorded = folder_metric_pair(folder, output)
    assert measured == recorded
    table = pandas.read_csv(output)
    classes = sorted(IMAGE_CLASSES)  # the sub-folders in sorted order, as training read them
    assert list(table.columns) == ["file", "predicted", *[f"probability_{name}" for name in classes]]
    assert len(table) == 15 and table["file"].is_unique
    assert table["predicted"].nunique() > 1  # a model that learned something, so the match means something

    # One image file alone: one row named by the file, the same prediction as from its folder.
    single = tmp_path / "single.csv"
    assert main(["predict", str(folder), str(test_images / "green_rows" / "0.png"), "--output", str(single)]) == 0
    alone = pandas.read_csv(single)
    assert alone["file"].tolist() == ["0.png"]
    row = table[table["file"] == str(Path("green_rows", "0.png"))]
    assert alone["predicted"].tolist() == row["predicted"].tolist()
    np.testing.assert_array_equal(alone.iloc[:, 2:].to_numpy(), row.iloc[:, 2:].to_numpy())


def test_images_of_any_size_or_mode_are_decoded_and_resized_as_training_read_them(image_run, tmp_path):
    import keras
    from PIL import Image

    from engine.serve.inputs import read_inputs
    from engine.serve.state import load_served

    folder, _ = image_run
    generator = np.random.default_rng(1)
    images = tmp_path / "images" / "nested"
    images.mkdir(parents=True)
    Image.fromarray(_pattern(0, generator, 20, 14)).save(images / "large.png")
    Image.fromarray(_pattern(1, generator, 5, 7)).save(images / "small.PNG")
    Image.fromarray(_pattern(2, generator, 9, 9)).convert("L").save(images.parent / "grey.png")
    Image.fromarray(_pattern(0, generator, 16, 10)).convert("RGBA").save(images.parent / "alpha.png")
    Image.fromarray(_pattern(1, generator, 30, 30)).save(images.parent / "photo.jpg", quality=80)
    (images / "notes.txt").write_text("not an image")
    inputs = read_inputs(load_served(folder), images.parent)
    # Keras's own reader (8x8 RGB, bilinear), rounded to whole pixel levels as the image_folder source keeps them.
    reader = keras.utils.image_dataset_from_directory(images.parent, labels=None, image_size=(8, 8), shuffle=False,
                                                      batch_size=None)
    expected = dict(zip([str(Path(path).relative_to(images.parent)) for path in reader.file_paths],
                        reader.as_numpy_iterator(), strict=True))
    assert sorted(inputs.ids) == sorted(expected) and len(inputs) == 5
    for name, pixels in zip(inputs.ids, inputs.features, strict=True):
        np.testing.assert_array_equal(pixels, np.round(expected[name]))
    output = tmp_path / "predictions.csv"
    assert main(["predict", str(folder), str(images.parent), "--output", str(output)]) == 0
    assert sorted(pandas.read_csv(output)["file"]) == sorted(expected)


BAD_IMAGES = {
    "an empty folder": (lambda tmp: tmp / "empty", "holds no samples"),
    "a folder with no images": (lambda tmp: tmp / "texts", "holds no samples"),
    "a file that is not an image": (lambda tmp: tmp / "texts" / "notes.txt", "trained on images"),
    "an image that cannot be decoded": (lambda tmp: tmp / "broken", "could not be decoded"),
}


@pytest.mark.parametrize("case", list(BAD_IMAGES))
def test_image_inputs_that_cannot_be_served_exit_2_and_write_nothing(image_run, tmp_path, capsys, case):
    (tmp_path / "empty").mkdir()
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "notes.txt").write_text("not an image")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "0.png").write_bytes(b"not a png")
    where, expected = BAD_IMAGES[case]
    output = tmp_path / "out" / "predictions.csv"
    output.parent.mkdir()
    assert main(["predict", str(image_run[0]), str(where(tmp_path)), "--output", str(output)]) == 2
    message = capsys.readouterr().err
    assert message.startswith("error: ") and expected in message and "Traceback" not in message
    assert list(output.parent.iterdir()) == []
