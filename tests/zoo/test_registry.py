"""Every registered model builds, trains a step, saves, reloads and round-trips its config."""

import keras
import numpy as np
import pytest

import zoo


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_model_builds_trains_saves_and_reloads(name, tmp_path):
    info = zoo.model_info(name)
    shape = info["example_input_shape"]
    model = zoo.create(name, input_shape=shape, num_classes=3)
    assert model.get_layer("backbone") is not None and model.get_layer("head") is not None
    features = np.random.default_rng(0).uniform(size=(4, *shape)).astype("float32")
    if info["kind"] == "autoencoder":
        targets, loss, expected = features, "mse", (4, *shape)
    elif info["kind"] == "contrastive":  # both views' projections, contrasted with no targets
        targets, loss, expected = features, zoo.contrastive.NTXent(), (4, 2, model.get_layer("head").units)
    else:
        targets, loss, expected = np.arange(4) % 3, "sparse_categorical_crossentropy", (4, 3)
        assert model.get_layer("head").units == 3
    # One eager step: tracing the training graph took most of this test's time for the largest
    # applications (24 s of 30 for efficientnet_b0); catalog recipes train the graph path.
    model.compile(optimizer="adam", loss=loss, run_eagerly=True)
    before = [weight.copy() for weight in model.get_weights()]
    model.train_on_batch(features, targets)
    assert any(not np.array_equal(old, new) for old, new in zip(before, model.get_weights(), strict=True))
    outputs = np.asarray(model(features, training=False))
    assert outputs.shape == expected
    if info["kind"] == "classifier":
        np.testing.assert_allclose(outputs.sum(axis=1), 1.0, rtol=1e-5)

    path = tmp_path / f"{name}.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(np.asarray(reloaded(features, training=False)), outputs, rtol=1e-5, atol=1e-5)

    clone = keras.Model.from_config(model.get_config())
    assert clone.get_config() == model.get_config()


def test_list_models_takes_wildcards():
    assert zoo.list_models("*cnn*") == ["small_cnn"]
    assert {"mlp", "small_resnet", "conv1d", "gru", "lstm", "dense_autoencoder", "conv_autoencoder",
            "mobilenet_v2", "resnet50", "efficientnet_b0"} <= set(zoo.list_models())


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: zoo.create("mpl", input_shape=(4,), num_classes=2), "Did you mean 'mlp'"),
        (lambda: zoo.create("mlp", input_shape=(4,), num_classes=2, widht=8), "Did you mean 'width'"),
        (lambda: zoo.create("mlp", input_shape=(4,), num_classes=2, dropout=1.5), "fraction in [0, 1)"),
        (lambda: zoo.create("mlp", input_shape=(4,), num_classes=2, activation="relux"), "`activation`"),
        (lambda: zoo.create("small_cnn", input_shape=(64,), num_classes=2), "Add a reshape step"),
        (lambda: zoo.create("small_cnn", input_shape=(4, 4, 1), num_classes=2, blocks=3), "at least 8 pixels"),
        (lambda: zoo.create("gru", input_shape=(8, 8, 1), num_classes=2), "sequences shaped (steps, features)"),
        (lambda: zoo.create("resnet50", input_shape=(16, 16, 3), num_classes=2), "at least 32x32"),
        (lambda: zoo.create("conv_autoencoder", input_shape=(6, 6, 1)), "divisible by 4"),
    ],
)
def test_bad_model_arguments_name_what_is_allowed(call, message):
    with pytest.raises(zoo.ZooError) as caught:
        call()
    assert message in str(caught.value)
