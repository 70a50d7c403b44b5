"""A multilayer perceptron for flat feature vectors."""

from __future__ import annotations

import keras

from zoo.layers import check_common, check_fraction, check_positive, regularizer, with_head
from zoo.registry import register_model


@register_model
def mlp(
    input_shape: tuple[int, ...],
    num_classes: int,
    width: int = 64,
    depth: int = 2,
    activation: str = "relu",
    kernel_initializer: str = "glorot_uniform",
    dropout: float = 0.0,
    batch_norm: bool = False,
    l1: float = 0.0,
    l2: float = 0.0,
    output_activation: str = "softmax",
) -> keras.Model:
    """`depth` dense layers of `width` units, each optionally followed by batch norm and dropout.

    `num_classes` is the width of the output layer: the number of classes for softmax, 1 for
    a sigmoid binary classifier or a single regression target (with output_activation="linear").
    """
    check_positive("mlp", width=width, depth=depth)
    check_fraction("mlp", dropout=dropout)
    check_common("mlp", activation, output_activation, kernel_initializer)
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Flatten()(inputs) if len(input_shape) > 1 else inputs
    for index in range(depth):
        x = keras.layers.Dense(
            width,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=regularizer(l1, l2),
            name=f"dense_{index + 1}",
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"batch_norm_{index + 1}")(x)
        x = keras.layers.Activation(activation, name=f"activation_{index + 1}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout_{index + 1}")(x)
    return with_head(inputs, x, num_classes, output_activation, name="mlp")
