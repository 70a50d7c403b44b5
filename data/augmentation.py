"""Image augmentation declared in a recipe, applied to training batches only.

`data.augmentation` lists Keras's random image layers by short name, e.g.
`[{"name": "random_flip", "mode": "horizontal"}, {"name": "random_rotation", "factor": 0.1}]`.
`random_crop` takes a random `height` x `width` window and resizes it back to the input size.
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


def build_augmentation(configs: list, seed: int, input_shape: tuple[int, ...]) -> keras.Sequential | None:
    """The declared augmentations as one model (None when there are none); errors name the bad entry."""
    if not configs:
        return None
    if len(input_shape) != 3:
        raise DataError(f"`data.augmentation` works on images shaped (height, width, channels); these samples are "
                        f"shaped {list(input_shape)}. Add a reshape step, or remove the augmentation.")
    layers = []
    for index, config in enumerate(configs):
        if isinstance(config, str):
            config = {"name": config}
        if not isinstance(config, dict) or config.get("name") not in LAYERS:
            raise DataError(f"`data.augmentation[{index}]` must be {{'name': ...}} with a name among "
                            f"{', '.join(LAYERS)}. Received: {config!r}")
        arguments = {key: value for key, value in config.items() if key != "name"}
        try:
            layers.append(LAYERS[config["name"]](**arguments, seed=seed + index))
            if config["name"] == "random_crop":
                # Validation, test and prediction see whole images, so a crop is resized back to the input's
                # height and width: the model's input shape stays one (a random crop-and-zoom).
                layers.append(keras.layers.Resizing(*input_shape[:2], name=f"crop_back_{index}"))
        except (TypeError, ValueError) as error:
            raise DataError(f"`data.augmentation[{index}]` ({config['name']}) was given arguments it cannot "
                            f"take: {error}") from None
    return keras.Sequential([keras.Input(input_shape), *layers], name="augmentation")
