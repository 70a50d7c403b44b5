"""The `feature_space` step: a table's columns imputed and encoded by a keras.utils.FeatureSpace.

Numeric columns have their gaps filled with the training median (or mean) and are then
standardized with training statistics, by one small Keras layer; text columns become one-hot
vectors over the training vocabulary, with missing values as the text "(missing)" (a category
of its own) and unseen values in an out-of-vocabulary slot. (Not the empty string: a saved
StringLookup vocabulary loses "" on reload, which would send gaps to the unseen slot.) Everything is fitted with
`FeatureSpace.adapt` on the training split only.

A table streamed from its file (`data.streaming.Stream`) is adapted the same way on a tf.data
pipeline of its training rows; numeric gaps are then filled with the training mean
(`impute="mean"`), as a median would need every value at once.

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
from data.feature_arrays import ArrayEncoder
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
        if getattr(self, "streaming", False):
            self._adapt_streaming(dataset)
            return
        values = np.concatenate([np.asarray(batch, dtype="float64").reshape(-1) for batch in dataset])
        present = values[~np.isnan(values)]
        if present.size == 0:
            raise DataError(f"Column {self.name!r} has no values in the training split; drop it (data.args.drop).")
        fill = float(np.median(present) if self.strategy == "median" else present.mean())
        filled = np.where(np.isnan(values), fill, values)
        self.fill.assign(fill)
        self.mean.assign(float(filled.mean()))
        self.variance.assign(float(filled.var()))

    def _adapt_streaming(self, dataset) -> None:
        """The mean and variance batch by batch (Chan et al.'s combination): gaps take the mean of the values."""
        count, mean, spread, everything = 0, 0.0, 0.0, 0
        for batch in dataset:
            values = np.asarray(batch, dtype="float64").reshape(-1)
            present = values[~np.isnan(values)]
            everything += values.size
            if present.size == 0:
                continue
            batch_mean = float(present.mean())
            delta, total = batch_mean - mean, count + present.size
            mean += delta * present.size / total
            spread += float(((present - batch_mean) ** 2).sum()) + delta * delta * count * present.size / total
            count = total
        if count == 0:
            raise DataError(f"Column {self.name!r} has no values in the training split; drop it (data.args.drop).")
        self.fill.assign(mean)
        self.mean.assign(mean)
        self.variance.assign(spread / everything)

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
        """The raw columns as the FeatureSpace takes them: float (NaN for gaps), text ("(missing)" for gaps, NaN
        or ""), or int."""
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
                # A blank is a gap whether it came as NaN (an empty CSV cell) or as "" (a JSON row, an artifact's
                # input): both read as MISSING_TEXT, so every way in gives the same answer.
                present = series.notna() & (series.astype(object) != "")
                text = series.astype(object).where(present, MISSING_TEXT).to_numpy(dtype=object)
                if pandas.api.types.infer_dtype(text, skipna=False) != "string":  # numbers or flags among text
                    text = np.asarray(text, dtype=str).astype(object)
                values[column] = text
        return values

    def fit(self, features, targets, task):
        if not isinstance(features, pandas.DataFrame):
            raise DataError("Preprocessing step 'feature_space' needs a table source (csv, parquet, penguins).")
        self.kinds = self._kinds(features)
        self.missing = {column: int(features[column].isna().sum()) for column in self.kinds
                        if features[column].isna().any()}
        self.feature_space = self._space()
        self.feature_space.adapt(self.columns(features))

    def _space(self, streaming: bool = False) -> keras.utils.FeatureSpace:
        specs = {}
        for column, kind in self.kinds.items():
            if kind == "numeric":
                imputer = ImputedNormalization(self.impute, name=f"impute_{column}")
                imputer.streaming = streaming
                specs[column] = keras.utils.FeatureSpace.feature(dtype="float32", preprocessor=imputer,
                                                                 output_mode="float")
            elif kind == "integer_categorical":
                specs[column] = keras.utils.FeatureSpace.integer_categorical(name=column)
            else:
                specs[column] = keras.utils.FeatureSpace.string_categorical(name=column)
        return keras.utils.FeatureSpace(specs, output_mode="concat")

    def transform(self, features, targets):
        encoded = self.feature_space(self.columns(features))
        return np.asarray(keras.ops.convert_to_numpy(encoded), dtype="float32"), targets

    def fit_stream(self, stream, targets, task):
        if not stream.is_raw_table():
            raise DataError("Preprocessing step 'feature_space' needs a table source (csv, parquet), first in "
                            "data.preprocessing.")
        self.kinds = self._kinds(stream.reader.prototype())
        if self.impute == "median" and "numeric" in self.kinds.values():
            self.cannot_stream(" with impute='median' (a median needs every training value at once)",
                               ", or use {'name': 'feature_space', 'impute': 'mean'}")
        missing = dict.fromkeys(self.kinds, 0)
        for frame in stream.frames():
            for column in self.kinds:
                missing[column] += int(frame[column].isna().sum())
        self.missing = {column: count for column, count in missing.items() if count}
        self.feature_space = self._space(streaming=True)
        self.feature_space.adapt(stream.with_columns(self.columns).dataset())

    def transform_stream(self, stream, targets):
        if not stream.is_raw_table():
            raise DataError("Preprocessing step 'feature_space' needs a table source (csv, parquet), first in "
                            "data.preprocessing.")
        # Each chunk of rows is encoded as it is read, by NumPy doing the FeatureSpace's own arithmetic
        # (data.feature_arrays: the same floats to the bit, without a string tensor per text value).
        encoder = ArrayEncoder.of(self.feature_space)
        if encoder is None:
            return stream.with_columns(lambda frame: self.transform(frame, None)[0]).filled(), targets
        return stream.with_columns(lambda frame: encoder(self.columns(frame))).filled(), targets

    def describe(self):
        kinds = {kind: [column for column, found in self.kinds.items() if found == kind]
                 for kind in ("numeric", "categorical", "integer_categorical")}
        return {**{kind: columns for kind, columns in kinds.items() if columns}, "impute": self.impute,
                "missing_in_train": self.missing}


def end_to_end_model(feature_space: keras.utils.FeatureSpace, model: keras.Model) -> keras.Model:
    """`model` behind the fitted FeatureSpace: one Keras model from raw columns (dict) to predictions."""
    encoded = feature_space.get_encoded_features()
    return keras.Model(feature_space.get_inputs(), model(encoded), name=f"{model.name}_end_to_end")
