"""How a recipe runs: check -> plan -> train -> assess -> record, one subpackage per question.

Layers, each importing only those below it (pyproject.toml's [tool.importlinter], checked by make lint):

- `engine.cli`: `python -m engine ...`, behind the Makefile.
- `engine.tune`: how is a search run? (KerasTuner over the recipe's ranges; each trial built and fitted by its kind)
- `engine.serve`: how is a trained model used? (predict, export)
- `engine.learning`: the kinds of learning (supervised, unsupervised, reinforcement; active learning, curricula)
- `engine.run`: how does one run go? (plan, training, record, resume, run folders, publish)
- `engine.report`: what does a run tell a person? (evaluation, diagnosis, cost, plots, report.md, TensorBoard)
- `engine.recipe`: what may a recipe say? (schema, ranges, overrides, valid numbers, loading, Keras objects)
- `engine.kinds`: the kind protocol and registry; `engine.distribute`: which devices and workers?
- `engine.errors`: `RecipeError`.

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
