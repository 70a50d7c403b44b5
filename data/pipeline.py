"""tf.data input pipelines: seeded shuffle, batch, training-only augmentation, prefetch.

Large arrays (GATHER_FROM_BYTES and up) are held in memory once: the pipeline shares their memory (no
copy into TensorFlow when an array is aligned as `aligned_rows` makes it), shuffles sample numbers rather
than samples, and gathers each batch from the whole split; smaller ones go through a cached pipeline of
slices, faster per epoch. Pixels held as uint8 (an image folder read into memory,
`data.preprocessing.Pixels`) become float32 batch by batch, as a model's first layers would make
them, so a split costs a quarter of its float32 size. Features streamed from files (a
`data.streaming.Stream`) are read and decoded in parallel as the pipeline runs, their keys
shuffled before decoding and their decoded samples cached as the source's `cache` argument
says. Under a multi-worker strategy each worker keeps every batch's share that belongs to it
(sharding by data, set explicitly rather than left to TensorFlow's guess about files).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from data.preprocessing import Pixels
from data.streaming import Stream

# TensorFlow shares an array's memory only when its data starts on this boundary (Eigen's alignment).
ALIGNMENT = 64


def aligned_empty(shape: tuple, dtype) -> np.ndarray:
    """An uninitialized C-ordered array whose data starts on an ALIGNMENT boundary."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape, dtype="int64")) * dtype.itemsize
    raw = np.empty(size + ALIGNMENT, dtype="uint8")
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start:start + size].view(dtype).reshape(shape)


def aligned_rows(array: np.ndarray, index: np.ndarray) -> np.ndarray:
    """`array[index]` (rows), in an aligned array that a pipeline can share without copying it."""
    rows = aligned_empty((len(index), *array.shape[1:]), array.dtype)
    np.take(array, np.asarray(index, dtype="int64"), axis=0, out=rows)
    return rows


def as_tensor(array: np.ndarray) -> tf.Tensor:
    """The array as a tensor sharing its memory where TensorFlow can (C-ordered, aligned, writable numbers),
    else a copy. A tensor made by tf.convert_to_tensor briefly takes two copies of a large array."""
    shareable = (array.dtype.kind in "iuf" and array.flags.c_contiguous and array.flags.writeable
                 and array.ctypes.data % ALIGNMENT == 0 and array.size > 0)
    if shareable:
        return tf.experimental.dlpack.from_dlpack(array.__dlpack__())
    return tf.convert_to_tensor(array)


def _gatherer(values):
    """A function from a batch of sample numbers to those samples, as the model takes them (pixels as float32)."""
    if isinstance(values, Pixels):
        pixels, scale, offset = as_tensor(values.pixels), np.float32(values.scale), np.float32(values.offset)
        return lambda index: tf.cast(tf.gather(pixels, index), "float32") * scale + offset
    values = np.asarray(values)
    tensor = as_tensor(values)
    return lambda index: tf.gather(tensor, index)


def _float_pixels(features):
    return tf.cast(features, "float32") if features.dtype == tf.uint8 else features


# Arrays from this size on are gathered batch by batch from the one copy in memory; smaller ones are sliced
# into a cached, shuffled tf.data pipeline, which holds copies of them but iterates an epoch about twice as
# fast (2-10 ms less an epoch for 400-4,000 samples on a 2-core machine), what tiny epochs need.
GATHER_FROM_BYTES = 64 * 2**20


def gathered(features) -> bool:
    """Whether an in-memory split is gathered batch by batch (uint8 pixels, or a large array)."""
    return isinstance(features, Pixels) or getattr(features, "nbytes", 0) >= GATHER_FROM_BYTES


def make_dataset(
    features: np.ndarray | Stream,
    targets: np.ndarray,
    batch_size: int,
    shuffle: bool,
    seed: int,
    augment: keras.Model | None = None,
) -> tf.data.Dataset:
    """Batches of (features, targets); shuffled afresh each epoch, in a seeded order, when training.

    `batch_size` is the global batch (per-replica batch x replicas): under a distribution
    strategy Keras splits each batch across the replicas. `augment` (training pipelines only)
    maps each batch through random layers in training mode, in parallel.

    Arrays batched without augmentation leave tf.data's autotuning model nothing to tune (prefetch
    sizes its buffer without it), and that model costs time at each iterator, so at each epoch; it is
    turned off for them. On this project's 2-core machine `breast_cancer_mlp`'s epochs (12 steps and a
    validation pass) took 30-37 ms at the median with it, a fifth of them over 50 ms, and 22-31 ms
    without it, none over 50 ms (three runs of 40 epochs each way, 2026-11-23).
    """
    if isinstance(features, Stream):
        dataset = features.labelled_batches(targets, batch_size, shuffle, seed)
        spec = dataset.element_spec[0]
        if isinstance(spec, tf.TensorSpec) and spec.dtype == tf.uint8:
            dataset = dataset.map(lambda x, y: (_float_pixels(x), y))
    elif gathered(features):
        # The sample numbers are shuffled (the same order a shuffle of the samples themselves takes for
        # a seed), so no shuffle buffer or cache holds a second copy of the split.
        gather_features = _gatherer(features)
        gather_targets = gather_features if targets is features else _gatherer(targets)
        dataset = tf.data.Dataset.range(len(features))
        if shuffle:
            dataset = dataset.shuffle(len(features), seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size).map(lambda index: (gather_features(index), gather_targets(index)))
    else:
        dataset = tf.data.Dataset.from_tensor_slices((features, targets)).cache()
        if shuffle:
            dataset = dataset.shuffle(len(features), seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size)
    if augment is not None:
        dataset = dataset.map(lambda x, y: (augment(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE,
                              deterministic=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    if not isinstance(features, Stream):
        if gathered(features):
            # tf.data's default graph rewrites serialize the pipeline, and with it a copy of every array it holds.
            options.experimental_optimization.apply_default_optimizations = False
        if augment is None:
            options.autotune.enabled = False
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)
