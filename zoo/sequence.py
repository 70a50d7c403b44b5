"""Models for sequences shaped (steps, features): a 1-D CNN and GRU / LSTM networks."""

from __future__ import annotations

import keras

from zoo.errors import ZooError
from zoo.layers import check_common, check_fraction, check_positive, regularizer, with_head
from zoo.registry import register_model


def _check_sequence(model: str, input_shape: tuple[int, ...]) -> None:
    if len(input_shape) != 2:
        raise ZooError(f"Model {model!r} needs sequences shaped (steps, features). "
                       f"Received: input_shape={tuple(input_shape)!r}. Add a reshape step to data.preprocessing.")


@register_model(example_input_shape=(12, 3))
def conv1d(
    input_shape: tuple[int, ...],
    num_classes: int,
    filters: int = 32,
    blocks: int = 2,
    kernel_size: int = 3,
    activation: str = "relu",
    kernel_initializer: str = "he_normal",
    dropout: float = 0.0,
    batch_norm: bool = False,
    l1: float = 0.0,
    l2: float = 0.0,
    output_activation: str = "softmax",
) -> keras.Model:
    """`blocks` 'same' 1-D convolutions (filters doubling), each followed by max-pooling by 2 while the
    sequence is long enough, then global average pooling over time.
    """
    check_positive("conv1d", filters=filters, blocks=blocks, kernel_size=kernel_size)
    check_fraction("conv1d", dropout=dropout)
    check_common("conv1d", activation, output_activation, kernel_initializer)
    _check_sequence("conv1d", input_shape)
    inputs = keras.Input(shape=input_shape)
    x = inputs
    steps = input_shape[0]
    for block in range(blocks):
        x = keras.layers.Conv1D(filters * 2**block, kernel_size, padding="same", use_bias=not batch_norm,
                                kernel_initializer=kernel_initializer, kernel_regularizer=regularizer(l1, l2),
                                name=f"conv_{block + 1}")(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"batch_norm_{block + 1}")(x)
        x = keras.layers.Activation(activation, name=f"activation_{block + 1}")(x)
        if steps >= 4:
            x = keras.layers.MaxPooling1D(2, name=f"pool_{block + 1}")(x)
            steps //= 2
    x = keras.layers.GlobalAveragePooling1D(name="global_pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    return with_head(inputs, x, num_classes, output_activation, name="conv1d")


def _recurrent(layer, name, input_shape, num_classes, units, depth, bidirectional, dropout, l1, l2,
               kernel_initializer, output_activation):
    check_positive(name, units=units, depth=depth)
    check_fraction(name, dropout=dropout)
    check_common(name, "tanh", output_activation, kernel_initializer)
    _check_sequence(name, input_shape)
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for index in range(depth):
        recurrent = layer(units, return_sequences=index < depth - 1, dropout=dropout,
                          kernel_initializer=kernel_initializer, kernel_regularizer=regularizer(l1, l2),
                          name=f"{name}_{index + 1}")
        x = keras.layers.Bidirectional(recurrent, name=f"bidirectional_{index + 1}")(x) if bidirectional \
            else recurrent(x)
    return with_head(inputs, x, num_classes, output_activation, name=name)


@register_model(example_input_shape=(12, 3))
def gru(input_shape: tuple[int, ...], num_classes: int, units: int = 32, depth: int = 1,
        bidirectional: bool = False, dropout: float = 0.0, l1: float = 0.0, l2: float = 0.0,
        kernel_initializer: str = "glorot_uniform", output_activation: str = "softmax") -> keras.Model:
    """`depth` stacked GRU layers of `units` (optionally bidirectional); the last one's final state feeds the head."""
    return _recurrent(keras.layers.GRU, "gru", input_shape, num_classes, units, depth, bidirectional, dropout,
                      l1, l2, kernel_initializer, output_activation)


@register_model(example_input_shape=(12, 3))
def lstm(input_shape: tuple[int, ...], num_classes: int, units: int = 32, depth: int = 1,
         bidirectional: bool = False, dropout: float = 0.0, l1: float = 0.0, l2: float = 0.0,
         kernel_initializer: str = "glorot_uniform", output_activation: str = "softmax") -> keras.Model:
    """`depth` stacked LSTM layers of `units` (optionally bidirectional); the last one's final state feeds the head."""
    return _recurrent(keras.layers.LSTM, "lstm", input_shape, num_classes, units, depth, bidirectional, dropout,
                      l1, l2, kernel_initializer, output_activation)
