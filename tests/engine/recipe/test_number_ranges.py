"""Every number a recipe passes on is checked against its stated range before anything is written.

OUT_OF_RANGE is the table: command-line words (overrides, or a recipe file for what an override
cannot write) with the dotted key and the value the uniform message must name. Most rows run
`engine.cli.main` in this process; SUBPROCESS_ROWS run the real `python -m engine` as well.
"""

import inspect
import math
from numbers import Integral, Real
from pathlib import Path

import keras
import pytest

import zoo
from engine.cli import main
from engine.errors import RecipeError
from engine.recipe import hp
from engine.recipe.keras_objects import callback_classes, optimizer_classes
from engine.recipe.loading import catalog_names, load_recipe
from engine.recipe.resolve import resolve
from engine.recipe.validation import (
    Interval,
    Options,
    Pair,
    check_numbers,
    constraints_for,
    describe,
    table,
)
from tests.conftest import run_cli

FINE_TUNE = ["model.freeze_backbone=true"]


def recipe_file(folder: Path, extra: str = "", model: str = "Model('mlp')") -> str:
    """A user's recipe file: an MLP on iris, with `extra` recipe fields."""
    path = folder / "user_recipe.py"
    path.write_text(
        "from engine import Data, Model, Recipe\n"
        f"recipe = Recipe(data=Data(source='iris'), model={model}, loss='sparse_categorical_crossentropy', "
        f"epochs=1{extra})\n"
    )
    return str(path)


def schedule(config: str) -> str:
    return f", optimizer={{'name': 'adam', 'learning_rate': {{'class_name': 'CosineDecay', 'config': {config}}}}}"


# name: (arguments given the scratch folder, dotted key, the value as the message shows it)
OUT_OF_RANGE = {
    "negative learning rate": (lambda d: ["iris_mlp", "optimizer.learning_rate=-0.01"],
                               "optimizer.learning_rate", "-0.01"),
    "zero learning rate": (lambda d: ["digits59_finetune", "optimizer.learning_rate=0"],
                           "optimizer.learning_rate", "0"),
    "zero batch size": (lambda d: ["iris_mlp", "batch_size=0"], "batch_size", "0"),
    "zero epochs": (lambda d: ["iris_mlp", "epochs=0"], "epochs", "0"),
    "validation split above 1": (lambda d: ["iris_mlp", "data.validation_split=1.2"], "data.validation_split", "1.2"),
    "empty test split": (lambda d: ["iris_mlp", "data.test_split=0"], "data.test_split", "0"),
    "splits leaving no training data": (
        lambda d: ["iris_mlp", "data.validation_split=0.6", "data.test_split=0.5"],
        "data.validation_split + data.test_split", "1.1 (0.6 + 0.5)"),
    "dropout above 1": (lambda d: ["digits_cnn", "model.args.dropout=1.5"], "model.args.dropout", "1.5"),
    "zero width": (lambda d: ["iris_mlp", "model.args.width=0"], "model.args.width", "0"),
    "negative l2": (lambda d: ["wine_mlp", "model.args.l2=-0.1"], "model.args.l2", "-0.1"),
    "negative patience": (lambda d: ["wine_mlp", "callbacks.EarlyStopping.patience=-1"],
                          "callbacks.EarlyStopping.patience", "-1"),
    "plateau factor above 1": (lambda d: ["digits_cnn", "callbacks.ReduceLROnPlateau.factor=1.5"],
                               "callbacks.ReduceLROnPlateau.factor", "1.5"),
    "schedule with a negative initial rate": (
        lambda d: [recipe_file(d, schedule("{'initial_learning_rate': -0.1, 'decay_steps': 100}"))],
        "optimizer.learning_rate.config.initial_learning_rate", "-0.1"),
    "schedule with zero decay steps": (
        lambda d: [recipe_file(d, schedule("{'initial_learning_rate': 0.1, 'decay_steps': 0}"))],
        "optimizer.learning_rate.config.decay_steps", "0"),
    "zero fine-tuning rate": (
        lambda d: ["digits59_finetune", 'fine_tune={"epochs": 2, "learning_rate": 0}', *FINE_TUNE],
        "fine_tune.learning_rate", "0"),
    "zero fine-tuning epochs": (
        lambda d: ["digits59_finetune", 'fine_tune={"epochs": 0, "learning_rate": 0.0001}', *FINE_TUNE],
        "fine_tune.epochs", "0"),
    "zero trials": (lambda d: ["tune", "iris_mlp", "max_trials=0"], "tuner.max_trials", "0"),
    "zero executions per trial": (lambda d: ["tune", "iris_mlp", "executions_per_trial=0"],
                                  "tuner.executions_per_trial", "0"),
    "negative seed": (lambda d: ["iris_mlp", "seed=-1"], "seed", "-1"),
    "zero replicas": (lambda d: ["iris_mlp", "replicas=0"], "replicas", "0"),
    "beta_1 above 1": (lambda d: ["penguins_tabular", "optimizer.beta_1=1.5"], "optimizer.beta_1", "1.5"),
    "momentum of 1": (lambda d: ["iris_mlp", "optimizer.momentum=1.0"], "optimizer.momentum", "1.0"),
    "negative clipnorm": (lambda d: ["digits_cnn", "optimizer.clipnorm=-1"], "optimizer.clipnorm", "-1"),
    "zero samples per class": (lambda d: ["digits59_finetune", "data.train_per_class=0"], "data.train_per_class", "0"),
    "augmentation factor with a sign": (
        lambda d: ["digits_cnn", 'data.augmentation=[{"name": "random_rotation", "factor": -0.2}]'],
        "data.augmentation.random_rotation.factor", "-0.2"),
    "text where a number belongs": (
        lambda d: [recipe_file(d, ", callbacks=[{'name': 'EarlyStopping', 'patience': 'ten'}]")],
        "callbacks.EarlyStopping.patience", "'ten'"),
    "a bool where a number belongs": (
        lambda d: [recipe_file(d, model="Model('mlp', args={'dropout': True})")], "model.args.dropout", "True"),
}
# A few rows also run through the real command line in a fresh process.
SUBPROCESS_ROWS = ["negative learning rate", "negative patience", "splits leaving no training data"]


