"""The fitted preprocessing steps as Keras layers, so one model takes the raw inputs a run was trained on.

Each layer does in float32 what its step did to the training arrays (data.preprocessing), operation for
operation: `rescale` is x * scale + offset, `standardize` (x - mean) / scale with the statistics rounded to
float32 first (as scikit-learn computes on float32 features), `impute` fills NaN with the float32 fill value,
`reshape` gives each sample its new shape. Called eagerly, the model behind them reproduces the run's test
predictions bit for bit; in a traced graph (an export) an optimizer may reorder an operation, which the
export's parity check measures.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from data.tabular import MISSING_TEXT
from engine.serve.state import Served, ServeError


class _FlatStep(keras.layers.Layer):
    """A step that works on each sample's values as one flat vector, keeping the sample's shape."""

    def __init__(self, values: dict[str, list[float]], **kwargs):
        super().__init__(**kwargs)
        self.values = {name: np.asarray(vector, dtype="float32") for name, vector in values.items()}

    def call(self, inputs):
        shape = ops.shape(inputs)
        flat = ops.reshape(ops.cast(inputs, "float32"), (-1, int(np.prod(inputs.shape[1:]))))
        return ops.reshape(self.apply(flat), shape)

    def compute_output_shape(self, input_shape):
        return input_shape


class Standardization(_FlatStep):
    """(x - mean) / scale per feature, the training split's statistics in float32."""

    def apply(self, flat):
        return (flat - self.values["mean"]) / self.values["scale"]


class Imputation(_FlatStep):
    """Missing values (NaN) filled with the training split's value of each feature."""

    def apply(self, flat):
        return ops.where(ops.isnan(flat), self.values["fill"], flat)


class Rescaling(keras.layers.Layer):
    """x * scale + offset in float32."""

    def __init__(self, scale: float, offset: float, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = np.float32(scale), np.float32(offset)

    def call(self, inputs):
        return ops.cast(inputs, "float32") * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return input_shape


class EmptyTextAsGap(keras.layers.Layer):
    """A text column's empty strings read as a gap, the category `make predict` gives an empty cell
    (data.tabular.MISSING_TEXT), so an artifact fed "" answers as predict does for a blank."""

    def call(self, inputs):
        import tensorflow as tf  # a table's artifact is TensorFlow's alone (its FeatureSpace runs on tf.data ops)

        return tf.where(tf.equal(inputs, ""), tf.constant(MISSING_TEXT), inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


class TargetUnits(keras.layers.Layer):
    """Regression outputs from standard units back to the target's own units (float32), for exports."""

    def __init__(self, mean: list[float], scale: list[float], **kwargs):
        super().__init__(**kwargs)
        self.mean, self.scale = np.asarray(mean, dtype="float32"), np.asarray(scale, dtype="float32")

    def call(self, inputs):
        return inputs * self.scale + self.mean

    def compute_output_shape(self, input_shape):
        return input_shape


def _layer(step: dict[str, Any]) -> keras.layers.Layer | None:
    name = step["name"]
    if step.get("targets_only"):
        return None
    if name == "rescale":
        return Rescaling(step["scale"], step["offset"], name="rescale")
    if name == "standardize":
        return Standardization({"mean": step["mean"], "scale": step["scale"]}, name="standardize")
    if name == "impute":
        return Imputation({"fill": step["fill"]}, name="impute")
    if name == "reshape":
        return keras.layers.Reshape(tuple(step["shape"]), name="reshape")
    raise ServeError(f"The run's preprocessing step {name!r} cannot be applied outside training yet: predict and "
                     "export apply rescale, standardize, impute, reshape and feature_space. Preprocess the inputs "
                     "yourself and call the run's model.keras.")


def serving_model(served: Served, target_units: bool = False) -> keras.Model:
    """One Keras model from raw inputs to the trained model's outputs (in the target's units if `target_units`)."""
    steps = [step for step in served.state["steps"] if not step.get("targets_only")]
    if served.is_table:
        if [step["name"] for step in steps] != ["feature_space"] or served.inference_model is None:
            raise ServeError(f"{served.name}: a table is served through its feature_space step alone (the run's "
                             "inference_model.keras); this run's steps are "
                             f"{[step['name'] for step in served.state['steps']]}.")
        inference = served.inference_model
        inputs = {name: keras.Input(shape=tensor.shape[1:], dtype=tensor.dtype, name=name)
                  for name, tensor in inference.input.items()}  # a dict of raw columns in
        fed = {name: EmptyTextAsGap(name=f"{name}_gaps")(tensor) if tensor.dtype == "string" else tensor
               for name, tensor in inputs.items()}
        outputs = inference(fed)
        outputs = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
    else:
        raw = served.state["raw_inputs"]
        inputs = keras.Input(shape=tuple(raw["shape"]), dtype="float32", name="features")
        hidden = inputs
        for step in steps:
            hidden = _layer(step)(hidden)
        outputs = served.trained(hidden)
    target = served.state.get("target")
    if target_units and target is not None:
        outputs = TargetUnits(target["mean"], target["scale"], name="target_units")(outputs)
    return keras.Model(inputs, outputs, name="serving")
