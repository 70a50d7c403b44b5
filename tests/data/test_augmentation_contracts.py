"""The contract every augmentation layer keeps, checked for each name in `data.augmentation.LAYERS`.

Built through `data.build_augmentation` with the smallest valid arguments (MINIMAL_ARGUMENTS:
a new layer fails here until it has an entry), a layer must change training batches, leave
inference batches exactly as they are, and keep the batch's shape, since the model is built
for the shape of the validation and test samples, which are never augmented.
"""

from __future__ import annotations

import numpy as np
import pytest

import data
from data.augmentation import LAYERS

INPUT_SHAPE = (16, 16, 3)
SEEDS = (0, 1, 2, 3, 4)

# layer name -> the fewest arguments it needs to build and to have a visible effect.
MINIMAL_ARGUMENTS: dict[str, dict] = {
    "random_flip": {},
    "random_rotation": {"factor": 0.2},
    "random_translation": {"height_factor": 0.2, "width_factor": 0.2},
    "random_zoom": {"height_factor": 0.3},
    "random_contrast": {"factor": 0.5},
    "random_brightness": {"factor": 0.3},
    "random_crop": {"height": 12, "width": 12},
}


def images() -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 255, (4, *INPUT_SHAPE)).astype("float32")


def augmentation(name: str, seed: int):
    if name not in MINIMAL_ARGUMENTS:
        pytest.fail(f"The augmentation layer {name!r} has no entry in MINIMAL_ARGUMENTS in {__file__}: add the "
                    "fewest arguments it needs.")
    model = data.build_augmentation([{"name": name, **MINIMAL_ARGUMENTS[name]}], seed, INPUT_SHAPE)
    assert model is not None
    return model


@pytest.mark.parametrize("name", list(LAYERS))
def test_a_layer_changes_training_batches_and_keeps_their_shape(name):
    batch = images()
    changed = False
    for seed in SEEDS:
        augmented = np.asarray(augmentation(name, seed)(batch, training=True))
        assert augmented.shape == batch.shape, (
            f"{name} turns training batches shaped {batch.shape} into {augmented.shape}; the model, built for the "
            "unaugmented samples, would get another shape in training than in evaluation")
        changed = changed or not np.allclose(augmented, batch)
    assert changed, f"{name} left every training batch unchanged with seeds {SEEDS}"


@pytest.mark.parametrize("name", list(LAYERS))
def test_a_layer_leaves_inference_batches_unchanged(name):
    batch = images()
    for seed in SEEDS[:2]:
        np.testing.assert_array_equal(np.asarray(augmentation(name, seed)(batch, training=False)), batch)


def test_every_minimal_argument_set_belongs_to_a_layer():
    assert set(MINIMAL_ARGUMENTS) <= set(LAYERS)
