"""A multilayer perceptron for flat feature vectors."""

from __future__ import annotations

import keras

from zoo.layers import check_common, check_fraction, check_positive, dense_stack, with_head
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
    x = dense_stack(x, width, depth, activation, kernel_initializer, dropout, batch_norm, l1, l2)
    return with_head(inputs, x, num_classes, output_activation, name="mlp")
