"""Autoencoders: the backbone encodes to a small code, the head decodes it back to the input."""

from __future__ import annotations

import math

import keras

from zoo.clustering import ClusteringLoss
from zoo.errors import ZooError
from zoo.layers import check_common, check_positive
from zoo.registry import register_model


def _split(inputs, code, decoded, name: str) -> keras.Model:
    """Encoder as `backbone`, decoder as `head`, so the encoder can be reused like any backbone."""
    encoder = keras.Model(inputs, code, name="backbone")
    code_input = keras.Input(shape=code.shape[1:])
    decoder = keras.Model(code_input, decoded(code_input), name="head")
    model_inputs = keras.Input(shape=inputs.shape[1:], name="inputs")
    return keras.Model(model_inputs, decoder(encoder(model_inputs)), name=name)


@register_model(example_input_shape=(8,), kind="autoencoder")
def dense_autoencoder(input_shape: tuple[int, ...], num_classes: int | None = None, code_size: int = 4,
                      width: int = 32, activation: str = "relu", kernel_initializer: str = "glorot_uniform",
                      output_activation: str = "linear", clusters: int = 0, clustering_weight: float = 0.1,
                      clustering_from_epoch: int = 1) -> keras.Model:
    """Dense encoder (`width` units, then a `code_size` code) and a mirrored decoder; `num_classes` is unused.

    With `clusters` > 0 the code also learns to fall into that many clusters (IDEC, zoo.clustering): from
    epoch `clustering_from_epoch`, `clustering_weight` times the clustering loss joins the reconstruction's.
    """
    check_positive("dense_autoencoder", code_size=code_size, width=width, clustering_from_epoch=clustering_from_epoch)
    if isinstance(clusters, bool) or not isinstance(clusters, int) or clusters < 0 or clusters == 1:
        raise ZooError(f"`clusters` of model 'dense_autoencoder' must be 0 (no clustering) or a whole number >= 2. "
                       f"Received: clusters={clusters!r}")
    if not isinstance(clustering_weight, (int, float)) or clustering_weight <= 0:
        raise ZooError("`clustering_weight` of model 'dense_autoencoder' must be a number > 0. "
                       f"Received: clustering_weight={clustering_weight!r}")
    check_common("dense_autoencoder", activation, output_activation, kernel_initializer)
    size = int(math.prod(input_shape))
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Flatten()(inputs) if len(input_shape) > 1 else inputs
    x = keras.layers.Dense(width, activation=activation, kernel_initializer=kernel_initializer, name="encode")(x)
    code = keras.layers.Dense(code_size, activation=activation, kernel_initializer=kernel_initializer,
                              name="code")(x)
    if clusters:
        code = ClusteringLoss(clusters, clustering_weight, clustering_from_epoch, name="clustering")(code)

    def decoded(code_input):
        y = keras.layers.Dense(width, activation=activation, kernel_initializer=kernel_initializer,
                               name="decode")(code_input)
        y = keras.layers.Dense(size, activation=output_activation, name="reconstruction", dtype="float32")(y)
        return keras.layers.Reshape(input_shape)(y)

    return _split(inputs, code, decoded, "dense_autoencoder")


@register_model(example_input_shape=(8, 8, 1), kind="autoencoder")
def conv_autoencoder(input_shape: tuple[int, ...], num_classes: int | None = None, filters: int = 16,
                     activation: str = "relu", kernel_initializer: str = "he_normal",
                     output_activation: str = "sigmoid") -> keras.Model:
    """Two stride-2 convolutions down, two transposed convolutions back up; `num_classes` is unused.

    Image sides must be divisible by 4; the sigmoid output suits pixels scaled to 0-1.
    """
    check_positive("conv_autoencoder", filters=filters)
    check_common("conv_autoencoder", activation, output_activation, kernel_initializer)
    if len(input_shape) != 3 or input_shape[0] % 4 or input_shape[1] % 4:
        raise ZooError("Model 'conv_autoencoder' needs images (height, width, channels) with sides divisible by 4. "
                       f"Received: input_shape={tuple(input_shape)!r}")
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", activation=activation,
                            kernel_initializer=kernel_initializer, name="encode_1")(inputs)
    code = keras.layers.Conv2D(filters * 2, 3, strides=2, padding="same", activation=activation,
                               kernel_initializer=kernel_initializer, name="encode_2")(x)

    def decoded(code_input):
        y = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation=activation,
                                         kernel_initializer=kernel_initializer, name="decode_1")(code_input)
        y = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation=activation,
                                         kernel_initializer=kernel_initializer, name="decode_2")(y)
        return keras.layers.Conv2D(input_shape[-1], 3, padding="same", activation=output_activation,
                                   name="reconstruction", dtype="float32")(y)

    return _split(inputs, code, decoded, "conv_autoencoder")
