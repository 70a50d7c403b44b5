"""tf.data input pipelines: cache, seeded shuffle, batch, prefetch."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def make_dataset(
    features: np.ndarray,
    targets: np.ndarray,
    batch_size: int,
    shuffle: bool,
    seed: int,
) -> tf.data.Dataset:
    """Batches of (features, targets); shuffled afresh each epoch, in a seeded order, when training.

    `batch_size` is the global batch: under a distribution strategy Keras splits each batch
    across the replicas.
    """
    dataset = tf.data.Dataset.from_tensor_slices((features, targets)).cache()
    if shuffle:
        dataset = dataset.shuffle(len(features), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
