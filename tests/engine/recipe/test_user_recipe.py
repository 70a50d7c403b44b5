"""A user's own recipe file outside the catalog, with its own model builder function."""

import textwrap

from tests.conftest import ROOT, only_run_folder, read_json, run_cli, without_cost

USER_RECIPE = textwrap.dedent('''
    """Wine cultivars with a home-made two-layer network."""
    import keras

    from engine import Data, Model, Recipe, hp


    def two_layers(input_shape, num_classes, units=16, output_activation="softmax"):
        inputs = keras.Input(shape=input_shape)
        hidden = keras.layers.Dense(units, activation="relu")(inputs)
        outputs = keras.layers.Dense(num_classes, activation=output_activation)(hidden)
        return keras.Model(inputs, outputs)


    recipe = Recipe(
        data=Data(source="wine", preprocessing=[{"name": "standardize"}]),
        model=Model(builder=two_layers, args={"units": hp.Int("units", 8, 32, step=8, default=8)}),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        epochs=3,
        seed=5,
    )
''')


def test_a_recipe_file_with_a_builder_runs_and_its_recipe_json_reruns(tmp_path):
    recipe_path = tmp_path / "my_wine.py"
    recipe_path.write_text(USER_RECIPE)
    runs_dir = tmp_path / "runs"
    first = run_cli("recipe", str(recipe_path), "model.args.units=24", runs_dir=runs_dir)
    assert first.returncode == 0, first.stderr[-3000:]
    folder = only_run_folder(runs_dir, "my_wine")
    resolved = read_json(folder / "recipe.json")
    assert resolved["model"]["builder"] == f"{recipe_path}:two_layers"
    assert resolved["model"]["args"] == {"units": 24}
    assert resolved["description"].startswith("Wine cultivars")
    assert read_json(folder / "env.json")["parameters"] == 13 * 24 + 24 + 24 * 3 + 3

    again = run_cli("recipe", str(folder / "recipe.json"), runs_dir=runs_dir)
    assert again.returncode == 0, again.stderr[-3000:]
    second = next(path for path in (runs_dir / "my_wine").iterdir() if path != folder)
    assert without_cost(read_json(second / "metrics.json")) == without_cost(read_json(folder / "metrics.json"))


def test_a_builder_argument_the_function_does_not_take_is_refused(tmp_path):
    recipe_path = tmp_path / "my_wine.py"
    recipe_path.write_text(USER_RECIPE)
    result = run_cli("recipe", str(recipe_path), "model.args.unit=24", runs_dir=tmp_path / "runs")
    assert result.returncode == 2
    assert "Did you mean 'units'" in result.stderr
    assert not (tmp_path / "runs").exists()


# A builder as the docs show one (docs/examples/own_builder.py): no `output_activation`, no **kwargs.
README_BUILDER = textwrap.dedent('''
    """Iris with the README's builder."""
    import keras

    from engine import Data, Model, Recipe


    def build(input_shape, num_classes):
        inputs = keras.Input(shape=input_shape)
        hidden = keras.layers.Dense(16, activation="relu")(inputs)
        outputs = keras.layers.Dense(num_classes, activation="softmax")(hidden)
        return keras.Model(inputs, outputs)


    recipe = Recipe(
        data=Data(source="iris", preprocessing=[{"name": "standardize"}]),
        model=Model(builder=build),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        epochs=2,
    )
''')


def test_a_builder_written_as_the_readme_shows_trains(tmp_path):
    documented = (ROOT / "docs" / "examples" / "own_builder.py").read_text()
    assert "def build(input_shape, num_classes, units=16):" in documented
    recipe_path = tmp_path / "readme_builder.py"
    recipe_path.write_text(README_BUILDER)
    result = run_cli("recipe", str(recipe_path), runs_dir=tmp_path / "runs")
    assert result.returncode == 0, result.stderr[-3000:]
    folder = only_run_folder(tmp_path / "runs", "readme_builder")
    assert read_json(folder / "env.json")["parameters"] == 4 * 16 + 16 + 16 * 3 + 3


def test_a_builder_that_cannot_take_what_the_engine_passes_is_a_usage_error_before_anything_runs(tmp_path):
    recipe_path = tmp_path / "no_classes.py"
    recipe_path.write_text(README_BUILDER.replace("def build(input_shape, num_classes):", "def build(input_shape):")
                           .replace("Dense(num_classes,", "Dense(3,"))
    result = run_cli("recipe", str(recipe_path), runs_dir=tmp_path / "runs")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "must accept num_classes" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()
