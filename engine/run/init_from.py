"""Starting from one's own run as from a zoo entry: `model.name=runs/<recipe>/<run>` (or `init_from=` for short).

A finished run's model.keras is loaded with the objects its recipe.json names (engine.run.artifacts), its
head replaced by a fresh one when the new data's classes differ from the run's (by number or by name), and its
backbone frozen when `model.freeze_backbone` asks for it, exactly as a shipped pretrained model is
(zoo.pretrained.load). The run must be complete, and its inputs shaped as the new data's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

import data
import zoo
from common.json_files import read_json_object
from data.fitted_state import STATE_FILE
from engine.errors import RecipeError
from engine.run.artifacts import load_run_model


def is_run_folder(name: str | None) -> bool:
    """Whether a model name is a path (a run folder) rather than a zoo name, which never holds a separator."""
    return bool(name) and ("/" in name or "\\" in name)


def check_run_source(name: str, args: dict) -> Path:
    """The run folder `name` names, refused unless it is a complete run with a model to start from."""
    folder = Path(name).expanduser()
    env_path = folder / "env.json"
    if not env_path.is_file() or not (folder / "model.keras").is_file():
        raise RecipeError(f"model.name={name!r} is read as a run folder to start from, but it has no env.json and "
                          "model.keras. Give the folder of a finished run, runs/<recipe>/<run>.")
    status = read_json_object(env_path, RecipeError, "env", "a run's env.json").get("status")
    if status != "complete":
        raise RecipeError(f"{folder} did not finish (status {status!r}); start from a complete run, or resume "
                          f"it first with make recipe ARGS=\"resume={folder}\".")
    if args:
        raise RecipeError(f"`model.args` must be empty when starting from the run {folder}: its architecture is "
                          "the run's.")
    return folder.resolve()


def model_from_run(name: str, prepared: data.Prepared, output: dict[str, Any], freeze_backbone: bool) -> keras.Model:
    """The run's trained model, ready to fine-tune on `prepared`."""
    folder = check_run_source(name, {})
    model = load_run_model(folder)
    if tuple(model.input_shape[1:]) != tuple(prepared.input_shape):
        raise RecipeError(f"The run {folder} takes inputs shaped {tuple(model.input_shape[1:])}, but this data's "
                          f"are {tuple(prepared.input_shape)}. Preprocess the data as that run's recipe.json does.")
    state_path = folder / STATE_FILE
    before = read_json_object(state_path, RecipeError, "state", "a run's preprocessing.json").get("class_names") \
        if state_path.is_file() else None
    units = output["units"]
    head_units = getattr(_layer(model, "head", folder), "units", units)
    if units and (head_units != units or (before is not None and list(before) != list(prepared.class_names))):
        _layer(model, "backbone", folder)
        model = zoo.replace_head(model, units, output["activation"])
    if freeze_backbone:
        _layer(model, "backbone", folder)
        zoo.set_backbone_frozen(model, True)
    return model


def _layer(model: keras.Model, name: str, folder: Path):
    try:
        return model.get_layer(name)
    except ValueError:
        raise RecipeError(f"The model of {folder} has no layer named {name!r}, so its head cannot be replaced or "
                          "its backbone frozen: start from a run of a zoo model (they are built as a backbone "
                          "and a head).") from None
