"""What a run saves so that its fitted preprocessing can be applied again: `preprocessing.json`.

Preprocessing is fitted on the training split while a run prepares its data (data.prepare). At the end of
training `save_state` writes what the fitted steps learned: the scale of `rescale`, the means and deviations of
`standardize`, the fill values of `impute`, the shape of `reshape`, the column kinds of `feature_space` (whose
fitted layers live in the run's `inference_model.keras`), what one raw sample looks like before them, the
classes, and the target's mean and scale when the recipe standardized it. Everything is JSON: nothing is
unpickled to use a run. engine.serve.state reads it back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import data
from common.files import write_json
from data.preprocessing import Impute, OneHotLabels, Rescale, Reshape, Standardize, StandardizeTargets
from data.tabular import FeatureSpaceStep

STATE_FILE = "preprocessing.json"
STATE_FORMAT = 1
# Steps that change only the targets: nothing to apply to a new input.
TARGET_STEPS = (OneHotLabels, StandardizeTargets)


def step_state(step: Any) -> dict[str, Any]:
    """What one fitted preprocessing step needs to be applied again, as JSON."""
    if isinstance(step, Rescale):
        return {"name": "rescale", "scale": step.scale, "offset": step.offset}
    if isinstance(step, Standardize):
        return {"name": "standardize", "mean": step.scaler.mean_.tolist(), "scale": step.scaler.scale_.tolist()}
    if isinstance(step, Impute):
        fill = step.fill if hasattr(step, "fill") else step.imputer.statistics_
        return {"name": "impute", "fill": np.asarray(fill, dtype="float64").tolist()}
    if isinstance(step, Reshape):
        return {"name": "reshape", "shape": list(step.shape)}
    if isinstance(step, FeatureSpaceStep):
        return {"name": "feature_space", "kinds": dict(step.kinds)}
    if isinstance(step, TARGET_STEPS):
        return {"name": step.step_name, "targets_only": True}
    return {"name": step.step_name or type(step).__name__, "unsupported": True}


def fitted_state(prepared: data.Prepared, recipe_data: dict[str, Any], output: dict[str, Any]) -> dict[str, Any]:
    """preprocessing.json's contents for a prepared data set and the model's output layer."""
    target = None
    if prepared.target_scale is not None:
        target = {"mean": list(prepared.target_mean), "scale": list(prepared.target_scale)}
    return {
        "format": STATE_FORMAT, "task": prepared.task, "class_names": list(prepared.class_names),
        "source": recipe_data.get("source"), "source_args": dict(recipe_data.get("args") or {}),
        "raw_inputs": prepared.raw_inputs, "steps": [step_state(step) for step in prepared.fitted_steps],
        "target": target, "output": {"units": output.get("units"), "activation": output.get("activation")},
    }


def save_state(folder: Path, prepared: data.Prepared, recipe_data: dict[str, Any], output: dict[str, Any]) -> None:
    """Write preprocessing.json into a finished run's folder (atomically)."""

    write_json(Path(folder) / STATE_FILE, fitted_state(prepared, recipe_data, output))


