"""Augmentation declared in a recipe, applied to training batches only.

`data.augmentation` lists Keras's random image layers by short name, e.g.
`[{"name": "random_flip", "mode": "horizontal"}, {"name": "random_rotation", "factor": 0.1}]`.
`random_crop` takes a random `height` x `width` window and resizes it back to the input size.
Sequences shaped (steps, channels) take the sequence layers instead: `random_shift` moves each
sequence by up to `max_shift` steps, e.g. `[{"name": "random_shift", "max_shift": 8}]`.
The training pipeline maps each batch through them (seeded from the recipe's seed);
validation, test and prediction never see them.
"""

from __future__ import annotations

import keras

from data.errors import DataError

LAYERS = {
    "random_flip": keras.layers.RandomFlip,
    "random_rotation": keras.layers.RandomRotation,
    "random_translation": keras.layers.RandomTranslation,
    "random_zoom": keras.layers.RandomZoom,
    "random_contrast": keras.layers.RandomContrast,
    "random_brightness": keras.layers.RandomBrightness,
    "random_crop": keras.layers.RandomCrop,
}


class RandomShift1D(keras.layers.Layer):
    """Shift each sequence (batch, steps, channels) in time by a random whole number of steps in
    [-max_shift, max_shift]. `fill_mode="wrap"` rolls the steps pushed off one end back in at the other
    (a circular shift); `"constant"` fills the steps left empty with `fill_value`. Inference is untouched.
    """

    def __init__(self, max_shift: int, fill_mode: str = "wrap", fill_value: float = 0.0, seed: int | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 1:
            raise ValueError(f"`max_shift` must be a whole number of steps >= 1. Received: {max_shift!r}")
        if fill_mode not in ("wrap", "constant"):
            raise ValueError(f"`fill_mode` must be 'wrap' or 'constant'. Received: {fill_mode!r}")
        self.max_shift, self.fill_mode, self.fill_value, self.seed = max_shift, fill_mode, float(fill_value), seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=True):
        if not training:
            return inputs
        shape = keras.ops.shape(inputs)
        steps = shape[1]
        shifts = keras.random.randint((shape[0], 1), -self.max_shift, self.max_shift + 1, seed=self.generator)
        # Output step t reads input step t - shift.
        positions = keras.ops.expand_dims(keras.ops.arange(steps), 0) - shifts
        inside = keras.ops.logical_and(positions >= 0, positions < steps)
        positions = keras.ops.mod(positions, steps)
        shifted = keras.ops.take_along_axis(inputs, keras.ops.broadcast_to(positions[..., None], shape), axis=1)
        if self.fill_mode == "wrap":
            return shifted
        return keras.ops.where(inside[..., None], shifted, keras.ops.cast(self.fill_value, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_shift": self.max_shift, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "seed": self.seed}


# Layers for sequences shaped (steps, channels), kept apart from the image layers above.
SEQUENCE_LAYERS = {
    "random_shift": RandomShift1D,
}


def _check_shape(name: str, input_shape: tuple[int, ...]) -> None:
    if name in SEQUENCE_LAYERS and len(input_shape) != 2:
        raise DataError(f"`data.augmentation` layer {name!r} works on sequences shaped (steps, channels); these "
                        f"samples are shaped {list(input_shape)}. Add a reshape step, or remove the augmentation.")
    if name in LAYERS and len(input_shape) != 3:
        raise DataError(f"`data.augmentation` works on images shaped (height, width, channels); these samples are "
                        f"shaped {list(input_shape)}. Add a reshape step, or remove the augmentation.")


def build_augmentation(configs: list, seed: int, input_shape: tuple[int, ...]) -> keras.Sequential | None:
    """The declared augmentations as one model (None when there are none); errors name the bad entry."""
    if not configs:
        return None
    known = {**LAYERS, **SEQUENCE_LAYERS}
    layers = []
    for index, config in enumerate(configs):
        if isinstance(config, str):
            config = {"name": config}
        if not isinstance(config, dict) or config.get("name") not in known:
            raise DataError(f"`data.augmentation[{index}]` must be {{'name': ...}} with a name among "
                            f"{', '.join(known)}. Received: {config!r}")
        _check_shape(config["name"], input_shape)
        arguments = {key: value for key, value in config.items() if key != "name"}
        try:
            layers.append(known[config["name"]](**arguments, seed=seed + index))
            if config["name"] == "random_crop":
                # Validation, test and prediction see whole images, so a crop is resized back to the input's
                # height and width: the model's input shape stays one (a random crop-and-zoom).
                layers.append(keras.layers.Resizing(*input_shape[:2], name=f"crop_back_{index}"))
        except (TypeError, ValueError) as error:
            raise DataError(f"`data.augmentation[{index}]` ({config['name']}) was given arguments it cannot "
                            f"take: {error}") from None
    return keras.Sequential([keras.Input(input_shape), *layers], name="augmentation")
