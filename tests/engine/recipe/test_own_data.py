"""Your own data with no Python: the table, images and text starters, and make new's editable copies."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris

from engine.cli import main
from engine.recipe.loading import load_recipe
from tests.conftest import only_run_folder, read_json


@pytest.fixture
def flowers(tmp_path):
    frame = load_iris(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
    path = tmp_path / "flowers.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_csv_trains_under_its_own_name_with_a_classification_recipe(flowers, tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["recipe", "table", "epochs=2", "--data", str(flowers), "--target", "target",
                 "--runs-dir", str(runs)]) == 0, capsys.readouterr().err
    recorded = read_json(only_run_folder(runs, "flowers") / "recipe.json")
    assert recorded["data"]["source"] == "csv" and recorded["data"]["args"]["target"] == "target"
    assert recorded["loss"] == "sparse_categorical_crossentropy" and recorded["name"] == "flowers"
    # recipe.json repeats the run, as for any recipe
    assert main(["recipe", str(only_run_folder(runs, "flowers") / "recipe.json"), "--runs-dir", str(runs)]) == 0


def test_a_numeric_target_gets_a_regression_recipe_filed_under_the_name_given(tmp_path, capsys):
    path = tmp_path / "sugar.parquet"
    load_diabetes(as_frame=True).frame.to_parquet(path)
    runs = tmp_path / "runs"
    assert main(["recipe", "table", "epochs=2", "--data", str(path), "--target", "target", "--as", "my_sugar",
                 "--runs-dir", str(runs)]) == 0, capsys.readouterr().err
    recorded = read_json(only_run_folder(runs, "my_sugar") / "recipe.json")
    assert recorded["loss"] == "mse" and {"name": "standardize_targets"} in recorded["data"]["preprocessing"]
    assert "r2_score" in read_json(only_run_folder(runs, "my_sugar") / "metrics.json")["test"]


def test_an_image_folder_and_a_text_folder_train_with_their_starters(tmp_path, capsys):
    import tensorflow as tf

    images, texts = tmp_path / "shapes", tmp_path / "reviews"
    rng = np.random.default_rng(0)
    for index, label in enumerate(("dark", "light")):
        (images / label).mkdir(parents=True)
        (texts / label).mkdir(parents=True)
        for number in range(10):
            pixels = rng.integers(0, 100, (12, 12, 3)) + 150 * index
            (images / label / f"{number}.png").write_bytes(tf.io.encode_png(pixels.astype("uint8")).numpy())
            (texts / label / f"{number}.txt").write_text(f"{label} {'night shade' if index == 0 else 'sun'} {number}")
    runs = tmp_path / "runs"
    assert main(["recipe", "images", "epochs=1", "data.args.image_size=[12, 12]", "--data", str(images),
                 "--runs-dir", str(runs)]) == 0, capsys.readouterr().err
    assert read_json(only_run_folder(runs, "shapes") / "recipe.json")["data"]["source"] == "image_folder"
    assert main(["recipe", "text", "epochs=1", "--data", str(texts), "--runs-dir", str(runs)]) == 0
    assert read_json(only_run_folder(runs, "reviews") / "env.json")["status"] == "complete"


@pytest.mark.parametrize(("words", "message"), [
    (["recipe", "table"], "needs TARGET="),
    (["recipe", "table", "--target", "species"], "TARGET='species' is not a column of flowers.csv"),
    (["recipe", "tabel", "--target", "target"], "Did you mean 'table'?"),
    (["recipe", "images", "--target", "target"], "Drop TARGET="),
    (["recipe", "table", "--target", "target", "--as", "../up"], "A recipe name becomes a folder"),
    (["recipe", "digits_cnn", "--target", "target"], "TARGET= and AS= go with DATA="),
])
def test_own_data_mistakes_exit_2_and_write_nothing(words, message, flowers, tmp_path, capsys):
    runs = tmp_path / "runs"
    data = [] if "--target" in words and words[1] == "digits_cnn" else ["--data", str(flowers)]
    assert main([*words, *data, "--runs-dir", str(runs)]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error, error
    assert not runs.exists()
    assert main(["recipe", "table", "--data", str(tmp_path / "none.csv"), "--target", "x", "--runs-dir",
                 str(runs)]) == 2
    assert "there is no file or folder there" in capsys.readouterr().err


def test_make_new_writes_an_editable_copy_that_runs_under_its_own_name(tmp_path, capsys):
    path = tmp_path / "my_penguins.py"
    assert main(["new", str(path), "--from", "penguins_tabular"]) == 0
    assert path.read_text().startswith("# my_penguins: started from the catalog recipe penguins_tabular")
    copy, original = load_recipe(str(path)), load_recipe("penguins_tabular")
    assert copy.name == "my_penguins" and copy.to_dict() | {"name": None} == original.to_dict() | {"name": None}
    before = path.read_text()
    capsys.readouterr()
    assert main(["new", str(path), "--from", "iris_mlp"]) == 2
    assert "already exists; nothing was written" in capsys.readouterr().err and path.read_text() == before
    assert main(["new", str(tmp_path / "iris_mlp.py")]) == 2
    assert "catalog recipe's name" in capsys.readouterr().err and not (tmp_path / "iris_mlp.py").exists()
