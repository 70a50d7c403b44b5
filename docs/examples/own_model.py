"""A zoo architecture of one's own: one decorated builder, registered under its function name.

    import zoo, own_model            # importing the module registers `wide_and_deep`
    model = zoo.create("wide_and_deep", input_shape=(13,), num_classes=3, width=32)

A model shipped with the project goes in zoo/ and is imported by zoo/__init__.py; the registry's tests then
build, train, save, reload and round-trip every registered model, this one included, with no new test code.
"""

import keras

from zoo.layers import check_positive, with_head
from zoo.registry import register_model


@register_model(example_input_shape=(13,))
def wide_and_deep(input_shape, num_classes, width=64, depth=2, output_activation="softmax"):
    """The inputs beside a stack of `depth` dense layers of `width` units, joined before the head.

    `with_head` makes the body a sub-model named `backbone` and the output layer `head`, as in every zoo model,
    so that `zoo.load(..., num_classes=...)` can replace the head and `freeze_backbone=True` freeze the rest.
    """
    check_positive("wide_and_deep", width=width, depth=depth)
    inputs = keras.Input(shape=input_shape)
    deep = inputs
    for _ in range(depth):
        deep = keras.layers.Dense(width, activation="relu")(deep)
    features = keras.layers.Concatenate()([inputs, deep])
    return with_head(inputs, features, num_classes, output_activation, name="wide_and_deep")
