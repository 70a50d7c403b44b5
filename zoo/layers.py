"""Checks and small pieces shared by the zoo's builders."""

from __future__ import annotations

from typing import Any

import keras

from zoo.errors import ZooError


def check_positive(model: str, **values: Any) -> None:
    for key, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ZooError(f"`{key}` of model {model!r} must be a whole number >= 1. Received: {key}={value!r}")


def check_fraction(model: str, **values: Any) -> None:
    for key, value in values.items():
        if not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ZooError(f"`{key}` of model {model!r} must be a fraction in [0, 1). Received: {key}={value!r}")


def check_keras_name(model: str, key: str, value: Any, getter) -> None:
    """Refuse a name that Keras's own getter (keras.activations.get, ...) does not know."""
    try:
        getter(value)
    except (ValueError, TypeError):
        raise ZooError(
            f"`{key}` of model {model!r} must be a name Keras knows ({getter.__module__}). Received: {key}={value!r}"
        ) from None


def check_common(model: str, activation, output_activation, kernel_initializer) -> None:
    check_keras_name(model, "activation", activation, keras.activations.get)
    check_keras_name(model, "output_activation", output_activation, keras.activations.get)
    check_keras_name(model, "kernel_initializer", kernel_initializer, keras.initializers.get)


def regularizer(l1: float, l2: float):
    """An L1/L2 kernel regularizer, or None when both are zero."""
    if l1 < 0 or l2 < 0:
        raise ZooError(f"`l1` and `l2` must be >= 0. Received: l1={l1!r}, l2={l2!r}")
    return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None


def with_head(
    inputs: keras.KerasTensor,
    backbone_outputs: keras.KerasTensor,
    num_classes: int,
    output_activation: str,
    name: str,
) -> keras.Model:
    """Wrap a backbone as a named sub-model and put a dense `head` on it.

    The split lets fine-tuning replace `model.get_layer("head")` and freeze
    `model.get_layer("backbone")` without knowing the architecture.
    """
    check_positive(name, num_classes=num_classes)
    backbone = keras.Model(inputs, backbone_outputs, name="backbone")
    if isinstance(inputs, dict):  # named inputs, e.g. a FeatureSpace's raw columns
        model_inputs = {key: keras.Input(shape=tensor.shape[1:], dtype=tensor.dtype, name=key)
                        for key, tensor in inputs.items()}
    else:
        model_inputs = keras.Input(shape=inputs.shape[1:], name="inputs")
    features = backbone(model_inputs)
    # float32 even under a mixed-precision policy, so the softmax and the loss keep full precision.
    outputs = keras.layers.Dense(num_classes, activation=output_activation, name="head", dtype="float32")(features)
    return keras.Model(model_inputs, outputs, name=name)


def dense_stack(x, width: int, depth: int, activation: str, kernel_initializer: str, dropout: float,
                batch_norm: bool, l1: float, l2: float):
    """`depth` dense layers of `width` units, each with optional batch norm, its activation and dropout."""
    for index in range(depth):
        x = keras.layers.Dense(width, kernel_initializer=kernel_initializer, kernel_regularizer=regularizer(l1, l2),
                               name=f"dense_{index + 1}")(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"batch_norm_{index + 1}")(x)
        x = keras.layers.Activation(activation, name=f"activation_{index + 1}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout_{index + 1}")(x)
    return x
