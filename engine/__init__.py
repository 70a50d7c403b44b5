"""How a recipe runs: check -> plan -> train -> assess -> record, one subpackage per question.

- `engine.recipe`: what may a recipe say? (schema, ranges, overrides, valid numbers, loading)
- `engine.run`: how does one run go? (plan, training, record, resume, run folders, publish)
- `engine.learning`: what differs between kinds of learning? (supervised today)
- `engine.tune`: how is a search run? (KerasTuner over the recipe's ranges)
- `engine.distribute`: which devices and workers? (tf.distribute strategies, local clusters)
- `engine.report`: what does a run tell a person? (evaluation, diagnosis, cost, plots, report.md, TensorBoard)
- `engine.cli`: `python -m engine ...`, behind the Makefile; `engine.errors`: `RecipeError`.

Recipe modules need only:

    from engine import Data, Model, Recipe, hp
"""

import os

# Keras 3 runs on TensorFlow here; TensorFlow's start-up chatter (CPU feature notes) is hidden.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from engine.errors import RecipeError  # noqa: E402
from engine.recipe import hp  # noqa: E402
from engine.recipe.schema import Agent, Data, Environment, Model, Recipe, Tuner  # noqa: E402

__all__ = ["Agent", "Data", "Environment", "Model", "Recipe", "RecipeError", "Tuner", "hp"]
