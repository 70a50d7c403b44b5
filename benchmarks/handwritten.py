"""Hand-written Keras scripts, keras-io style, that train what a catalog recipe trains: the baseline of
benchmarks.overhead.

    python -m benchmarks.handwritten digits_cnn [epochs]

Each script does by hand what its recipe declares: the same data and split (scikit-learn's
`train_test_split` with the recipe's seed, stratified), the same preprocessing fitted on the training
rows, the same zoo model, optimizer, loss, callbacks, batch size and `tf.data` pipeline (cached,
shuffled with the seed every epoch, prefetched), seeded with `keras.utils.set_random_seed` and run
with TensorFlow's deterministic ops, as the engine runs. Nothing of the engine is imported; `zoo`
gives the model, as `keras_hub` or `keras.applications` would in a script, and for MNIST-1D `data`
gives the generated set and the shift layer, as a dataset library would. `clock` is a callback that
notes when each epoch begins (benchmarks.overhead passes the same one to both arms).

`settings` are what a user who knows Keras's speed switches would set by hand: the global dtype policy
(`keras.mixed_precision.set_global_policy`) and `compile(steps_per_execution=...)`; by default float32 and one
step, the script most users write. benchmarks.overhead tries a few of them as the "best hand-set" arm.
"""

from __future__ import annotations

import json
import sys

import keras
import numpy as np
import tensorflow as tf
from sklearn import datasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import data
import zoo
from benchmarks.clock import EpochClock

SCRIPT = {"precision": "float32", "steps_per_execution": 1}


def use(settings: dict | None) -> dict:
    """Set the dtype policy of `settings` (SCRIPT where None); the keyword arguments for `model.compile`."""
    settings = {**SCRIPT, **(settings or {})}
    keras.mixed_precision.set_global_policy(settings["precision"])
    return {"steps_per_execution": settings["steps_per_execution"]}


def split(features, targets, validation: float, test: float, seed: int):
    """Train / validation / test rows as the recipe's data section splits them."""
    rows = np.arange(len(targets))
    rest, test_rows = train_test_split(rows, test_size=test, random_state=seed, stratify=targets)
    train_rows, validation_rows = train_test_split(rest, test_size=validation / (1 - test), random_state=seed,
                                                   stratify=targets[rest])
    return [(features[np.sort(part)], targets[np.sort(part)]) for part in (train_rows, validation_rows, test_rows)]


def pipeline(features, targets, batch_size: int, seed: int, shuffle: bool, augment=None):
    dataset = tf.data.Dataset.from_tensor_slices((features, targets)).cache()
    if shuffle:
        dataset = dataset.shuffle(len(features), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if augment is not None:
        dataset = dataset.map(lambda x, y: (augment(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE,
                              deterministic=True)
    else:  # nothing for tf.data's autotuning to tune, as the engine's pipeline does (data.pipeline)
        options = tf.data.Options()
        options.autotune.enabled = False
        dataset = dataset.with_options(options)
    return dataset.prefetch(tf.data.AUTOTUNE)


def train(model, parts, batch_size: int, seed: int, epochs: int, callbacks: list, augment=None) -> dict:
    (x_train, y_train), validation, (x_test, y_test) = parts
    model.fit(pipeline(*parts[0], batch_size, seed, True, augment),
              validation_data=pipeline(*validation, batch_size, seed, False), epochs=epochs, callbacks=callbacks,
              verbose=0)
    return model.evaluate(pipeline(x_test, y_test, batch_size, seed, False), return_dict=True, verbose=0)


def digits_cnn(epochs: int, clock: keras.callbacks.Callback, settings: dict | None = None) -> dict:
    seed = 42
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    compiled = use(settings)
    images, labels = datasets.load_digits(return_X_y=True)
    images = (images / 16).astype("float32").reshape(-1, 8, 8, 1)
    parts = split(images, labels.astype("int64"), 0.15, 0.2, seed)
    model = zoo.create("small_cnn", (8, 8, 1), 10, filters=32, blocks=2, dense_units=128, dropout=0.3)
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], **compiled)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=4)
    return train(model, parts, 32, seed, epochs, [clock, plateau])


def breast_cancer_mlp(epochs: int, clock: keras.callbacks.Callback, settings: dict | None = None) -> dict:
    seed = 42
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    compiled = use(settings)
    rows, labels = datasets.load_breast_cancer(return_X_y=True)
    parts = split(rows.astype("float32"), labels.astype("int64"), 0.15, 0.2, seed)
    scaler = StandardScaler().fit(parts[0][0])
    parts = [(scaler.transform(x).astype("float32"), y) for x, y in parts]
    model = zoo.create("mlp", (30,), 1, width=32, depth=2, l2=1e-3, dropout=0.2, output_activation="sigmoid")
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="binary_crossentropy", metrics=["accuracy"],
                  **compiled)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    return train(model, parts, 32, seed, epochs, [clock, stop])


def mnist1d_cnn(epochs: int, clock: keras.callbacks.Callback, settings: dict | None = None) -> dict:
    seed = 42
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    compiled = use(settings)
    generated = data.load("mnist1d")  # the package's own train / test split, as a dataset library gives it
    rows = np.arange(len(generated.targets))
    train_rows, validation_rows = train_test_split(rows, test_size=0.1, random_state=seed, stratify=generated.targets)
    parts = [(generated.features[np.sort(part)], generated.targets[np.sort(part)])
             for part in (train_rows, validation_rows)] + [generated.test]
    # The recipe's circular shift of up to 4 steps: the data room's layer, as a script would take keras_cv's.
    shift = data.build_augmentation([{"name": "random_shift", "max_shift": 4, "fill_mode": "wrap"}], seed, (40, 1))
    model = zoo.create("conv1d", (40, 1), 10, filters=32, blocks=3, kernel_size=5, batch_norm=True, dropout=0.2)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], **compiled)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=5)
    return train(model, parts, 64, seed, epochs, [clock, plateau], augment=shift)


SCRIPTS = {"digits_cnn": digits_cnn, "breast_cancer_mlp": breast_cancer_mlp, "mnist1d_cnn": mnist1d_cnn}


if __name__ == "__main__":
    name, epochs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20
    clock = EpochClock()
    print(json.dumps({"test": SCRIPTS[name](epochs, clock), "seconds_per_epoch": clock.periods()}))
