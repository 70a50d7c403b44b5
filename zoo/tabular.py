"""A tabular network that can take a fitted keras.utils.FeatureSpace and so read raw columns."""

from __future__ import annotations

import keras

from zoo.errors import ZooError
from zoo.layers import check_common, check_fraction, check_positive, dense_stack, with_head
from zoo.registry import register_model


@register_model
def tabular_mlp(
    input_shape: tuple[int, ...],
    num_classes: int,
    feature_space: keras.utils.FeatureSpace | None = None,
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
    """Dense layers over a table's encoded columns; with `feature_space`, the model takes the raw columns.

    Given a FeatureSpace that has been adapted (on training data), the model's inputs are its
    named raw columns (a dict) and the encoding runs inside the model, so it is saved with
    it. Without one, the model takes already encoded vectors shaped `input_shape`.
    """
    check_positive("tabular_mlp", width=width, depth=depth)
    check_fraction("tabular_mlp", dropout=dropout)
    check_common("tabular_mlp", activation, output_activation, kernel_initializer)
    if feature_space is not None:
        if not isinstance(feature_space, keras.utils.FeatureSpace):
            raise ZooError(f"`feature_space` of model 'tabular_mlp' must be a keras.utils.FeatureSpace. "
                           f"Received: {type(feature_space).__name__}")
        try:
            inputs, x = feature_space.get_inputs(), feature_space.get_encoded_features()
        except ValueError as error:
            raise ZooError(f"`feature_space` of model 'tabular_mlp' must be adapted first: {error}") from None
    else:
        inputs = keras.Input(shape=input_shape)
        x = keras.layers.Flatten()(inputs) if len(input_shape) > 1 else inputs
    x = dense_stack(x, width, depth, activation, kernel_initializer, dropout, batch_norm, l1, l2)
    return with_head(inputs, x, num_classes, output_activation, name="tabular_mlp")
