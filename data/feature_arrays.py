"""A fitted FeatureSpace's encoding done by NumPy on a whole chunk of a table, for streamed tables.

`keras.utils.FeatureSpace` is the reference: it is fitted, saved and put in front of a trained
model (`data.tabular.end_to_end_model`). Calling it on a chunk of rows goes through TensorFlow,
and handing it text columns means converting every Python string into a string tensor first; on
this project's 2-core machine that cost about 85 ms for 35,000 rows of eight numbers and one
text column, more than pandas took to parse them. `ArrayEncoder` reads the fitted layers' state
(fill value, mean and variance of each numeric column; the vocabulary of each lookup) and
computes the same output with NumPy: text becomes vocabulary indices through a pandas index,
then one-hot rows. The arithmetic is the layers' own, step by step in float32 (a subtraction, a
maximum, a square root, a division), each exactly rounded in both libraries, so the result is
the same to the bit; `tests/data/test_feature_arrays.py` checks that on gaps, unseen values and
every kind of column.

The columns come in the FeatureSpace's concatenation order: feature names sorted
(`FeatureSpace._merge_features`).
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import pandas


class ArrayEncoder:
    """`encoder(columns)`: the dict of raw column arrays a FeatureSpace takes -> its concatenated output."""

    def __init__(self, parts: list[tuple[str, Callable[[np.ndarray], np.ndarray]]]):
        self.parts = parts

    @classmethod
    def of(cls, feature_space: keras.utils.FeatureSpace) -> ArrayEncoder | None:
        """The encoder of a fitted FeatureSpace; None when one of its layers is of a kind not mirrored here."""
        if feature_space.crosses or feature_space.output_mode != "concat":
            return None
        parts = []
        for name in sorted(feature_space.preprocessors):
            part = _mirror(feature_space.preprocessors[name], feature_space.features[name].output_mode)
            if part is None:
                return None
            parts.append((name, part))
        return cls(parts)

    def __call__(self, columns: dict[str, np.ndarray]) -> np.ndarray:
        rows = len(next(iter(columns.values()))) if columns else 0
        encoded = [part(np.asarray(columns[name]).reshape(rows)) for name, part in self.parts]
        return np.concatenate(encoded, axis=1) if encoded else np.zeros((rows, 0), "float32")


def _mirror(layer, output_mode: str) -> Callable[[np.ndarray], np.ndarray] | None:
    from data.tabular import ImputedNormalization

    if isinstance(layer, ImputedNormalization) and output_mode == "float":
        return _normalization(layer)
    lookups = (keras.layers.StringLookup, keras.layers.IntegerLookup)
    if isinstance(layer, lookups) and output_mode == "one_hot" and layer.output_mode == "int":
        return _one_hot(layer)
    return None


def _normalization(layer) -> Callable[[np.ndarray], np.ndarray]:
    fill, mean, variance = (np.float32(keras.ops.convert_to_numpy(weight))
                            for weight in (layer.fill, layer.mean, layer.variance))
    scale = np.sqrt(np.maximum(variance, np.float32(1e-12)))

    def encode(values: np.ndarray) -> np.ndarray:
        values = values.astype("float32", copy=False)
        return ((np.where(np.isnan(values), fill, values) - mean) / scale)[:, None]

    return encode


def _one_hot(layer) -> Callable[[np.ndarray], np.ndarray] | None:
    vocabulary = list(layer.get_vocabulary())
    special = layer.num_oov_indices + (layer.mask_token is not None)
    if layer.num_oov_indices != 1 or layer.mask_token is not None or len(set(vocabulary[special:])) < len(
            vocabulary) - special:
        return None
    index = pandas.Index(vocabulary[special:], dtype=object if isinstance(layer, keras.layers.StringLookup) else None)
    table = np.eye(len(vocabulary), dtype="float32")

    def encode(values: np.ndarray) -> np.ndarray:
        return table[index.get_indexer(values) + special]  # unseen: -1 + 1, the out-of-vocabulary slot 0

    return encode
