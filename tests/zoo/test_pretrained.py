"""Shipped pretrained models: verified, reproducing their cards, and ready to fine-tune."""

from __future__ import annotations

import shutil

import keras
import numpy as np
import pytest

import data
import zoo
from engine.recipe.loading import saved_recipe
from engine.report.evaluation import predict
from engine.report.representation import cluster_scores, linear_probe
from engine.run.building import prepare_data
from tests.conftest import only_run_folder, run_cli
from zoo.pretrained import MAX_BYTES, STORE


def test_the_pretrained_listing_filters_by_pattern_and_holds_the_shipped_entries():
    shipped = set(zoo.list_pretrained())
    assert {"digits_cnn", "digits04_cnn"} <= shipped
    everything = zoo.list_models(pretrained=True)
    assert shipped <= set(everything) and "resnet50" in everything  # Keras Applications' weights too
    matching = zoo.list_models("*cnn*", pretrained=True)
    assert matching == sorted(matching) and set(matching) == {name for name in everything if "cnn" in name}


@pytest.mark.figures
@pytest.mark.parametrize("name", zoo.list_pretrained())
def test_each_shipped_model_reproduces_its_cards_test_metric(name):
    """On any CPU, within the tolerance zoo.CARD_TOLERANCE states; on one machine, exactly the same figures
    from the same file twice (the model loaded afresh)."""
    card = zoo.read_card(name)
    path = STORE / name / "model.keras"
    assert path.stat().st_size < MAX_BYTES and zoo.sha256_of(path) == card["sha256"]
    assert (STORE / name / "README.md").is_file()
    for field in ("architecture", "recipe", "dataset", "metrics", "parameters", "versions", "date"):
        assert field in card, field
    model = zoo.load(name, pretrained=True)
    assert model.count_params() == card["parameters"]
    reproduced = reproduced_test_metrics(card, model)
    for metric, value in reproduced.items():
        tolerance = zoo.card_tolerance(metric)
        assert abs(value - card["metrics"]["test"][metric]) <= tolerance, (metric, value, tolerance)
    assert reproduced_test_metrics(card, zoo.load(name, pretrained=True)) == reproduced


def reproduced_test_metrics(card: dict, model: keras.Model) -> dict[str, float]:
    """The card's headline test figures, measured again: a classifier's accuracy, or, for a model trained
    without labels, the linear probe and k-means scores of its encoder's codes (as the run assessed them)."""
    if card["recipe"].get("kind") == "reinforcement":  # an agent: its greedy return on the recipe's test seeds
        from engine.learning.reinforcement.policy import evaluate

        return {"mean_return": evaluate(card["name"], card["metrics"]["test"]["episodes"])["greedy"]["mean_return"]}
    prepared = prepare_data(saved_recipe(card["recipe"]))
    features, labels = prepared.splits["test"]
    if card["recipe"].get("kind", "supervised") == "supervised":
        return {"accuracy": float(np.mean(np.asarray(model(features, training=False)).argmax(axis=1) == labels))}
    encoder, seed = model.get_layer("backbone"), card["recipe"]["seed"]
    train_x, train_y = prepared.splits["train"]
    train_codes, test_codes = predict(encoder, train_x), predict(encoder, features)
    clusters = cluster_scores(train_codes, test_codes, labels, prepared.num_classes, seed)
    return {"linear_probe_accuracy": linear_probe(train_codes, train_y, test_codes, labels, seed),
            "nmi": clusters["nmi"]}


def test_an_agents_card_says_its_test_figures_are_greedy_episodes_on_the_test_seeds():
    from engine.run.publish import model_card

    text = model_card(zoo.read_card("cartpole_ppo"))
    assert text == (STORE / "cartpole_ppo" / "README.md").read_text()  # the shipped README is the card's
    assert "- Test metrics (100 greedy episodes, one from each of the recipe's test seeds, " in text
    assert "held-out split" not in text and "episodes 100.0000" not in text


