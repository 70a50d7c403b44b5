"""The contract every augmentation layer keeps, checked for each name in `data.augmentation.LAYERS` (images)
and `SEQUENCE_LAYERS` (sequences shaped (steps, channels)).

Built through `data.build_augmentation` with the smallest valid arguments (MINIMAL_ARGUMENTS:
a new layer fails here until it has an entry), a layer must change training batches, leave
inference batches exactly as they are, and keep the batch's shape, since the model is built
for the shape of the validation and test samples, which are never augmented.
"""

from __future__ import annotations

import numpy as np
import pytest

import data
from data.augmentation import LAYERS, SEQUENCE_LAYERS

INPUT_SHAPE = (16, 16, 3)
SEQUENCE_SHAPE = (40, 2)
EVERY_LAYER = {**LAYERS, **SEQUENCE_LAYERS}
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
    "random_shift": {"max_shift": 3},
}


def shape_for(name: str) -> tuple[int, ...]:
    return SEQUENCE_SHAPE if name in SEQUENCE_LAYERS else INPUT_SHAPE


def images(shape: tuple[int, ...] = INPUT_SHAPE) -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 255, (4, *shape)).astype("float32")


def augmentation(name: str, seed: int):
    if name not in MINIMAL_ARGUMENTS:
        pytest.fail(f"The augmentation layer {name!r} has no entry in MINIMAL_ARGUMENTS in {__file__}: add the "
                    "fewest arguments it needs.")
    model = data.build_augmentation([{"name": name, **MINIMAL_ARGUMENTS[name]}], seed, shape_for(name))
    assert model is not None
    return model


@pytest.mark.parametrize("name", list(EVERY_LAYER))
def test_a_layer_changes_training_batches_and_keeps_their_shape(name):
    batch = images(shape_for(name))
    changed = False
    for seed in SEEDS:
        augmented = np.asarray(augmentation(name, seed)(batch, training=True))
        assert augmented.shape == batch.shape, (
            f"{name} turns training batches shaped {batch.shape} into {augmented.shape}; the model, built for the "
            "unaugmented samples, would get another shape in training than in evaluation")
        changed = changed or not np.allclose(augmented, batch)
    assert changed, f"{name} left every training batch unchanged with seeds {SEEDS}"


@pytest.mark.parametrize("name", list(EVERY_LAYER))
def test_a_layer_leaves_inference_batches_unchanged(name):
    batch = images(shape_for(name))
    for seed in SEEDS[:2]:
        np.testing.assert_array_equal(np.asarray(augmentation(name, seed)(batch, training=False)), batch)


def test_every_minimal_argument_set_belongs_to_a_layer():
    assert set(MINIMAL_ARGUMENTS) <= set(EVERY_LAYER)
