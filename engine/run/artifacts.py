"""Reading back what a finished run wrote: its trained model, with the recipe's own losses and metrics."""

from __future__ import annotations

from pathlib import Path

import keras

# Imported for what they register with Keras (the zoo's clustering and contrastive losses and layers, the
# tabular layers of data/): a run's model.keras names them, and a fresh process must know them to load it.
import data  # noqa: F401
import zoo  # noqa: F401
from common.json_files import read_json_object
from engine.errors import RecipeError
from engine.recipe.keras_objects import custom_objects


def load_run_model(folder: str | Path) -> keras.Model:
    """The trained, compiled model of a run folder (runs/<recipe>/<run>/model.keras).

    The custom losses, metrics and layers its recipe.json names are imported first and passed to
    `keras.saving.load_model`, which runs in safe mode (no Python lambdas are deserialized).
    """
    folder = Path(folder)
    for name in ("recipe.json", "model.keras"):
        if not (folder / name).is_file():
            raise RecipeError(f"{folder} has no {name}; pass the folder of a finished run, runs/<recipe>/<run>.")
    recipe_config = read_json_object(folder / "recipe.json", RecipeError, "recipe", "a saved recipe")
    return keras.saving.load_model(folder / "model.keras", custom_objects=custom_objects(recipe_config),
                                   safe_mode=True)
