"""A recipe's own loss, metric and callback, and references to files beside the recipe file."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from engine.cli import main
from engine.recipe.loading import load_recipe
from tests.conftest import ROOT, only_run_folder, read_json, run_cli, without_cost

USER_RECIPE = textwrap.dedent('''
    """Iris with a home-made loss, metric and callback."""
    from pathlib import Path

    import keras
    from keras import ops

    from engine import Data, Model, Recipe


    def halved_crossentropy(y_true, y_pred):
        return 0.5 * keras.losses.sparse_categorical_crossentropy(y_true, y_pred)


    def error_rate(y_true, y_pred):
        predicted = ops.argmax(y_pred, axis=-1)
        return ops.cast(ops.not_equal(ops.cast(ops.reshape(y_true, [-1]), predicted.dtype), predicted), "float32")


    class CountEpochs(keras.callbacks.Callback):
        """Appends the number of every `every`-th epoch to epochs.txt, beside this file."""

        def __init__(self, every=1):
            super().__init__()
            self.every = every

        def on_epoch_end(self, epoch, logs=None):
            if (epoch + 1) % self.every == 0:
                with open(Path(__file__).parent / "epochs.txt", "a") as handle:
                    handle.write(f"{epoch + 1}\\n")


    recipe = Recipe(
        data=Data(source="iris", preprocessing=[{"name": "standardize"}]),
        model=Model("mlp", args={"width": 8, "depth": 1}),
        loss=halved_crossentropy,
        metrics=["accuracy", error_rate],
        callbacks=[{"name": CountEpochs, "every": 3}],
        epochs=4,
        seed=7,
    )
''')

# In a fresh process: the run's model reloaded from its folder, evaluated on the run's own test split.
EVALUATE_RELOADED = textwrap.dedent('''
    import json
    import sys

    from engine.recipe.loading import load_recipe
    from engine.run.artifacts import load_run_model
    from engine.run.building import make_datasets, prepare_data

    folder = sys.argv[1]
    recipe = load_recipe(f"{folder}/recipe.json")
    test = make_datasets(prepare_data(recipe), recipe.batch_size, recipe.seed)["test"]
    print(json.dumps(load_run_model(folder).evaluate(test, return_dict=True, verbose=0)))
''')


@pytest.fixture(scope="module")
def custom_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("custom_objects")
    recipe_path = root / "my_iris.py"
    recipe_path.write_text(USER_RECIPE)
    runs_dir = root / "runs"
    # The callback's argument is overridden like a Keras callback's: its keys come from its signature.
    result = run_cli("recipe", str(recipe_path), "callbacks.0.every=2", runs_dir=runs_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    return recipe_path.resolve(), runs_dir, only_run_folder(runs_dir, "my_iris")


def test_recipe_json_refers_to_the_recipes_own_loss_metric_and_callback(custom_run):
    recipe_path, _, folder = custom_run
    resolved = read_json(folder / "recipe.json")
    assert resolved["loss"] == f"{recipe_path}:halved_crossentropy"
    assert resolved["metrics"] == ["accuracy", f"{recipe_path}:error_rate"]
    assert resolved["callbacks"] == [{"name": f"{recipe_path}:CountEpochs", "every": 2}]
    test = read_json(folder / "metrics.json")["test"]
    assert test["error_rate"] == pytest.approx(1 - test["accuracy"], abs=1e-6)
    assert (recipe_path.parent / "epochs.txt").read_text().splitlines()[:2] == ["2", "4"]  # every 2nd of 4 epochs


def test_recipe_json_reruns_the_same_run_in_a_fresh_process(custom_run):
    recipe_path, runs_dir, folder = custom_run
    again = run_cli("recipe", str(folder / "recipe.json"), runs_dir=runs_dir)
    assert again.returncode == 0, again.stderr[-3000:]
    second = next(path for path in (runs_dir / "my_iris").iterdir() if path != folder)
    assert without_cost(read_json(second / "metrics.json")) == without_cost(read_json(folder / "metrics.json"))
    assert (recipe_path.parent / "epochs.txt").read_text().splitlines()[2:] == ["2", "4"]  # the callback ran again


def test_model_keras_reloads_with_its_custom_objects_in_safe_mode(custom_run):
    _, _, folder = custom_run
    result = subprocess.run([sys.executable, "-c", EVALUATE_RELOADED, str(folder)], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    evaluated = json.loads(result.stdout.strip().splitlines()[-1])
    test = read_json(folder / "metrics.json")["test"]
    for name in ("loss", "accuracy", "error_rate"):
        assert evaluated[name] == pytest.approx(test[name], rel=1e-5, abs=1e-7), name


MY_DATA = textwrap.dedent('''
    import numpy as np


    def load(samples=120):
        """Two well-separated blobs of 2-D points."""
        labels = np.arange(samples) % 2
        features = np.random.default_rng(0).normal(size=(samples, 2)) + 4.0 * labels[:, None]
        return features.astype("float32"), labels
''')

DATA_RECIPE = textwrap.dedent('''
    """Blobs from a data function {where}."""
    from engine import Data, Model, Recipe
    {definition}

    recipe = Recipe(
        data=Data(source="function", args={{"function": {function}}}),
        model=Model("mlp", args={{"width": 4, "depth": 1}}),
        loss="sparse_categorical_crossentropy",
        epochs=1,
    )
''')


@pytest.mark.parametrize("form", ["reference", "function"])
def test_a_data_function_is_found_beside_the_recipe_file_not_in_the_current_folder(form, tmp_path):
    recipes, elsewhere = tmp_path / "recipes", tmp_path / "elsewhere"
    recipes.mkdir()
    elsewhere.mkdir()
    (recipes / "my_data.py").write_text(MY_DATA)
    if form == "reference":
        text = DATA_RECIPE.format(where="in my_data.py", definition="", function='"my_data.py:load"')
        expected = f"{(recipes / 'my_data.py').resolve()}:load"
    else:
        text = DATA_RECIPE.format(where="in this file", definition=MY_DATA, function="load")
        expected = f"{(recipes / 'blobs.py').resolve()}:load"
    (recipes / "blobs.py").write_text(text)
    result = run_cli("recipe", "../recipes/blobs.py", runs_dir=tmp_path / "runs", cwd=elsewhere)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = only_run_folder(tmp_path / "runs", "blobs")
    assert read_json(folder / "recipe.json")["data"]["args"]["function"] == expected


def test_relative_references_in_a_recipe_file_are_made_absolute_against_its_folder(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "references.py").write_text(textwrap.dedent('''
        from engine import Data, Model, Recipe

        recipe = Recipe(
            data=Data(source="function", args={"function": "my_data.py:load"}),
            model=Model(builder="my_model.py:build"),
            loss={"class_name": "my_losses.py:Focal", "config": {"gamma": 2.0}},
            metrics=["accuracy", "my_losses.py:error_rate", "/elsewhere/metrics.py:f1", "some.module:auc"],
            callbacks=[{"name": "my_callbacks.py:Note", "every": 2}, "my_callbacks.py:Note", "EarlyStopping"],
        )
    '''))
    monkeypatch.chdir(tmp_path)
    loaded = load_recipe("mine/references.py").to_dict()
    here = folder.resolve()
    assert loaded["data"]["args"]["function"] == f"{here}/my_data.py:load"
    assert loaded["model"]["builder"] == f"{here}/my_model.py:build"
    assert loaded["loss"] == {"class_name": f"{here}/my_losses.py:Focal", "config": {"gamma": 2.0}}
    assert loaded["metrics"] == ["accuracy", f"{here}/my_losses.py:error_rate", "/elsewhere/metrics.py:f1",
                                 "some.module:auc"]
    assert loaded["callbacks"] == [{"name": f"{here}/my_callbacks.py:Note", "every": 2},
                                   f"{here}/my_callbacks.py:Note", "EarlyStopping"]


CLASSES = textwrap.dedent('''
    import keras


    class ScaledCrossentropy(keras.losses.Loss):
        def __init__(self, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, y_true, y_pred):
            return self.scale * keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}


    class Hits(keras.metrics.Sum):
        def __init__(self, name="hits", **kwargs):
            super().__init__(name=name, **kwargs)


    class Doubled(keras.layers.Layer):
        def call(self, inputs):
            return 2.0 * inputs


    def build(input_shape, num_classes, output_activation="softmax"):
        inputs = keras.Input(shape=input_shape)
        return keras.Model(inputs, keras.layers.Dense(num_classes, activation=output_activation)(Doubled()(inputs)))
''')


def test_classes_are_built_registered_and_listed_for_loading(tmp_path):
    import keras

    from engine import RecipeError
    from engine.recipe.keras_objects import build_loss, build_metrics, custom_objects, metric_names

    path = tmp_path / "my_classes.py"
    path.write_text(CLASSES)
    loss = build_loss({"class_name": f"{path}:ScaledCrossentropy", "config": {"scale": 0.5}})
    assert type(loss).__name__ == "ScaledCrossentropy" and loss.scale == 0.5
    assert keras.saving.get_registered_name(type(loss)) == "my_classes>ScaledCrossentropy"
    metrics = build_metrics(["accuracy", f"{path}:Hits"])
    assert metrics[0] == "accuracy" and type(metrics[1]).__name__ == "Hits"
    assert metric_names(["accuracy", f"{path}:Hits"]) == ["accuracy", "hits"]
    with pytest.raises(RecipeError, match="`loss.config.scal` is not an argument of ScaledCrossentropy. "
                                          "Did you mean 'scale'"):
        build_loss({"class_name": f"{path}:ScaledCrossentropy", "config": {"scal": 0.5}})
    found = custom_objects({"loss": f"{path}:ScaledCrossentropy", "metrics": [f"{path}:Hits"],
                            "model": {"builder": f"{path}:build"}, "callbacks": []})
    assert sorted(found) == ["Doubled", "my_classes>Hits", "my_classes>ScaledCrossentropy"]


REFUSALS = [
    ("loss={recipe}:no_such_loss", "has no function 'no_such_loss'"),
    ("loss={recipe}:CountEpochs", "a custom loss must be a function (y_true, y_pred) or a subclass of keras"),
    ('metrics=["accuracy", "missing.py:error_rate"]', "'missing.py', which does not exist"),
    ('metrics=["accuracy", "error_rat"]', "not a Keras metric"),
    ('callbacks=[{{"name": "tests.no_such_module:Callback"}}]', "Cannot import 'tests.no_such_module'"),
    ('callbacks=[{{"name": "{recipe}:error_rate"}}]', "must be a subclass of keras.callbacks.Callback"),
    ('callbacks=[{{"name": "EarlyStoping"}}]', "Did you mean 'EarlyStopping'"),
    ("callbacks.0.evry=1", "Did you mean 'every'"),
    ('callbacks=[{{"name": "{recipe}:CountEpochs", "often": 2}}]', "`callbacks.0.often` is not an argument of "
                                                                   "CountEpochs. Valid names: 'every'."),
]


@pytest.mark.parametrize("override, message", REFUSALS, ids=[override for override, _ in REFUSALS])
def test_unknown_references_and_arguments_are_refused_before_anything_is_written(override, message, tmp_path,
                                                                               capsys):
    recipe_path = tmp_path / "my_iris.py"
    recipe_path.write_text(USER_RECIPE)
    runs_dir = tmp_path / "runs"
    code = main(["recipe", str(recipe_path), override.format(recipe=recipe_path), "--runs-dir", str(runs_dir)])
    assert code == 2
    assert message.format(recipe=recipe_path.resolve()) in capsys.readouterr().err
    assert not runs_dir.exists()