def command_line(arguments: list[str], runs_dir: Path) -> list[str]:
    arguments = arguments if arguments[0] == "tune" else ["recipe", *arguments]
    return [*arguments, "--runs-dir", str(runs_dir)]


def expected_message(key: str, received: str) -> tuple[str, str]:
    return f"`{key}` must be ", f"Received: {received}"


@pytest.mark.parametrize("case", list(OUT_OF_RANGE))
def test_a_number_out_of_range_exits_2_naming_key_and_value_and_writes_nothing(case, tmp_path, capsys):
    make_arguments, key, received = OUT_OF_RANGE[case]
    runs_dir = tmp_path / "runs"
    code = main(command_line(make_arguments(tmp_path), runs_dir))
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.err.startswith("error: ")
    for part in expected_message(key, received):
        assert part in captured.err, captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not runs_dir.exists()


@pytest.mark.parametrize("case", SUBPROCESS_ROWS)
def test_the_real_command_refuses_the_number_before_writing(case, tmp_path):
    make_arguments, key, received = OUT_OF_RANGE[case]
    runs_dir = tmp_path / "runs"
    result = run_cli("recipe", *make_arguments(tmp_path), runs_dir=runs_dir)
    assert result.returncode == 2, result.stderr
    for part in expected_message(key, received):
        assert part in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not runs_dir.exists()


def test_the_message_has_one_form():
    with pytest.raises(RecipeError) as caught:
        check_numbers({"fine_tune": {"epochs": 2, "learning_rate": -0.01}})
    assert str(caught.value) == "`fine_tune.learning_rate` must be a number in (0, inf). Received: -0.01."


@pytest.mark.parametrize("name", catalog_names())
def test_every_catalog_recipe_passes_with_its_defaults_and_its_whole_ranges(name):
    recipe = load_recipe(name)
    check_numbers(resolve(recipe))
    check_numbers(recipe.to_dict())  # a range's bounds and choices too


def test_a_range_reaching_outside_the_valid_numbers_is_refused():
    config = {"model": {"name": "mlp", "args": {"dropout": hp.Float("dropout", 0.0, 1.5, default=0.2).to_dict()}}}
    with pytest.raises(RecipeError, match=r"`model.args.dropout` must be a number in \[0, 1\). Received: 1.5 "
                                          r"\(the max_value of the range 'dropout'\)"):
        check_numbers(config)


def test_arguments_of_a_builder_of_ones_own_are_left_to_it():
    check_numbers({"model": {"name": None, "builder": "my.py:build", "args": {"units": [64, 32], "dropout": 2}}})
    with pytest.raises(RecipeError, match="model.args.units"):
        check_numbers({"model": {"name": "gru", "builder": None, "args": {"units": [64, 32]}}})


def piecewise(values: list) -> dict:
    return {"optimizer": {"name": "adam", "learning_rate": {
        "class_name": "PiecewiseConstantDecay", "config": {"boundaries": [100, 200], "values": values}}}}


def test_a_schedule_is_a_valid_learning_rate():
    check_numbers(piecewise([0.1, 0.01, 0.001]))
    with pytest.raises(RecipeError, match=r"`optimizer.learning_rate.config.values.2` .* Received: -0.001."):
        check_numbers(piecewise([0.1, 0.01, -0.001]))


