"""NumPy's encoding of a fitted FeatureSpace (`data.feature_arrays`) equals the FeatureSpace's own, to the bit."""

from __future__ import annotations

import keras
import numpy as np
import pandas
import pytest
import tensorflow as tf

from data.feature_arrays import ArrayEncoder
from data.tabular import FeatureSpaceStep


def frame(rows: int, seed: int, colours: tuple = ("red", "green", "blue")) -> pandas.DataFrame:
    generator = np.random.default_rng(seed)
    table = pandas.DataFrame({
        "weight": generator.normal(70, 12, rows) * 1.000001,
        "zero_spread": np.full(rows, 3.0),
        "colour": np.array(colours, dtype=object)[generator.integers(0, len(colours), rows)],
        "flag": generator.random(rows) < 0.3,
        "grade": generator.integers(1, 5, rows).astype(float),
        "shape": np.array(["round", "square"], dtype=object)[generator.integers(0, 2, rows)],
    })
    table.loc[generator.random(rows) < 0.1, "weight"] = np.nan
    table.loc[generator.random(rows) < 0.1, "colour"] = None
    table.loc[generator.random(rows) < 0.1, "grade"] = np.nan
    return table


@pytest.mark.parametrize("impute", ["median", "mean"])
def test_numpy_encoding_equals_the_feature_space_on_gaps_unseen_values_and_every_kind_of_column(impute):
    step = FeatureSpaceStep(integer_categorical=["grade"], impute=impute)
    step.fit(frame(400, seed=0), None, None)
    # Later rows hold values the training rows never had: a new colour, a new grade.
    later = frame(300, seed=1, colours=("red", "blue", "violet"))
    later.loc[:9, "grade"] = 9.0
    columns = step.columns(later)
    encoder = ArrayEncoder.of(step.feature_space)
    assert encoder is not None
    expected = np.asarray(keras.ops.convert_to_numpy(step.feature_space(columns)))
    encoded = encoder(columns)
    assert encoded.dtype == np.float32 and encoded.shape == expected.shape == (300, expected.shape[1])
    np.testing.assert_array_equal(encoded, expected)
    assert encoder(step.columns(later.head(0))).shape == (0, expected.shape[1])


def test_a_feature_space_with_layers_not_mirrored_gets_no_numpy_encoder():
    crossed = keras.utils.FeatureSpace(
        {"a": keras.utils.FeatureSpace.integer_categorical(), "b": keras.utils.FeatureSpace.integer_categorical()},
        crosses=[keras.utils.FeatureSpace.cross(("a", "b"), crossing_dim=8)], output_mode="concat")
    hashed = keras.utils.FeatureSpace({"a": keras.utils.FeatureSpace.integer_hashed(num_bins=4)})
    for space in (crossed, hashed):
        space.adapt(tf.data.Dataset.from_tensor_slices({name: np.arange(6) for name in space.features}).batch(3))
        assert ArrayEncoder.of(space) is None
