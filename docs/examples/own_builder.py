"""Iris flowers through a network of your own and a loss of your own, both defined in this file.

    make recipe NAME=docs/examples/own_builder.py

`recipe.json` stores the builder and the loss as "<this file>:build" and "<this file>:smoothed_crossentropy",
so the run repeats from it, and `engine.run.artifacts.load_run_model(run_folder)` reloads the model with them.
"""

import keras
from keras import ops

from engine import Data, Model, Recipe, hp

# How much of each one-hot label is spread evenly over the classes.
SMOOTHING = 0.1


def build(input_shape, num_classes, units=16):
    """One hidden layer; the engine passes the data's input shape and class count, and `units` from the recipe."""
    inputs = keras.Input(shape=input_shape)
    hidden = keras.layers.Dense(units, activation="relu")(inputs)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(hidden)
    return keras.Model(inputs, outputs)


def smoothed_crossentropy(y_true, y_pred):
    """Cross-entropy against one-hot labels with SMOOTHING spread over the classes."""
    classes = ops.shape(y_pred)[-1]
    y_true = ops.cast(y_true, y_pred.dtype) * (1.0 - SMOOTHING) + SMOOTHING / ops.cast(classes, y_pred.dtype)
    return -ops.sum(y_true * ops.log(ops.clip(y_pred, 1e-7, 1.0)), axis=-1)


recipe = Recipe(
    data=Data(source="iris", test_split=0.2,
              preprocessing=[{"name": "standardize"}, {"name": "one_hot_labels"}]),
    model=Model(builder=build, args={"units": hp.Int("units", 8, 64, step=8, default=16)}),
    loss=smoothed_crossentropy,
    optimizer={"name": "adam", "learning_rate": 1e-2},
    metrics=["accuracy"],
    batch_size=16,
    epochs=60,
    seed=42,
    targets={"accuracy": 0.9},
)
