"""MNIST-1D (Greydanus 2020) as a source, generated offline, and the 1-D random shift that augments it."""

from __future__ import annotations

import random

import numpy as np
import pytest

import data


@pytest.fixture(scope="module")
def standard() -> data.Dataset:
    return data.load("mnist1d")


def test_the_standard_set_has_the_papers_split_sizes_and_shapes(standard):
    assert standard.task == data.CLASSIFICATION
    assert standard.features.shape == (4000, 40, 1) and standard.features.dtype == np.float32
    test_features, test_targets = standard.test
    assert test_features.shape == (1000, 40, 1) and test_features.dtype == np.float32
    assert standard.targets.shape == (4000,) and test_targets.shape == (1000,)
    assert standard.targets.dtype.kind == "i" and test_targets.dtype.kind == "i"
    assert standard.class_names == [str(digit) for digit in range(10)]
    # 500 signals of each digit, shuffled before the split.
    counts = np.bincount(standard.targets, minlength=10) + np.bincount(test_targets, minlength=10)
    assert counts.tolist() == [500] * 10
    assert "Greydanus 2020" in standard.description


def test_the_source_is_deterministic_and_leaves_the_global_generators_alone(standard, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty cache: the generator runs again
    np.random.seed(123)
    random.seed(123)
    python_state = random.getstate()
    again = data.load("mnist1d")
    # The generator seeds NumPy's and Python's global generators; the source puts their states back.
    assert np.random.rand() == np.random.RandomState(123).rand()
    assert random.getstate() == python_state
    np.testing.assert_array_equal(again.features, standard.features)
    np.testing.assert_array_equal(again.targets, standard.targets)
    np.testing.assert_array_equal(again.test[0], standard.test[0])
    np.testing.assert_array_equal(again.test[1], standard.test[1])


def test_a_generated_set_is_kept_and_read_back_the_same_and_a_damaged_copy_is_made_again(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    made = data.load("mnist1d", num_samples=200, seed=3)
    kept = list((tmp_path / "datasets" / "mnist1d").glob("*.npz"))
    assert len(kept) == 1 and not list(kept[0].parent.glob("*.partial"))
    kept[0].write_bytes(b"not an npz file")
    again = data.load("mnist1d", num_samples=200, seed=3)
    read_back = data.load("mnist1d", num_samples=200, seed=3)
    for other in (again, read_back):
        np.testing.assert_array_equal(other.features, made.features)
        np.testing.assert_array_equal(other.test[0], made.test[0])
        np.testing.assert_array_equal(other.test[1], made.test[1])
    assert np.load(kept[0])["x"].shape == (160, 40)  # the damaged file was replaced by a whole one
    other_seed = data.load("mnist1d", num_samples=200, seed=4)
    assert len(list(kept[0].parent.glob("*.npz"))) == 2 and not np.array_equal(other_seed.features, made.features)


def test_another_seed_and_size_make_another_set():
    other = data.load("mnist1d", num_samples=200, train_split=0.75, seed=1)
    assert other.features.shape == (150, 40, 1) and other.test[0].shape == (50, 40, 1)
    same_size = data.load("mnist1d", num_samples=200, train_split=0.75, seed=2)
    assert not np.array_equal(other.features, same_size.features)


def test_digits_keeps_only_those_samples_and_relabels_them_from_zero(standard):
    upper = data.load("mnist1d", digits=[5, 6, 7, 8, 9])
    assert upper.class_names == ["5", "6", "7", "8", "9"]
    for (features, targets), (all_features, all_targets) in (
            ((upper.features, upper.targets), (standard.features, standard.targets)), (upper.test, standard.test)):
        kept = all_targets >= 5
        np.testing.assert_array_equal(features, all_features[kept])
        np.testing.assert_array_equal(targets, all_targets[kept] - 5)
        assert sorted(np.unique(targets).tolist()) == [0, 1, 2, 3, 4]
    reordered = data.load("mnist1d", digits=[3, 0])
    assert reordered.class_names == ["3", "0"]
    np.testing.assert_array_equal(reordered.targets, np.where(standard.targets[np.isin(standard.targets, [0, 3])]
                                                              == 3, 0, 1))


@pytest.mark.parametrize(("arguments", "message"), [
    ({"num_samples": 5}, "`num_samples` must be a whole number >= 20"),
    ({"num_samples": 1005}, "multiple of 10"),
    ({"num_samples": 100.0}, "`num_samples` must be a whole number"),
    ({"train_split": 1.0}, "`train_split` must be a number > 0.0 and < 1.0"),
    ({"train_split": 0}, "`train_split`"),
    ({"seed": -1}, "`seed` must be a whole number >= 0"),
    ({"seed": 2**32}, "below 2\\*\\*32"),
    ({"max_translation": 0}, "`max_translation`"),
    ({"iid_noise_scale": -0.1}, "`iid_noise_scale` must be a number >= 0"),
    ({"corr_noise_scale": "a lot"}, "`corr_noise_scale`"),
    ({"shuffle_seq": "yes"}, "`shuffle_seq` must be True or False"),
    ({"digits": [4]}, "two or more distinct digits"),
    ({"digits": [1, 1]}, "two or more distinct digits"),
    ({"digits": [0, 10]}, "two or more distinct digits"),
    ({"digits": "01234"}, "two or more distinct digits"),
    ({"num_samples": 20, "train_split": 0.05, "digits": [0, 1]}, "no training signals"),
    ({"shift": 3}, "does not take"),
])
def test_bad_arguments_are_refused_with_what_to_change(arguments, message):
    with pytest.raises(data.DataError, match=message):
        data.load("mnist1d", **arguments)


# ---- the 1-D random shift -----------------------------------------------------------------------------


def sequences() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(8, 40, 2)).astype("float32")


@pytest.mark.parametrize("fill_mode", ["wrap", "constant"])
def test_random_shift_moves_training_sequences_in_time_and_leaves_inference_alone(fill_mode):
    batch = sequences()
    augmentation = data.build_augmentation([{"name": "random_shift", "max_shift": 4, "fill_mode": fill_mode}],
                                           seed=0, input_shape=(40, 2))
    shifted = np.asarray(augmentation(batch, training=True))
    assert shifted.shape == batch.shape and not np.allclose(shifted, batch)
    for original, moved in zip(batch, shifted, strict=True):
        matches = [shift for shift in range(-4, 5) if np.array_equal(np.roll(original, shift, axis=0)[4:-4],
                                                                        moved[4:-4])]
        assert matches, "each sequence is its own copy moved by at most max_shift steps"
        shift = matches[0]
        expected = np.roll(original, shift, axis=0)
        if fill_mode == "constant":  # the steps a shift leaves empty hold the fill value, 0
            expected[:max(shift, 0)] = 0
            expected[len(expected) + min(shift, 0):] = 0
        np.testing.assert_array_equal(moved, expected)
    np.testing.assert_array_equal(np.asarray(augmentation(batch, training=False)), batch)


def test_random_shift_refuses_images_and_bad_arguments_and_image_layers_refuse_sequences():
    with pytest.raises(data.DataError, match="works on sequences"):
        data.build_augmentation([{"name": "random_shift", "max_shift": 2}], 0, (8, 8, 1))
    with pytest.raises(data.DataError, match="works on images"):
        data.build_augmentation(["random_flip"], 0, (40, 1))
    with pytest.raises(data.DataError, match="max_shift"):
        data.build_augmentation([{"name": "random_shift", "max_shift": 0}], 0, (40, 1))
    with pytest.raises(data.DataError, match="fill_mode"):
        data.build_augmentation([{"name": "random_shift", "max_shift": 2, "fill_mode": "mirror"}], 0, (40, 1))
