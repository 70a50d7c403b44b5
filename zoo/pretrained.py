"""Pretrained models shipped with the zoo, and loading any zoo model ready to fine-tune.

    zoo/pretrained/<name>/model.keras   the trained model, saved without optimizer state
    zoo/pretrained/<name>/card.json     architecture, recipe and data, test metrics, versions, sha256
    zoo/pretrained/<name>/README.md     the model card a person reads

`load` checks the file's sha256 against its card before anything reads it, and opens it with
Keras's safe mode on, so a `.keras` file cannot run code of its own.

What a card promises on another CPU: the weights are the same bits everywhere (the sha256), but the last
bits of every float computed from them depend on the kernels the CPU picks (oneDNN, NumPy, OpenBLAS). On
the machine and numeric path that made a card its figures reproduce exactly; on another, each test figure
reproduces within `card_tolerance(metric)`: 0.005 for a score in [0, 1] (accuracy, linear probe, NMI),
5.0 for an agent's mean return (1% of CartPole's 500). The widest spread measured over three numeric paths
and three machines is 0.0006 (the linear probe of `mnist1d_selfsupervised`: 0.9444 to 0.9450); every other
shipped figure was the same on all of them.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import keras

from common.hashing import sha256_of
from zoo.errors import ZooError
from zoo.registry import create, get_builder, list_models, model_arguments, model_info

STORE = Path(__file__).resolve().parent / "pretrained"
MODEL_FILE = "model.keras"
MAX_BYTES = 3_000_000  # shipped weights stay small enough to live in the repository

# How far a card's test figure may move on another CPU (see the module's docstring for the measurements).
CARD_TOLERANCES = {"mean_return": 5.0}
SCORE_TOLERANCE = 0.005


def card_tolerance(metric: str) -> float:
    """How far `metric`, measured again from a shipped model on another CPU, may be from its card."""
    return CARD_TOLERANCES.get(metric, SCORE_TOLERANCE)


def list_pretrained(pattern: str = "*", store: Path | None = None) -> list[str]:
    """Names of the shipped pretrained models (folders with a card) matching a wildcard."""
    store = Path(store or STORE)
    if not store.is_dir():
        return []
    return sorted(path.name for path in store.iterdir()
                  if (path / "card.json").is_file() and fnmatch.fnmatch(path.name, pattern))


def read_card(name: str, store: Path | None = None) -> dict[str, Any]:
    """The card of a shipped model, or a ZooError listing the shipped ones."""
    path = Path(store or STORE) / name / "card.json"
    if not path.is_file():
        shipped = list_pretrained(store=store)
        raise ZooError(f"No pretrained model named {name!r}. Shipped: {', '.join(shipped) or 'none'}.")
    return json.loads(path.read_text())


def replace_head(model: keras.Model, num_classes: int, activation: str | None = None) -> keras.Model:
    """The same backbone (same weights, shared) under a new dense head of `num_classes` units."""
    backbone, head = model.get_layer("backbone"), model.get_layer("head")
    if not isinstance(head, keras.layers.Dense):
        raise ZooError(f"Model {model.name!r} has no dense head to replace (its head is {type(head).__name__}).")
    activation = activation or keras.activations.serialize(head.activation)
    inputs = keras.Input(shape=model.input_shape[1:], name="inputs")
    outputs = keras.layers.Dense(num_classes, activation=activation, name="head", dtype="float32")(backbone(inputs))
    return keras.Model(inputs, outputs, name=model.name)


def set_backbone_frozen(model: keras.Model, frozen: bool = True) -> keras.Model:
    """Freeze (or unfreeze) the backbone. Batch normalization stays in inference mode either way.

    In Keras 3 a layer with trainable=False runs batch normalization in inference mode, so its
    moving statistics are not updated. When unfreezing for a second fine-tuning phase, the
    batch-norm layers are left frozen: their statistics come from the larger first dataset.
    """
    backbone = model.get_layer("backbone")
    backbone.trainable = not frozen
    if not frozen:
        for layer in _all_layers(backbone):
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
    return model


def _all_layers(model: keras.Model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def load(
    name: str,
    pretrained: bool = True,
    num_classes: int | None = None,
    freeze_backbone: bool = False,
    input_shape: tuple[int, ...] | None = None,
    output_activation: str | None = None,
    store: Path | None = None,
    class_names: list[str] | None = None,
) -> keras.Model:
    """A zoo model ready to fine-tune.

    `name` is a shipped pretrained model (`list_pretrained()`) or a registered architecture.
    With `pretrained=True` a shipped model's weights are verified by sha256 and loaded; for a
    keras.applications entry the ImageNet weights are loaded (needs `input_shape`). When
    `num_classes` differs from the model's head, or `class_names` differ from those of a shipped
    model's card (a new task with as many classes), the head is replaced by a fresh one;
    `freeze_backbone=True` freezes everything but the head.
    """
    stored = name in list_pretrained(store=store)
    if stored:
        card = read_card(name, store)
        architecture = card["architecture"]["name"]
        if input_shape is not None and tuple(input_shape) != tuple(card["input_shape"]):
            raise ZooError(f"Pretrained model {name!r} takes inputs shaped {tuple(card['input_shape'])}. "
                           f"Received: input_shape={tuple(input_shape)!r}. Preprocess the data as its card says.")
        if pretrained:
            model = _load_verified(Path(store or STORE) / name, card)
        else:
            model = create(card["architecture"]["name"], input_shape=tuple(card["input_shape"]),
                           num_classes=card["num_classes"], **card["architecture"]["args"])
    else:
        get_builder(name)
        architecture = name
        if input_shape is None:
            raise ZooError(f"Model {name!r} has no shipped weights, so `input_shape` is needed to build it. "
                           f"Shipped pretrained models: {', '.join(list_pretrained(store=store)) or 'none'}.")
        arguments: dict[str, Any] = {}
        if pretrained:
            if "imagenet_weights" not in model_arguments(get_builder(name)):
                raise ZooError(f"Model {name!r} has no pretrained weights. Shipped pretrained models: "
                               f"{', '.join(list_pretrained(store=store)) or 'none'}; keras.applications entries "
                               f"load ImageNet weights. Use pretrained=False to train it from scratch.")
            arguments["imagenet_weights"] = True
        if output_activation:
            arguments["output_activation"] = output_activation
        if num_classes is None and model_info(name)["kind"] == "classifier":
            raise ZooError(f"Model {name!r} has no shipped weights, so its head needs `num_classes`.")
        model = create(name, input_shape=tuple(input_shape), num_classes=num_classes, **arguments)
    head = model.get_layer("head")
    new_task = stored and class_names is not None and list(class_names) != list(card.get("class_names", []))
    if new_task or (num_classes is not None and getattr(head, "units", num_classes) != num_classes):
        model = replace_head(model, num_classes or head.units, output_activation)
    if freeze_backbone:
        if model_info(architecture)["kind"] == "autoencoder":
            raise ZooError(f"Model {name!r} is an autoencoder; freeze its encoder with set_backbone_frozen.")
        set_backbone_frozen(model, True)
    return model


def _load_verified(folder: Path, card: dict[str, Any]) -> keras.Model:
    path = folder / MODEL_FILE
    if not path.is_file():
        raise ZooError(f"The weights file of pretrained model {folder.name!r} is missing: {path}.")
    actual = sha256_of(path)
    if actual != card.get("sha256"):
        raise ZooError(
            f"Refusing to load {path}: its sha256 is {actual}, but its card says {card.get('sha256')}. The file "
            f"was changed or damaged; restore it from the repository (git checkout -- {path})."
        )
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except ValueError as error:
        if "safe_mode" not in str(error):
            raise
        raise ZooError(
            f"Refusing to load {path}: it holds code (such as a Lambda layer) that Keras's safe mode will not run, "
            "and the zoo loads models only in safe mode. Rebuild the model from registered layers and publish it again."
        ) from None


def list_models_with_weights(pattern: str = "*", store: Path | None = None) -> list[str]:
    """Shipped pretrained models plus the keras.applications entries (ImageNet weights, fetched online)."""
    applications = [name for name in list_models(pattern) if "imagenet_weights" in model_arguments(get_builder(name))]
    return sorted(set(list_pretrained(pattern, store)) | set(applications))
