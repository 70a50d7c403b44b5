"""The KerasTuner tuners a recipe may name, and the arguments of each that `tuner.args` may set."""

from __future__ import annotations

from typing import Any

import keras_tuner

from common.signatures import accepted_arguments

TUNERS = {
    "random": keras_tuner.RandomSearch,
    "bayesian": keras_tuner.BayesianOptimization,
    "hyperband": keras_tuner.Hyperband,
    "grid": keras_tuner.GridSearch,
}
# Arguments the engine sets itself from the recipe (its seed, epochs, objective and `tuner` fields) and the
# search folder; `tuner.args` cannot set them.
SET_BY_THE_ENGINE = ("hypermodel", "objective", "max_trials", "max_epochs", "seed", "hyperparameters",
                     "executions_per_trial", "directory", "project_name", "overwrite")


def tuner_arguments(name: str) -> dict[str, Any]:
    """The arguments (with defaults) of tuner `name` that `tuner.args` may set; {} for an unknown name, which
    the tuner check reports."""
    tuner = TUNERS.get(name)
    return accepted_arguments(tuner, leave_out=SET_BY_THE_ENGINE) if tuner else {}