def test_a_tampered_weights_file_is_refused(tmp_path):
    store = tmp_path / "store"
    shutil.copytree(STORE / "digits_cnn", store / "digits_cnn")
    weights = store / "digits_cnn" / "model.keras"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(zoo.ZooError, match="Refusing to load .* its sha256 is"):
        zoo.load("digits_cnn", pretrained=True, store=store)


def test_a_new_head_keeps_the_backbone_and_a_frozen_backbone_does_not_move():
    original = zoo.load("digits_cnn", pretrained=True)
    model = zoo.load("digits_cnn", pretrained=True, num_classes=5, freeze_backbone=True)
    assert model.get_layer("head").units == 5
    for old, new in zip(original.get_layer("backbone").get_weights(), model.get_layer("backbone").get_weights(),
                        strict=True):
        np.testing.assert_array_equal(old, new)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    features = np.random.default_rng(0).uniform(size=(16, 8, 8, 1)).astype("float32")
    backbone_before = [weight.copy() for weight in model.get_layer("backbone").get_weights()]
    head_before = [weight.copy() for weight in model.get_layer("head").get_weights()]
    model.train_on_batch(features, np.arange(16) % 5)
    for old, new in zip(backbone_before, model.get_layer("backbone").get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert any(not np.array_equal(old, new) for old, new in zip(head_before, model.get_layer("head").get_weights(),
                                                                strict=True))


def test_other_classes_of_the_same_count_get_a_fresh_head_and_the_same_classes_keep_it():
    """digits 5-9 after digits 0-4: five classes again, but not the card's, so the old head must not be kept."""
    original = zoo.load("mnist1d04_cnn", pretrained=True)
    same = zoo.load("mnist1d04_cnn", pretrained=True, num_classes=5, class_names=["0", "1", "2", "3", "4"])
    other = zoo.load("mnist1d04_cnn", pretrained=True, num_classes=5, class_names=["5", "6", "7", "8", "9"])
    np.testing.assert_array_equal(same.get_layer("head").get_weights()[0], original.get_layer("head").get_weights()[0])
    assert other.get_layer("head").units == 5
    assert not np.array_equal(other.get_layer("head").get_weights()[0], original.get_layer("head").get_weights()[0])
    for old, new in zip(original.get_layer("backbone").get_weights(), other.get_layer("backbone").get_weights(),
                        strict=True):
        np.testing.assert_array_equal(old, new)


@pytest.mark.parametrize("name", ["mnist1d04_cnn", "mnist1d_selfsupervised"])
def test_the_mnist1d_source_models_never_saw_a_signal_of_the_standard_test_split(name):
    card = zoo.read_card(name)
    assert card["recipe"]["data"]["args"]["seed"] != 42
    source = prepare_data(saved_recipe(card["recipe"]))
    seen = np.concatenate([source.splits[name][0] for name in ("train", "validation", "test")])
    standard_test = data.load("mnist1d").test[0]
    seen_rows = {row.tobytes() for row in seen.reshape(len(seen), -1)}
    assert not any(row.tobytes() in seen_rows for row in standard_test.reshape(len(standard_test), -1))
    # Nor a near copy: every standard test signal is far from its nearest pretraining signal.
    test_rows, seen = standard_test.reshape(len(standard_test), -1), seen.reshape(len(seen), -1)
    squared = (test_rows**2).sum(1)[:, None] + (seen**2).sum(1)[None, :] - 2 * test_rows @ seen.T
    assert squared.min() > 1e-3


def test_frozen_batch_norm_keeps_its_statistics_and_unfreezing_leaves_it_frozen():
    model = zoo.create("small_resnet", input_shape=(16, 16, 3), num_classes=4)
    zoo.set_backbone_frozen(model, True)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    features = np.random.default_rng(1).normal(3.0, 2.0, size=(8, 16, 16, 3)).astype("float32")
    norms = [layer for layer in model.get_layer("backbone").layers
             if isinstance(layer, keras.layers.BatchNormalization)]
    before = [np.array(layer.moving_mean) for layer in norms]
    model.train_on_batch(features, np.arange(8) % 4)
    for layer, old in zip(norms, before, strict=True):
        np.testing.assert_array_equal(np.array(layer.moving_mean), old)
    zoo.set_backbone_frozen(model, False)
    assert model.get_layer("backbone").trainable and not any(layer.trainable for layer in norms)


def test_pretrained_false_rebuilds_the_architecture_with_fresh_weights():
    trained, fresh = zoo.load("digits_cnn", pretrained=True), zoo.load("digits_cnn", pretrained=False)
    assert fresh.count_params() == trained.count_params()
    assert not np.array_equal(fresh.get_weights()[0], trained.get_weights()[0])


def test_offline_imagenet_weights_fail_fast_saying_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(zoo.ZooError) as caught:
        zoo.load("efficientnet_b0", pretrained=True, num_classes=3, input_shape=(32, 32, 3))
    message = str(caught.value)
    assert "efficientnetb0_notop.h5" in message and "md5 50bc09e76180e00e4465e1a485ddc09d" in message
    assert f"place it at {tmp_path / 'keras' / 'models' / 'efficientnetb0_notop.h5'}" in message
    model = zoo.load("efficientnet_b0", pretrained=False, num_classes=3, input_shape=(32, 32, 3))
    assert model.get_layer("head").units == 3


def test_models_without_weights_and_unknown_names_are_refused():
    with pytest.raises(zoo.ZooError, match="has no pretrained weights"):
        zoo.load("mlp", pretrained=True, input_shape=(4,), num_classes=2)
    with pytest.raises(zoo.ZooError, match="No zoo model named 'digits_cnm'"):
        zoo.load("digits_cnm")
    with pytest.raises(zoo.ZooError, match="its head needs `num_classes`"):
        zoo.load("mlp", pretrained=False, input_shape=(4,))


def test_publish_turns_a_finished_run_into_a_verified_entry(tmp_path):
    from engine.errors import RecipeError
    from engine.run.publish import publish

    runs_dir = tmp_path / "runs"
    assert run_cli("recipe", "iris_mlp", "epochs=2", runs_dir=runs_dir).returncode == 0
    run = only_run_folder(runs_dir, "iris_mlp")
    store = tmp_path / "store"
    target = publish(run, store=store)
    card = zoo.read_card("iris_mlp", store)
    assert card["sha256"] == zoo.sha256_of(target / "model.keras")
    assert card["architecture"]["name"] == "mlp" and card["num_classes"] == 3
    model = zoo.load("iris_mlp", pretrained=True, store=store)
    features, labels = prepare_data(saved_recipe(card["recipe"])).splits["test"]
    accuracy = float(np.mean(np.asarray(model(features, training=False)).argmax(axis=1) == labels.argmax(axis=1)))
    assert accuracy == pytest.approx(card["metrics"]["test"]["accuracy"], abs=1e-6)
    with pytest.raises(RecipeError, match="already has 'iris_mlp'"):
        publish(run, store=store)
    assert publish(run, store=store, overwrite=True) == target


@pytest.mark.parametrize("name", zoo.list_pretrained())
def test_each_shipped_model_reloads_in_a_fresh_interpreter_with_keras_alone(name, tmp_path):
    """`import data, zoo` and `keras.saving.load_model(path)` in a fresh interpreter predict what `zoo.load` does."""
    from tests.conftest import reload_in_a_fresh_interpreter

    card, model = zoo.read_card(name), zoo.load(name, pretrained=True)
    if card["recipe"].get("kind") == "reinforcement":
        inputs = np.random.default_rng(0).normal(size=(16, *model.inputs[0].shape[1:])).astype("float32")
    else:
        inputs = prepare_data(saved_recipe(card["recipe"])).splits["test"][0][:64]
    reloaded = reload_in_a_fresh_interpreter(STORE / name / "model.keras", inputs, tmp_path)
    np.testing.assert_allclose(reloaded, np.asarray(model(inputs, training=False)), rtol=1e-5, atol=1e-6)
