"""Contrastive self-supervised learning for 1-D signals (SimCLR: Chen et al. 2020, "A Simple Framework
for Contrastive Learning of Visual Representations").

While training, each signal is seen twice through random views (`SignalViews`: a circular shift,
a scaling and Gaussian noise). One encoder (the `backbone`) and a linear projection (the `head`) map
both views to vectors, and the loss asks each view to pick out its twin among the other
2N - 1 views of the batch by cosine similarity at a temperature (`NTXent`). No label is involved. At inference
the views are the signal itself; the encoder's output is the learned code, and `zoo.load(...,
num_classes=k)` puts a classifier head on that encoder for fine-tuning.
"""

from __future__ import annotations

import keras
from keras import ops

from zoo.errors import ZooError
from zoo.layers import check_fraction, check_positive
from zoo.registry import register_model
from zoo.sequence import conv1d


@keras.saving.register_keras_serializable(package="zoo")
class SignalViews(keras.layers.Layer):
    """A random view of each signal (steps, features) while training; the signal itself at inference.

    Circular shift by up to `max_shift` steps, scaling by a factor drawn from [1 - scale, 1 + scale],
    then Gaussian noise of standard deviation `noise`.
    """

    def __init__(self, max_shift: int = 4, scale: float = 0.2, noise: float = 0.05, seed: int | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.max_shift, self.scale, self.noise, self.seed = int(max_shift), float(scale), float(noise), seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, signals, training=None):
        if not training:
            return signals
        batch, steps = ops.shape(signals)[0], signals.shape[1]
        shifts = keras.random.randint((batch, 1), -self.max_shift, self.max_shift + 1, seed=self.generator)
        positions = ops.mod(ops.expand_dims(ops.arange(steps), 0) - shifts, steps)
        positions = ops.broadcast_to(ops.expand_dims(positions, -1), ops.shape(signals))
        shifted = ops.take_along_axis(signals, ops.cast(positions, "int32"), axis=1)
        factors = keras.random.uniform((batch, 1, 1), 1 - self.scale, 1 + self.scale, seed=self.generator)
        return shifted * factors + keras.random.normal(ops.shape(signals), stddev=self.noise, seed=self.generator)

    def get_config(self):
        return {**super().get_config(), "max_shift": self.max_shift, "scale": self.scale, "noise": self.noise,
                "seed": self.seed}


@keras.saving.register_keras_serializable(package="zoo")
class NTXent(keras.losses.Loss):
    """SimCLR's normalized temperature-scaled cross-entropy. `y_pred` holds both views' projections,
    shaped (N, 2, d); `y_true` is ignored (the engine passes the inputs: no labels). Each of the 2N views
    must pick out its twin among the other 2N - 1 by cosine similarity divided by `temperature`."""

    def __init__(self, temperature: float = 0.1, name: str = "nt_xent", **kwargs):
        super().__init__(name=name, **kwargs)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature <= 0:
            raise ZooError(f"`temperature` of the NTXent loss must be a number > 0. Received: {temperature!r}")
        self.temperature = float(temperature)

    def call(self, y_true, y_pred):
        first, second = y_pred[:, 0], y_pred[:, 1]
        count = ops.shape(first)[0]
        vectors = ops.concatenate([first, second], axis=0)
        vectors = vectors / ops.maximum(ops.norm(vectors, axis=1, keepdims=True), 1e-12)
        logits = ops.matmul(vectors, ops.transpose(vectors)) / self.temperature
        logits = logits - 1e9 * ops.eye(2 * count)  # a view is not its own twin
        twins = ops.concatenate([ops.arange(count) + count, ops.arange(count)], axis=0)
        # One value per view; Keras's reduction averages them.
        return keras.losses.sparse_categorical_crossentropy(twins, logits, from_logits=True)

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}


@register_model(example_input_shape=(40, 1), kind="contrastive")
def contrastive_conv1d(input_shape: tuple[int, ...], num_classes: int | None = None, filters: int = 32,
                       blocks: int = 3, kernel_size: int = 5, batch_norm: bool = True, projection: int = 64,
                       max_shift: int = 4, scale: float = 0.2, noise: float = 0.05, projection_hidden: int = 0,
                       seed: int | None = None) -> keras.Model:
    """The `conv1d` encoder trained by contrasting two random views of each signal (SimCLR, loss `NTXent`).

    Outputs both views' projections, shaped (N, 2, projection); `num_classes` is unused. With
    `projection_hidden` > 0 the projection is SimCLR's small MLP (a ReLU layer of that width, then the
    `head`); fine-tuning keeps only the encoder either way.
    """
    check_positive("contrastive_conv1d", projection=projection)
    check_fraction("contrastive_conv1d", scale=scale)
    if isinstance(projection_hidden, bool) or not isinstance(projection_hidden, int) or projection_hidden < 0:
        raise ZooError("`projection_hidden` of model 'contrastive_conv1d' must be 0 (a linear projection) or a whole "
                       f"number of units. Received: projection_hidden={projection_hidden!r}")
    if not isinstance(noise, (int, float)) or noise < 0:
        raise ZooError(f"`noise` of model 'contrastive_conv1d' must be a number >= 0. Received: noise={noise!r}")
    encoder = conv1d(input_shape, 2, filters=filters, blocks=blocks, kernel_size=kernel_size,
                     batch_norm=batch_norm).get_layer("backbone")
    head = keras.layers.Dense(projection, name="head", dtype="float32")
    hidden = keras.layers.Dense(projection_hidden, activation="relu", name="projection_hidden") \
        if projection_hidden else None
    inputs = keras.Input(shape=input_shape, name="inputs")
    views = [SignalViews(max_shift, scale, noise, None if seed is None else seed + index, name=f"view_{index}")(inputs)
             for index in (1, 2)]
    codes = [hidden(encoder(view)) if hidden else encoder(view) for view in views]
    projected = [keras.layers.Reshape((1, projection), name=f"projection_{index}")(head(code))
                 for index, code in enumerate(codes, start=1)]
    outputs = keras.layers.Concatenate(axis=1, name="both_views")(projected)
    return keras.Model(inputs, outputs, name="contrastive_conv1d")
