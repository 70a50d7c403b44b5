"""How a recipe runs: the recipe schema, overrides, strategies, training and run folders.

Recipe modules need only:

    from engine import Data, Model, Recipe, hp
"""

import os

# Keras 3 runs on TensorFlow here; TensorFlow's start-up chatter (CPU feature notes) is hidden.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from engine.errors import RecipeError  # noqa: E402
from engine.recipe import hp  # noqa: E402
from engine.recipe.schema import Data, Model, Recipe, Tuner  # noqa: E402

__all__ = ["Data", "Model", "Recipe", "RecipeError", "Tuner", "hp"]
