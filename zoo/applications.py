"""keras.applications backbones as zoo entries, with ImageNet weights from Keras's own origin.

`imagenet_weights=True` loads the weights Keras publishes for the backbone (without its top),
checked by Keras against the hash it publishes (md5; Keras publishes none for MobileNetV2).
Without a network the file cannot be fetched, and the error says which file to download
and where to put it. Inputs must be prepared with the application's own `preprocess_input`
(EfficientNet's rescaling is built in).
"""

from __future__ import annotations

import os
from pathlib import Path

import keras

from zoo.errors import ZooError
from zoo.layers import check_fraction, with_head
from zoo.registry import register_model

ORIGIN = "https://storage.googleapis.com/"
# (constructor, weights file without its top, published md5 or None), as in Keras 3.15's sources.
APPLICATIONS = {
    "mobilenet_v2": (keras.applications.MobileNetV2,
                     "tensorflow/keras-applications/mobilenet_v2/"
                     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{rows}_no_top.h5", None),
    "resnet50": (keras.applications.ResNet50,
                 "tensorflow/keras-applications/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
                 "4d473c1dd8becc155b73f8504c6f6626"),
    "efficientnet_b0": (keras.applications.EfficientNetB0, "keras-applications/efficientnetb0_notop.h5",
                        "50bc09e76180e00e4465e1a485ddc09d"),
}


def weights_location(name: str, input_shape: tuple[int, ...]) -> tuple[str, Path, str | None]:
    """URL of the ImageNet weights of `name`, where Keras looks for them on disk, and their md5."""
    _, path, md5 = APPLICATIONS[name]
    rows = input_shape[0] if input_shape[0] in (96, 128, 160, 192, 224) else 224
    path = path.format(rows=rows)
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models" / Path(path).name
    return ORIGIN + path, cache, md5


def _application(name: str, input_shape, num_classes, imagenet_weights, dropout, output_activation):
    check_fraction(name, dropout=dropout)
    if len(input_shape) != 3 or input_shape[-1] != 3 or min(input_shape[:2]) < 32:
        raise ZooError(f"Model {name!r} needs colour images of at least 32x32, shaped (height, width, 3). "
                       f"Received: input_shape={tuple(input_shape)!r}")
    constructor = APPLICATIONS[name][0]
    try:
        backbone = constructor(include_top=False, weights="imagenet" if imagenet_weights else None,
                               input_shape=tuple(input_shape), pooling="avg")
    except Exception as error:  # noqa: BLE001 - a failed download surfaces as several exception types
        if not imagenet_weights:
            raise
        url, cache, md5 = weights_location(name, input_shape)
        check = f" (md5 {md5})" if md5 else ""
        raise ZooError(
            f"Cannot load ImageNet weights for {name!r}: {type(error).__name__}: {error}. Without a network, "
            f"download {url}{check} on another machine and place it at {cache}; or build the model with "
            f"pretrained=False."
        ) from None
    features = backbone.output
    if dropout:
        features = keras.layers.Dropout(dropout, name="dropout")(features)
    return with_head(backbone.input, features, num_classes, output_activation, name=name)


@register_model(example_input_shape=(32, 32, 3))
def mobilenet_v2(input_shape: tuple[int, ...], num_classes: int, imagenet_weights: bool = False,
                 dropout: float = 0.0, output_activation: str = "softmax") -> keras.Model:
    """MobileNetV2 (keras.applications, alpha 1.0) with a new dense head; inputs scaled to [-1, 1]."""
    return _application("mobilenet_v2", input_shape, num_classes, imagenet_weights, dropout, output_activation)


@register_model(example_input_shape=(32, 32, 3))
def resnet50(input_shape: tuple[int, ...], num_classes: int, imagenet_weights: bool = False,
             dropout: float = 0.0, output_activation: str = "softmax") -> keras.Model:
    """ResNet50 (keras.applications) with a new dense head; inputs as keras.applications.resnet50.preprocess_input."""
    return _application("resnet50", input_shape, num_classes, imagenet_weights, dropout, output_activation)


@register_model(example_input_shape=(32, 32, 3))
def efficientnet_b0(input_shape: tuple[int, ...], num_classes: int, imagenet_weights: bool = False,
                    dropout: float = 0.0, output_activation: str = "softmax") -> keras.Model:
    """EfficientNetB0 (keras.applications) with a new dense head; takes pixels 0-255 (rescaling built in)."""
    return _application("efficientnet_b0", input_shape, num_classes, imagenet_weights, dropout, output_activation)
