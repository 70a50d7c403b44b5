"""Reading back what a finished run wrote: its trained model, with the recipe's own losses and metrics."""

from __future__ import annotations

import json
from pathlib import Path

import keras

from engine.errors import RecipeError
from engine.run.keras_objects import custom_objects


def load_run_model(folder: str | Path) -> keras.Model:
    """The trained, compiled model of a run folder (runs/<recipe>/<run>/model.keras).

    The custom losses, metrics and layers its recipe.json names are imported first and passed to
    `keras.saving.load_model`, which runs in safe mode (no Python lambdas are deserialized).
    """
    folder = Path(folder)
    for name in ("recipe.json", "model.keras"):
        if not (folder / name).is_file():
            raise RecipeError(f"{folder} has no {name}; pass the folder of a finished run, runs/<recipe>/<run>.")
    try:
        recipe_config = json.loads((folder / "recipe.json").read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RecipeError(f"{folder / 'recipe.json'} is not a readable recipe: {error}") from None
    if not isinstance(recipe_config, dict):
        raise RecipeError(f"{folder / 'recipe.json'} must hold a JSON object (a saved recipe).")
    return keras.saving.load_model(folder / "model.keras", custom_objects=custom_objects(recipe_config),
                                   safe_mode=True)
