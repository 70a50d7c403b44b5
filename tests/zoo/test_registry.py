"""Every registered model builds, trains a step, saves, reloads and round-trips its config."""

import keras
import numpy as np
import pytest

import zoo

# Inputs each family needs; a new family adds one line here, a new model in a family nothing.
INPUT_SHAPES = {"mlp": (6,), "small_cnn": (8, 8, 1)}


def input_shape_for(name: str) -> tuple[int, ...]:
    return next(shape for family, shape in INPUT_SHAPES.items() if name.startswith(family))


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_model_builds_trains_saves_and_reloads(name, tmp_path):
    shape = input_shape_for(name)
    model = zoo.create(name, input_shape=shape, num_classes=3)
    assert model.get_layer("backbone") is not None
    assert model.get_layer("head").units == 3
    features = np.random.default_rng(0).normal(size=(8, *shape)).astype("float32")
    labels = np.arange(8) % 3
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [weight.copy() for weight in model.get_weights()]
    model.train_on_batch(features, labels)
    assert any(not np.array_equal(old, new) for old, new in zip(before, model.get_weights(), strict=True))
    outputs = model.predict(features, verbose=0)
    assert outputs.shape == (8, 3)
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0, rtol=1e-5)

    path = tmp_path / f"{name}.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(reloaded.predict(features, verbose=0), outputs, rtol=1e-5, atol=1e-6)

    clone = keras.Model.from_config(model.get_config())
    assert clone.get_config() == model.get_config()


def test_list_models_takes_wildcards():
    assert zoo.list_models("*cnn*") == ["small_cnn"]
    assert "mlp" in zoo.list_models()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: zoo.create("mpl", input_shape=(4,), num_classes=2), "Did you mean 'mlp'"),
        (lambda: zoo.create("mlp", input_shape=(4,), num_classes=2, widht=8), "Did you mean 'width'"),
        (lambda: zoo.create("mlp", input_shape=(4,), num_classes=2, dropout=1.5), "fraction in [0, 1)"),
        (lambda: zoo.create("mlp", input_shape=(4,), num_classes=2, activation="relux"), "`activation`"),
        (lambda: zoo.create("small_cnn", input_shape=(64,), num_classes=2), "Add a reshape step"),
        (lambda: zoo.create("small_cnn", input_shape=(4, 4, 1), num_classes=2, blocks=3), "at least 8 pixels"),
    ],
)
def test_bad_model_arguments_name_what_is_allowed(call, message):
    with pytest.raises(zoo.ZooError) as caught:
        call()
    assert message in str(caught.value)
