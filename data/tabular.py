"""The `feature_space` step: a table's columns imputed and encoded by a keras.utils.FeatureSpace.

Numeric columns have their gaps filled with the training median (or mean) and are then
standardized with training statistics, by one small Keras layer; text columns become one-hot
vectors over the training vocabulary, with missing values as the text "(missing)" (a category
of its own) and unseen values in an out-of-vocabulary slot. (Not the empty string: a saved
StringLookup vocabulary loses "" on reload, which would send gaps to the unseen slot.) Everything is fitted with
`FeatureSpace.adapt` on the training split only.

Because the imputation and encoding are Keras layers, they can travel with the model:
`end_to_end_model` wraps a trained model so that it takes the raw columns, gaps included.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pandas
from keras import ops

from data.errors import DataError
from data.preprocessing import Step, register_step

MISSING_TEXT = "(missing)"
IMPUTE = ("median", "mean")


@keras.saving.register_keras_serializable(package="keras_recipes_zoo")
class ImputedNormalization(keras.layers.Layer):
    """Fills NaN with the adapted median (or mean), then standardizes with the adapted mean and variance."""

    def __init__(self, strategy: str = "median", **kwargs):
        super().__init__(**kwargs)
        self.strategy = strategy
        self.fill = self.add_weight(shape=(), initializer="zeros", trainable=False, name="fill")
        self.mean = self.add_weight(shape=(), initializer="zeros", trainable=False, name="mean")
        self.variance = self.add_weight(shape=(), initializer="ones", trainable=False, name="variance")

    def adapt(self, dataset) -> None:
        values = np.concatenate([np.asarray(batch, dtype="float64").reshape(-1) for batch in dataset])
        present = values[~np.isnan(values)]
        if present.size == 0:
            raise DataError(f"Column {self.name!r} has no values in the training split; drop it (data.args.drop).")
        fill = float(np.median(present) if self.strategy == "median" else present.mean())
        filled = np.where(np.isnan(values), fill, values)
        self.fill.assign(fill)
        self.mean.assign(float(filled.mean()))
        self.variance.assign(float(filled.var()))

    def call(self, inputs):
        values = ops.cast(inputs, "float32")
        values = ops.where(ops.isnan(values), self.fill, values)
        return (values - self.mean) / ops.sqrt(ops.maximum(self.variance, 1e-12))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "strategy": self.strategy}


def _is_number(column: pandas.Series) -> bool:
    return column.dtype.kind in "iuf"


@register_step("feature_space")
class FeatureSpaceStep(Step):
    """Impute and encode a table's columns with a keras.utils.FeatureSpace fitted on the training split.

    `numeric`, `categorical` and `integer_categorical` list columns by kind; columns not
    listed are numeric when they hold numbers and categorical otherwise. `impute` is how
    numeric gaps are filled: "median" or "mean" of the training split.
    """

    takes_tables = True

    def __init__(self, numeric: list | None = None, categorical: list | None = None,
                 integer_categorical: list | None = None, impute: str = "median"):
        if impute not in IMPUTE:
            raise DataError(f"Preprocessing step 'feature_space' takes impute= one of {', '.join(IMPUTE)}. "
                            f"Received: {impute!r}")
        self.declared = {"numeric": list(numeric or []), "categorical": list(categorical or []),
                         "integer_categorical": list(integer_categorical or [])}
        self.impute = impute
        self.kinds: dict[str, str] = {}
        self.feature_space: keras.utils.FeatureSpace | None = None
        self.missing: dict[str, int] = {}

    def _kinds(self, frame: pandas.DataFrame) -> dict[str, str]:
        declared = {column: kind for kind, columns in self.declared.items() for column in columns}
        unknown = sorted(set(declared) - {str(column) for column in frame.columns})
        if unknown:
            raise DataError(f"Preprocessing step 'feature_space' names columns {unknown} that the table does not "
                            f"have; its feature columns are {[str(column) for column in frame.columns]}.")
        return {str(column): declared.get(str(column), "numeric" if _is_number(frame[column]) else "categorical")
                for column in frame.columns}

    def columns(self, frame: pandas.DataFrame) -> dict[str, np.ndarray]:
        """The raw columns as the FeatureSpace takes them: float (NaN for gaps), text ("(missing)" for gaps), or int."""
        values = {}
        for column, kind in self.kinds.items():
            series = frame[column]
            if kind == "numeric":
                if not _is_number(series):
                    raise DataError(f"Column {column!r} is declared numeric but holds {series.dtype} values.")
                values[column] = series.to_numpy(dtype="float32", na_value=np.nan)
            elif kind == "integer_categorical":
                values[column] = series.fillna(-1).to_numpy(dtype="int64")
            else:
                text = series.astype(object).where(series.notna(), MISSING_TEXT)
                values[column] = np.array([str(value) for value in text], dtype=object)
        return values

    def fit(self, features, targets, task):
        if not isinstance(features, pandas.DataFrame):
            raise DataError("Preprocessing step 'feature_space' needs a table source (csv, parquet, penguins).")
        self.kinds = self._kinds(features)
        self.missing = {column: int(features[column].isna().sum()) for column in self.kinds
                        if features[column].isna().any()}
        specs = {}
        for column, kind in self.kinds.items():
            if kind == "numeric":
                specs[column] = keras.utils.FeatureSpace.feature(
                    dtype="float32", preprocessor=ImputedNormalization(self.impute, name=f"impute_{column}"),
                    output_mode="float")
            elif kind == "integer_categorical":
                specs[column] = keras.utils.FeatureSpace.integer_categorical(name=column)
            else:
                specs[column] = keras.utils.FeatureSpace.string_categorical(name=column)
        self.feature_space = keras.utils.FeatureSpace(specs, output_mode="concat")
        self.feature_space.adapt(self.columns(features))

    def transform(self, features, targets):
        encoded = self.feature_space(self.columns(features))
        return np.asarray(keras.ops.convert_to_numpy(encoded), dtype="float32"), targets

    def describe(self):
        kinds = {kind: [column for column, found in self.kinds.items() if found == kind]
                 for kind in ("numeric", "categorical", "integer_categorical")}
        return {**{kind: columns for kind, columns in kinds.items() if columns}, "impute": self.impute,
                "missing_in_train": self.missing}


def end_to_end_model(feature_space: keras.utils.FeatureSpace, model: keras.Model) -> keras.Model:
    """`model` behind the fitted FeatureSpace: one Keras model from raw columns (dict) to predictions."""
    encoded = feature_space.get_encoded_features()
    return keras.Model(feature_space.get_inputs(), model(encoded), name=f"{model.name}_end_to_end")
