"""tabular_mlp with a FeatureSpace: raw columns in, the encoding inside the saved model."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import data
import zoo
from data.tabular import FeatureSpaceStep


def test_tabular_mlp_with_a_feature_space_trains_on_raw_columns_and_reloads_in_safe_mode(tmp_path):
    frame = data.load("penguins", drop=["year"])
    step = FeatureSpaceStep()
    step.fit(frame.features, frame.targets, data.CLASSIFICATION)
    columns = step.columns(frame.features)
    model = zoo.create("tabular_mlp", num_classes=3, feature_space=step.feature_space, width=16)
    assert set(model.input) == set(columns)  # one named input per raw column
    assert [layer.name for layer in model.layers][-2:] == ["backbone", "head"]
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    dataset = tf.data.Dataset.from_tensor_slices((columns, frame.targets)).batch(32)
    history = model.fit(dataset, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "tabular.keras")
    loaded = keras.saving.load_model(tmp_path / "tabular.keras", safe_mode=True)
    raw = {name: tf.constant(values) for name, values in columns.items()}
    np.testing.assert_allclose(loaded.predict(raw, verbose=0), model.predict(raw, verbose=0), rtol=1e-5, atol=1e-6)


def test_tabular_mlp_refuses_a_feature_space_that_was_not_adapted():
    space = keras.utils.FeatureSpace({"size": "float_normalized"})
    with pytest.raises(zoo.ZooError, match="must be adapted first"):
        zoo.create("tabular_mlp", num_classes=2, feature_space=space)
