"""`data.label_noise`: symmetric noise, seeded, on the training split only."""

import numpy as np
import pytest

import data
from data.noise import symmetric_label_noise


def prepared(noise: float, seed: int = 5):
    return data.prepare("digits", validation_split=0.2, test_split=0.2, seed=seed, label_noise=noise)


def test_label_noise_touches_only_the_training_split():
    clean, noisy = prepared(0.0), prepared(0.4)
    for split in ("validation", "test"):
        assert np.array_equal(clean.splits[split][0], noisy.splits[split][0])
        assert np.array_equal(clean.splits[split][1], noisy.splits[split][1])
    assert np.array_equal(clean.splits["train"][0], noisy.splits["train"][0])
    changed = clean.splits["train"][1] != noisy.splits["train"][1]
    # Exactly the fraction asked for, each to another class, and the mask says which.
    assert changed.sum() == round(0.4 * len(changed)) and np.array_equal(changed, noisy.noisy)
    assert clean.noisy is None


def test_label_noise_is_seeded_and_spreads_over_the_other_classes():
    targets = np.repeat(np.arange(10), 500)
    first, mask = symmetric_label_noise(targets, 0.4, 10, seed=1)
    again, _ = symmetric_label_noise(targets, 0.4, 10, seed=1)
    other, _ = symmetric_label_noise(targets, 0.4, 10, seed=2)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    moves = (first[mask] - targets[mask]) % 10
    assert moves.min() >= 1 and np.bincount(moves, minlength=10)[1:].min() > 0.8 * mask.sum() / 9


@pytest.mark.parametrize("fraction", [1.0, -0.1, True])
def test_a_label_noise_outside_zero_to_one_is_refused(fraction):
    with pytest.raises(data.DataError, match="`data.label_noise` must be a fraction in"):
        symmetric_label_noise(np.arange(10) % 2, fraction, 2, seed=0)
