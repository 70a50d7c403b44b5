"""A small residual network (basic blocks with batch normalization) for small images."""

from __future__ import annotations

import keras

from zoo.errors import ZooError
from zoo.layers import check_common, check_fraction, check_positive, regularizer, with_head
from zoo.registry import register_model


def _convolution(x, filters, strides, kernel_initializer, l1, l2, name):
    return keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False,
                               kernel_initializer=kernel_initializer, kernel_regularizer=regularizer(l1, l2),
                               name=name)(x)


@register_model(example_input_shape=(16, 16, 3))
def small_resnet(
    input_shape: tuple[int, ...],
    num_classes: int,
    filters: int = 16,
    stages: int = 3,
    blocks_per_stage: int = 2,
    activation: str = "relu",
    kernel_initializer: str = "he_normal",
    dropout: float = 0.0,
    l1: float = 0.0,
    l2: float = 0.0,
    output_activation: str = "softmax",
) -> keras.Model:
    """`stages` stages of `blocks_per_stage` residual blocks (two 3x3 convolutions with batch norm and a
    shortcut); filters double and the image halves at each stage after the first; global average pooling.
    """
    check_positive("small_resnet", filters=filters, stages=stages, blocks_per_stage=blocks_per_stage)
    check_fraction("small_resnet", dropout=dropout)
    check_common("small_resnet", activation, output_activation, kernel_initializer)
    if len(input_shape) != 3:
        raise ZooError(f"Model 'small_resnet' needs images shaped (height, width, channels). "
                       f"Received: input_shape={tuple(input_shape)!r}")
    inputs = keras.Input(shape=input_shape)
    x = _convolution(inputs, filters, 1, kernel_initializer, l1, l2, "stem_conv")
    x = keras.layers.BatchNormalization(name="stem_batch_norm")(x)
    x = keras.layers.Activation(activation, name="stem_activation")(x)
    for stage in range(stages):
        width = filters * 2**stage
        for block in range(blocks_per_stage):
            strides = 2 if stage > 0 and block == 0 else 1
            prefix = f"stage{stage + 1}_block{block + 1}"
            shortcut = x
            y = _convolution(x, width, strides, kernel_initializer, l1, l2, f"{prefix}_conv1")
            y = keras.layers.BatchNormalization(name=f"{prefix}_batch_norm1")(y)
            y = keras.layers.Activation(activation, name=f"{prefix}_activation1")(y)
            y = _convolution(y, width, 1, kernel_initializer, l1, l2, f"{prefix}_conv2")
            y = keras.layers.BatchNormalization(name=f"{prefix}_batch_norm2")(y)
            if strides != 1 or shortcut.shape[-1] != width:
                shortcut = keras.layers.Conv2D(width, 1, strides=strides, use_bias=False,
                                               kernel_initializer=kernel_initializer, name=f"{prefix}_projection")(x)
                shortcut = keras.layers.BatchNormalization(name=f"{prefix}_projection_batch_norm")(shortcut)
            x = keras.layers.Add(name=f"{prefix}_add")([y, shortcut])
            x = keras.layers.Activation(activation, name=f"{prefix}_activation2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    return with_head(inputs, x, num_classes, output_activation, name="small_resnet")
