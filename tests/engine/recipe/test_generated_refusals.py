"""Every declared setting refuses a value outside its declared range, before anything is written.

The bad values are generated from the validation table (engine.recipe.validation.table(): CONSTRAINTS and the
ranges each kind states), not typed by hand: for each key, a value that none of its constraints accepts (below
or above an interval, outside the options, text where a number belongs). Each is given on the command line to
the first catalog recipe in which the key can be set (a DQN setting to a DQN agent, a curriculum setting to a
curriculum recipe, ...), or with one override that writes the whole entry holding it (an optimizer, a loss or
a learning-rate schedule of the class that takes the argument, a callback, an augmentation layer, a
preprocessing step, a zoo model, a second phase, a tuner), and the run must exit with 2, print one paragraph
naming the key, and write nothing. Every key gets a case, and a test says so.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from engine.cli import main
from engine.errors import RecipeError
from engine.recipe.loading import load_recipe
from engine.recipe.overrides import apply_overrides
from engine.recipe.validation import Interval, constraints_for, table

# Recipes tried in turn as the host of a key: each kind and technique is among them.
HOSTS = ("iris_mlp", "digits_cnn", "wine_mlp", "penguins_tabular", "digits59_finetune", "mnist1d_cnn",
         "digits_active", "mnist1d_curriculum", "digits_autoencoder", "cartpole_dqn", "cartpole_ppo",
         "acrobot_dqn", "breast_cancer_mlp", "breast_cancer_focal", "mnist1d_gru", "mnist1d59_finetune",
         "mnist1d_selfsupervised", "mnist1d_selfsupervised_finetune", "diabetes_regression", "digits04_cnn")
# Errors that say the key does not exist in a host (so another host is tried), not that its value is bad.
ABSENT = ("Unknown override key", "is not set in this recipe", "holds a single value", "accepts no keys",
          "has no place in", "would replace a whole list entry", "names no entry")


def invalid_value(constraints: tuple) -> Any:
    """A value that none of `constraints` accepts: past an end of an interval, or a value of the wrong kind."""
    candidates: list[Any] = []
    for constraint in constraints:
        if isinstance(constraint, Interval):
            if constraint.lower is not None:
                candidates += [constraint.lower - 1, constraint.lower]
            if constraint.upper is not None:
                candidates += [constraint.upper + 1, constraint.upper]
    candidates += [-1, 0, 2, "not-a-setting", [1.5, -3.0, 7.0]]
    for candidate in candidates:
        if isinstance(candidate, float) and not math.isfinite(candidate):
            continue
        if not any(constraint.is_satisfied_by(candidate) for constraint in constraints):
            return candidate
    raise AssertionError(f"no invalid value found for {constraints}")


def host_of(key: str, value: Any) -> str | None:
    """The first catalog recipe in which `key` can be set (the override is refused for its value, or not at all)."""
    for name in HOSTS:
        try:
            apply_overrides(load_recipe(name), {key: value})
        except RecipeError as error:
            if any(words in str(error) for words in ABSENT):
                continue
        return name
    return None


def whole_entry(key: str, value: Any) -> tuple[str, list[str]] | None:
    """For a key that lives inside an entry no catalog recipe has (an optimizer's argument, a callback's, an
    augmentation layer's, a second phase's, a tuner's), a recipe and one override that writes the whole entry
    holding the bad value."""
    from engine.recipe.keras_objects import arguments_of, optimizer_classes

    parts = key.split(".")
    if parts[0] == "optimizer" and len(parts) == 2:
        names = [name for name, cls in sorted(optimizer_classes().items()) if parts[1] in arguments_of(cls)]
        return ("iris_mlp", [f"optimizer={json.dumps({'name': names[0], parts[1]: value})}"]) if names else None
    if parts[0] == "callbacks" and len(parts) == 3:
        return "iris_mlp", [f"callbacks={json.dumps([{'name': parts[1], parts[2]: value}])}"]
    if parts[:2] == ["data", "augmentation"] and len(parts) == 4:
        return "digits_cnn", [f"data.augmentation={json.dumps([{'name': parts[2], parts[3]: value}])}"]
    if parts[0] == "fine_tune" and len(parts) == 2:
        phase = {"epochs": 2, "learning_rate": 1e-4, parts[1]: value}
        return "digits59_finetune", [f"fine_tune={json.dumps(phase)}", "model.freeze_backbone=true"]
    if parts[:2] == ["tuner", "args"]:
        return "digits_cnn", [f"tuner={json.dumps({'name': 'hyperband', 'args': {parts[2]: value}})}"]
    return recipe_file_entry(parts, value)


def recipe_file_entry(parts: list[str], value: Any) -> tuple[str, list[str]] | None:
    """Entries no catalog recipe holds, written whole: a Keras loss of the class that takes the argument, a
    learning-rate schedule of the class that takes it, a zoo model whose builder takes it, a text step."""
    import keras

    from engine.recipe.keras_objects import _classes, arguments_of
    from zoo.registry import get_builder, list_models, model_arguments

    def taking(classes: dict[str, type], argument: str) -> list[str]:
        return sorted(name for name, cls in classes.items() if argument in arguments_of(cls))

    if parts[:2] == ["loss", "config"] and len(parts) == 3:
        names = taking(_classes(keras.losses, keras.losses.Loss), parts[2])
        return ("iris_mlp", [f"loss={json.dumps({'class_name': names[0], 'config': {parts[2]: value}})}"]) \
            if names else None
    if parts[:3] == ["optimizer", "learning_rate", "config"] and len(parts) == 4:
        names = taking(_classes(keras.optimizers.schedules, keras.optimizers.schedules.LearningRateSchedule),
                       parts[3])
        schedule = {"class_name": names[0], "config": {parts[3]: value}} if names else None
        return ("iris_mlp", [f"optimizer={json.dumps({'name': 'adam', 'learning_rate': schedule})}"]) \
            if names else None
    if parts[:2] == ["model", "args"] and len(parts) == 3:
        names = [name for name in list_models() if parts[2] in model_arguments(get_builder(name))]
        return ("digits_cnn", [f"model={json.dumps({'name': names[0], 'args': {parts[2]: value}})}"]) \
            if names else None
    if parts[:2] == ["data", "preprocessing"] and len(parts) == 4:
        return "iris_mlp", [f"data.preprocessing={json.dumps([{'name': parts[2], parts[3]: value}])}"]
    return None


def case_of(key: str) -> tuple[str, list[str]] | None:
    value = invalid_value(constraints_for(key))
    host = host_of(key, value)
    return (host, [f"{key}={json.dumps(value)}"]) if host else whole_entry(key, value)


KEYS = sorted(key for key in table() if "*" not in key)
CASES = {key: case_of(key) for key in KEYS}
UNREACHABLE = sorted(key for key, case in CASES.items() if case is None)


@pytest.mark.parametrize("key", [key for key in KEYS if CASES[key] is not None])
def test_a_generated_invalid_value_exits_2_in_one_paragraph_and_writes_nothing(key, tmp_path, capsys):
    host, overrides = CASES[key]
    runs_dir = tmp_path / "runs"
    arguments = ["recipe", host, *overrides, "--runs-dir", str(runs_dir)]
    code = main(arguments)
    error = capsys.readouterr().err
    assert code == 2, (arguments, error)
    assert f"`{key}`" in error or f"`{key.rpartition('.')[2]}`" in error, (arguments, error)
    paragraph = error.strip()
    assert paragraph.startswith("error: ") and "\n\n" not in paragraph and "Traceback" not in paragraph, error
    assert not runs_dir.exists()


def test_every_declared_key_is_reached():
    """Each key of the validation table but the list-entry patterns (`...*`, checked with their list) gets a case."""
    assert not UNREACHABLE, UNREACHABLE