# The table must never refuse what Keras and the zoo use by default.
def _defaults(cls) -> dict:
    return {name: parameter.default for name, parameter in inspect.signature(cls).parameters.items()
            if parameter.default is not inspect.Parameter.empty}


@pytest.mark.parametrize("prefix, classes", [
    ("optimizer", optimizer_classes()),
    ("callbacks", callback_classes()),
    ("optimizer.learning_rate.config", {name: getattr(keras.optimizers.schedules, name)
                                        for name in ("CosineDecay", "CosineDecayRestarts", "ExponentialDecay",
                                                     "InverseTimeDecay", "PolynomialDecay")}),
    ("model.args", {name: zoo.get_builder(name) for name in zoo.list_models()}),
])
def test_the_defaults_of_keras_and_the_zoo_are_in_range(prefix, classes):
    checked = 0
    for class_name, cls in classes.items():
        for argument, default in _defaults(cls).items():
            key = f"{prefix}.{class_name}.{argument}" if prefix == "callbacks" else f"{prefix}.{argument}"
            constraints = constraints_for(key)
            if constraints is not None:
                checked += 1
                assert any(constraint.is_satisfied_by(default) for constraint in constraints), (key, default)
    assert checked


@pytest.mark.parametrize("closed, accepted", [
    ("both", {0: True, 0.5: True, 1: True}),
    ("left", {0: True, 0.5: True, 1: False}),
    ("right", {0: False, 0.5: True, 1: True}),
    ("neither", {0: False, 0.5: True, 1: False}),
])
def test_an_interval_includes_only_its_closed_ends(closed, accepted):
    interval = Interval(Real, 0, 1, closed=closed)
    assert {value: interval.is_satisfied_by(value) for value in accepted} == accepted


def test_integers_and_real_numbers():
    whole = Interval(Integral, 1, None, closed="left")
    assert whole.is_satisfied_by(1) and whole.is_satisfied_by(10**9)
    assert not whole.is_satisfied_by(1.0) and not whole.is_satisfied_by(2.5) and not whole.is_satisfied_by(0)
    real = Interval(Real, 0, None, closed="neither")
    assert real.is_satisfied_by(3) and real.is_satisfied_by(1e-9)
    assert not real.is_satisfied_by(0) and not real.is_satisfied_by("1")
    assert str(whole) == "an integer in [1, inf)"
    assert str(real) == "a number in (0, inf)"
    assert str(Interval(Real, None, 0, closed="right")) == "a number in (-inf, 0]"


def test_bools_nan_and_infinities_are_not_numbers():
    for interval in (Interval(Integral, 0, None, closed="left"), Interval(Real, None, None, closed="neither")):
        assert not interval.is_satisfied_by(True) and not interval.is_satisfied_by(False)
    anything = Interval(Real, None, None, closed="neither")
    assert not anything.is_satisfied_by(math.nan) and not anything.is_satisfied_by(math.inf)


def test_options_pairs_and_descriptions():
    every = Options({"epoch", False})
    assert every.is_satisfied_by("epoch") and every.is_satisfied_by(False)
    assert not every.is_satisfied_by(0)  # equal to False, but not the same kind of value
    pair = Pair(Interval(Real, -1, 1, closed="both"))
    assert pair.is_satisfied_by([-0.2, 0.3]) and pair.is_satisfied_by((0, 1))
    assert not pair.is_satisfied_by([-0.2]) and not pair.is_satisfied_by([0, 2]) and not pair.is_satisfied_by(0.2)
    assert describe(constraints_for("replicas")) == "an integer in [1, inf) or null"
    assert describe(constraints_for("callbacks.ModelCheckpoint.save_freq")) == "an integer in [1, inf) or 'epoch'"
    assert constraints_for("optimizer.learning_rate.config.values.7") is not None
    assert constraints_for("optimizer.name") is None


def test_an_interval_refuses_a_malformed_declaration():
    with pytest.raises(ValueError, match="closed"):
        Interval(Real, 0, 1, closed="open")
    with pytest.raises(ValueError, match="lower <= upper"):
        Interval(Real, 1, 0, closed="both")
    with pytest.raises(ValueError, match="Integral or Real"):
        Interval(int, 0, 1, closed="both")


def test_every_key_of_the_table_is_dotted_plain_words():
    for key in table():
        assert all(part == "*" or part.replace("_", "").isalnum() for part in key.split(".")), key


def test_each_kind_states_the_ranges_of_the_settings_it_owns():
    from engine.kinds import every_kind

    for kind in every_kind():
        for key in kind.constraints():
            assert constraints_for(key) is not None, f"{kind.name}: {key} is not in the validation table"
    assert describe(constraints_for("active_learning.strategy")) == \
        "one of 'entropy', 'least_confidence', 'margin', 'random'"
