"""Cleaning and encoding learn from the training split alone; augmentation touches training batches only."""

import keras
import numpy as np
import pandas
import pytest

import data
import data.pipeline
from data.tabular import FeatureSpaceStep, end_to_end_model
from engine.recipe.resolve import resolve
from engine.run.building import make_datasets, prepare_data
from recipes.digits_cnn import recipe as digits_cnn


def gappy_arrays(tmp_path):
    (tmp_path / "gappy.py").write_text(
        "import numpy as np\n"
        "def load():\n"
        "    rng = np.random.default_rng(0)\n"
        "    x = rng.exponential(5.0, size=(200, 3)).astype('float32')\n"
        "    x[::7, 1] = np.nan\n"
        "    return x, np.arange(200) % 2\n")
    return {"function": f"{tmp_path / 'gappy.py'}:load"}


def test_imputation_fills_gaps_with_the_training_median_alone(tmp_path):
    args = gappy_arrays(tmp_path)
    prepared = data.prepare("function", args, validation_split=0.2, test_split=0.2, seed=5,
                            preprocessing=[{"name": "impute"}])
    raw = data.load("function", **args)
    parts = data.split_indices(raw.targets, 0.2, 0.2, seed=5, stratify=True)
    train_median = np.nanmedian(raw.features[parts["train"], 1])
    everything_median = np.nanmedian(raw.features[:, 1])
    assert abs(train_median - everything_median) > 1e-3  # else this test could not tell them apart
    gaps = np.isnan(raw.features[parts["test"], 1])
    np.testing.assert_allclose(prepared.splits["test"][0][gaps, 1], train_median, rtol=1e-6)
    assert prepared.steps[0]["missing_in_train"] == int(np.isnan(raw.features[parts["train"], 1]).sum())


def frames():
    train = pandas.DataFrame({"size": [1.0, 2.0, np.nan, 4.0, 100.0], "colour": ["red", "blue", None, "red", "red"]})
    test = pandas.DataFrame({"size": [np.nan, 2.0], "colour": ["green", None]})
    return train, test


def test_the_feature_space_learns_gaps_scales_and_vocabulary_from_training_rows_only():
    train, test = frames()
    step = FeatureSpaceStep()
    step.fit(train, None, data.CLASSIFICATION)
    encoded, _ = step.transform(test, None)
    assert step.kinds == {"size": "numeric", "colour": "categorical"}
    # The FeatureSpace concatenates features in name order: colour's 4 slots, then size.
    colours, sizes = encoded[:, :4], encoded[:, 4]
    # Training sizes 1, 2, 4, 100: the gap becomes the median 3, then (3 - mean) / std of [1, 2, 3, 4, 100].
    filled = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    np.testing.assert_allclose(sizes, (np.array([3.0, 2.0]) - filled.mean()) / filled.std(), rtol=1e-5)
    # "green" never occurs in training: it lands in the out-of-vocabulary slot 0, like any unseen value.
    assert colours[0].tolist() == [1.0, 0.0, 0.0, 0.0]
    # A missing colour is the category "(missing)" learned from the training gap, not the unseen slot.
    assert colours[1].sum() == 1.0 and colours[1][0] == 0.0


def test_whole_number_columns_can_be_declared_categorical():
    numeric = data.prepare("penguins", preprocessing=[{"name": "feature_space"}], seed=0)
    categorical = data.prepare("penguins", preprocessing=[{"name": "feature_space",
                                                           "integer_categorical": ["year"]}], seed=0)
    # year as one number, or one-hot over 2007, 2008, 2009 plus the unseen slot: three more columns.
    assert categorical.input_shape[0] == numeric.input_shape[0] + 3
    assert categorical.steps[0]["integer_categorical"] == ["year"]


def test_the_end_to_end_model_takes_raw_columns_and_survives_safe_mode_loading(tmp_path):
    prepared = data.prepare("penguins", {"drop": ["year"]}, preprocessing=[{"name": "feature_space"}], seed=0)
    model = keras.Sequential([keras.Input(prepared.input_shape), keras.layers.Dense(3, activation="softmax")])
    whole = end_to_end_model(prepared.feature_space, model)
    whole.save(tmp_path / "inference_model.keras")
    loaded = keras.saving.load_model(tmp_path / "inference_model.keras", safe_mode=True)
    frame = data.load("penguins", drop=["year"]).features
    raw = FeatureSpaceStep.columns(_fitted_step(prepared), frame)
    expected = model.predict(prepared.feature_space(raw), verbose=0)
    predicted = loaded.predict({name: keras.ops.convert_to_tensor(values) for name, values in raw.items()}, verbose=0)
    np.testing.assert_allclose(predicted, expected, rtol=1e-5, atol=1e-6)
    assert np.isfinite(predicted).all()  # rows with missing measurements included


def _fitted_step(prepared):
    step = FeatureSpaceStep()
    step.kinds = {name: ("numeric" if name.endswith(("mm", "_g")) else "categorical")
                  for name in prepared.feature_space.features}
    return step


def digits_with(augmentation):
    resolved = resolve(digits_cnn)
    resolved.data.augmentation = augmentation
    return prepare_data(resolved)


def test_augmentation_changes_training_batches_and_never_evaluation_batches():
    augmented = digits_with([{"name": "random_rotation", "factor": 0.2}, {"name": "random_zoom", "height_factor": 0.2}])
    plain = digits_with([])
    with_augmentation = make_datasets(augmented, 64, seed=3)
    without = make_datasets(plain, 64, seed=3)
    for split in ("validation", "test"):
        for (x_a, y_a), (x_b, y_b) in zip(with_augmentation[split], without[split], strict=True):
            np.testing.assert_array_equal(x_a.numpy(), x_b.numpy())
            np.testing.assert_array_equal(y_a.numpy(), y_b.numpy())
    (x_a, y_a), (x_b, y_b) = next(iter(with_augmentation["train"])), next(iter(without["train"]))
    np.testing.assert_array_equal(y_a.numpy(), y_b.numpy())  # same seeded order
    assert np.abs(x_a.numpy() - x_b.numpy()).mean() > 0.01  # different pixels


def test_bad_augmentation_is_refused_before_training():
    with pytest.raises(data.DataError, match="must be {'name': ...}"):
        digits_with([{"name": "random_spin"}])
    with pytest.raises(data.DataError, match="random_zoom"):
        digits_with([{"name": "random_zoom", "zoom": 0.1}])
    resolved = resolve(digits_cnn)
    resolved.data.preprocessing = [{"name": "rescale", "scale": 1 / 16}]
    resolved.data.augmentation = ["random_flip"]
    with pytest.raises(data.DataError, match="works on images"):
        prepare_data(resolved)
