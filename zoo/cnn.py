"""A small convolutional network for small images (8x8 digits up to 32x32 photos)."""

from __future__ import annotations

import keras

from zoo.errors import ZooError
from zoo.layers import check_common, check_fraction, check_positive, regularizer, with_head
from zoo.registry import register_model


@register_model(example_input_shape=(8, 8, 1))
def small_cnn(
    input_shape: tuple[int, ...],
    num_classes: int,
    filters: int = 32,
    blocks: int = 2,
    kernel_size: int = 3,
    dense_units: int = 64,
    activation: str = "relu",
    kernel_initializer: str = "he_normal",
    dropout: float = 0.0,
    batch_norm: bool = False,
    l1: float = 0.0,
    l2: float = 0.0,
    output_activation: str = "softmax",
) -> keras.Model:
    """`blocks` blocks of two 'same' convolutions and a 2x2 max-pool, filters doubling per block,
    then global average pooling, a dense layer of `dense_units` and dropout.
    """
    check_positive("small_cnn", filters=filters, blocks=blocks, kernel_size=kernel_size, dense_units=dense_units)
    check_fraction("small_cnn", dropout=dropout)
    check_common("small_cnn", activation, output_activation, kernel_initializer)
    if len(input_shape) != 3:
        raise ZooError(
            "Model 'small_cnn' needs images shaped (height, width, channels). "
            f"Received: input_shape={tuple(input_shape)!r}. Add a reshape step to data.preprocessing."
        )
    smallest_side = min(input_shape[0], input_shape[1])
    if smallest_side < 2**blocks:
        raise ZooError(
            f"Model 'small_cnn' with blocks={blocks} halves the image {blocks} times, which needs sides of at "
            f"least {2**blocks} pixels. Received: input_shape={tuple(input_shape)!r}"
        )
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for block in range(blocks):
        for layer in range(2):
            x = keras.layers.Conv2D(
                filters * 2**block,
                kernel_size,
                padding="same",
                kernel_initializer=kernel_initializer,
                kernel_regularizer=regularizer(l1, l2),
                use_bias=not batch_norm,
                name=f"conv_{block + 1}_{layer + 1}",
            )(x)
            if batch_norm:
                x = keras.layers.BatchNormalization(name=f"batch_norm_{block + 1}_{layer + 1}")(x)
            x = keras.layers.Activation(activation, name=f"activation_{block + 1}_{layer + 1}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool_{block + 1}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    x = keras.layers.Dense(
        dense_units, activation=activation, kernel_initializer=kernel_initializer,
        kernel_regularizer=regularizer(l1, l2), name="dense",
    )(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    return with_head(inputs, x, num_classes, output_activation, name="small_cnn")
