"""A kind of learning of one's own, in one file outside engine/: supervised learning, but every epoch trains on a
random half of the training split (another half each epoch, chosen by the recipe's seed and the epoch).

A recipe names it by reference, `kind="path/to/half_data.py:HalfData"`; recipe.json keeps the reference, so a
resumed run and every trial of a search find it again. Nothing else in the project changes for it.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from engine.errors import RecipeError
from engine.kinds import Recorded
from engine.learning.supervised import Supervised


class HalfData(Supervised):
    """Supervised learning on a different random half of the training split each epoch."""

    name = "half_data"

    def check(self, recipe) -> None:
        if recipe.fine_tune:
            raise RecipeError("`fine_tune` has no place in a half_data recipe: it trains one phase. Remove it.")

    def training_data(self, plan, datasets, epoch: int):
        """The batches from `epoch` on: each epoch a random half of the training split (seeded by the epoch)."""
        features, targets = plan.prepared.splits["train"]
        half, batch = _half(plan), plan.global_batch
        rows = np.stack([np.random.default_rng([plan.recipe.seed, later]).permutation(len(targets))[:half]
                         for later in range(epoch, plan.recipe.epochs)])
        inputs, labels = tf.constant(features), tf.constant(targets)
        dataset = tf.data.Dataset.from_tensor_slices(rows).flat_map(
            lambda row: tf.data.Dataset.from_tensor_slices(row).batch(batch))
        return dataset.map(lambda index: (tf.gather(inputs, index), tf.gather(labels, index))), math.ceil(half / batch)

    def recorded(self, plan, trained) -> Recorded:
        half = _half(plan)
        return Recorded({"half_data": {"samples_per_epoch": half}},
                        ["## Half data", "", f"Each epoch trained on {half} random samples of the training split.", ""],
                        [f"Half data: {half} samples an epoch."])


def _half(plan) -> int:
    return max(1, len(plan.prepared.splits["train"][1]) // 2)
