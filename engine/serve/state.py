"""A trained model behind its fitted preprocessing, read back from a run folder or a zoo entry.

What a run saves of its fitted preprocessing (`preprocessing.json`) is data.fitted_state's; this module reads
it back and puts the trained model behind it.

A run trained before this file existed, and a pretrained zoo entry, are served by fitting the same steps
again from the recipe's data with the recipe's seed, which is what training did (runs are reproducible);
`Served.notes` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

import data
from common.errors import UserError, suggestion
from common.json_files import read_json_object
from data.fitted_state import STATE_FILE, fitted_state
from engine.kinds import kind_named
from engine.recipe.schema import Recipe


class ServeError(UserError):
    """A mistake in what was asked of a trained model: a run that is not finished, inputs that do not fit it,
    an unknown export format. The command line prints the message alone and exits with code 2; nothing has
    been written."""


@dataclass
class Served:
    """A trained model behind its fitted preprocessing: what `make predict` and `make export` use."""

    name: str
    state: dict[str, Any]
    recipe: dict[str, Any]
    trained: keras.Model  # the model as trained: preprocessed inputs in, its own outputs out
    folder: Path | None = None  # the run folder; None for a zoo entry
    inference_model: keras.Model | None = None  # a table's raw columns in (inference_model.keras)
    notes: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def is_table(self) -> bool:
        return "columns" in self.state["raw_inputs"]

    @property
    def classification(self) -> bool:
        return self.state["task"] == data.CLASSIFICATION

    def in_target_units(self, outputs: np.ndarray) -> np.ndarray:
        """Regression outputs in the target's own units, computed as the run's evaluation computed them."""
        flat = outputs.reshape(len(outputs), -1)
        target = self.state.get("target")
        if target is None:
            return flat
        return flat * np.asarray(target["scale"]) + np.asarray(target["mean"])


def load_served(name: str | Path) -> Served:
    """The run folder `name` (runs/<recipe>/<run>) or the pretrained zoo entry `name`, ready to serve."""
    import zoo

    path = Path(name)
    if path.is_dir():
        return _from_run(path)
    if str(name) in zoo.list_pretrained():
        return _from_zoo(str(name))
    shipped = zoo.list_pretrained()
    raise ServeError(f"{str(name)!r} is neither a run folder (runs/<recipe>/<run>) nor a pretrained zoo model "
                     f"({', '.join(shipped) or 'none shipped'}). {suggestion(str(name), shipped)}".strip())


def _read_json(path: Path) -> dict[str, Any]:
    return read_json_object(path, ServeError)


def check_finished(folder: Path) -> dict[str, Any]:
    """env.json of a run that finished training, or a ServeError saying why the folder cannot be served."""
    for file in ("recipe.json", "env.json", "model.keras"):
        if not (folder / file).is_file():
            raise ServeError(f"{folder} has no {file}: it is not a finished run. Pass the folder of a run whose "
                             "training completed, runs/<recipe>/<run>.")
    env = _read_json(folder / "env.json")
    if env.get("status") != "complete":
        raise ServeError(f"{folder} is not a finished run: its env.json says status {env.get('status')!r}, not "
                         "'complete'. Resume it (make recipe ARGS=\"resume=...\") or serve another run.")
    return env


def _from_run(folder: Path) -> Served:
    from engine.recipe.keras_objects import custom_objects
    from engine.run.artifacts import load_run_model

    env = check_finished(folder)
    recipe = _read_json(folder / "recipe.json")
    _check_supervised(recipe, str(folder))
    notes = []
    if (folder / STATE_FILE).is_file():
        state = _read_json(folder / STATE_FILE)
    else:
        state = refitted_state(recipe, env.get("output_layer") or {})
        notes.append(f"{folder} has no {STATE_FILE} (trained before runs saved it): its preprocessing was fitted "
                     "again from the recipe's data with the recipe's seed, as training fitted it.")
    inference = None
    if (folder / "inference_model.keras").is_file():
        inference = keras.saving.load_model(folder / "inference_model.keras", safe_mode=True,
                                            custom_objects=custom_objects(recipe))
    metrics = _read_json(folder / "metrics.json") if (folder / "metrics.json").is_file() else {}
    return Served(str(folder), state, recipe, load_run_model(folder), folder, inference, notes, metrics)


def _from_zoo(name: str) -> Served:
    import zoo

    card = zoo.read_card(name)
    recipe = card.get("recipe") or {}
    _check_supervised(recipe, f"zoo model {name!r}")
    output = dict(card.get("architecture", {}).get("args", {}))
    state = refitted_state(recipe, {"units": card.get("num_classes"), "activation": output.get("output_activation")})
    model = zoo.load(name, pretrained=True)
    return Served(name, state, recipe, model, notes=[f"zoo model {name!r}: its preprocessing was fitted from its "
                                                     "recipe's data with the recipe's seed, as training fitted it."])


def _check_supervised(recipe: dict[str, Any], where: str) -> None:
    kind = kind_named(recipe.get("kind", Recipe.kind))
    if not kind.servable:
        raise ServeError(f"{where} is a {kind.name} run; predict, export and serve take supervised models (a "
                         "classifier or a regressor), whose outputs are classes or values.")


def refitted_state(recipe: dict[str, Any], output: dict[str, Any]) -> dict[str, Any]:
    """preprocessing.json's contents, fitted again from the recipe's data and seed (as training fitted them)."""
    spec = recipe.get("data") or {}
    try:
        prepared = data.prepare(spec["source"], spec.get("args"), validation_split=spec.get("validation_split", 0.15),
                                test_split=spec.get("test_split", 0.15), stratify=spec.get("stratify", True),
                                preprocessing=spec.get("preprocessing"), seed=recipe.get("seed", 0),
                                train_per_class=spec.get("train_per_class"))
    except KeyError:
        raise ServeError("The recipe names no data source, so its preprocessing cannot be fitted again.") from None
    except UserError as error:
        raise ServeError(f"The run has no {STATE_FILE}, and its preprocessing could not be fitted again from its "
                         f"data: {error}") from None
    return fitted_state(prepared, spec, output)


def raw_test_split(recipe: dict[str, Any]) -> tuple[Any, np.ndarray]:
    """The run's test split as raw inputs (before preprocessing) and its targets as the source gives them."""
    from data import _split  # the very split data.prepare makes, before its preprocessing

    spec = recipe["data"]
    dataset = data.load(spec["source"], **(spec.get("args") or {}))
    stratify = spec.get("stratify", True) and kind_named(recipe.get("kind", Recipe.kind)).labelled
    splits = _split(dataset, spec["source"], spec.get("validation_split", 0.15), spec.get("test_split", 0.15),
                    stratify, recipe.get("seed", 0), spec.get("train_per_class"))
    return splits["test"]
