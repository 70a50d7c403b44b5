"""From a resolved recipe (plain data, no ranges left) to data, a compiled model and datasets.

Shared by plain runs (engine.run.training) and searches (engine.tune.search), so a trial builds
exactly what a run with the same values would.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

import data
import data.pipeline
import zoo
from engine.errors import RecipeError
from engine.recipe.schema import load_builder
from engine.run.keras_objects import build_loss, build_optimizer, check_metrics


def check_resolved(resolved: dict[str, Any]) -> None:
    """Checks on values that only make sense once ranges are resolved."""
    for field in ("batch_size", "epochs"):
        if resolved[field] < 1:
            raise RecipeError(f"`{field}` must be at least 1. Received: {field}={resolved[field]!r}")


def prepare_data(resolved: dict[str, Any]) -> data.Prepared:
    """The splits a resolved recipe trains and is tested on, exactly as a run prepares them."""
    spec = resolved["data"]
    prepared = data.prepare(spec["source"], spec["args"], spec["validation_split"], spec["test_split"],
                            spec["stratify"], spec["preprocessing"], resolved["seed"], spec.get("train_per_class"))
    prepared.augmentation = data.build_augmentation(spec.get("augmentation") or [], resolved["seed"],
                                                    prepared.input_shape)
    return prepared


# Words in the names of losses that only make sense for class labels.
CLASSIFICATION_LOSSES = ("crossentropy", "hinge", "focal")


def output_layer(loss: Any, prepared: data.Prepared, model_args: dict) -> dict[str, Any]:
    """Units and activation of the output layer, read off the task and the loss."""
    loss_name = getattr(loss, "__name__", type(loss).__name__).lower()
    if prepared.task == data.REGRESSION and any(word in loss_name for word in CLASSIFICATION_LOSSES):
        raise RecipeError(
            f"The loss {loss_name!r} needs class labels, but the data source gives regression targets (real "
            "numbers). Use a regression loss such as 'mse' or 'huber', or a source with classes (for a table, "
            "data.args.task='classification')."
        )
    if prepared.task == data.CLASSIFICATION and prepared.num_classes < 2:
        raise RecipeError(f"Classification needs at least two classes; the data has {prepared.num_classes}.")
    if prepared.task == data.REGRESSION:
        units, activation = prepared.num_targets, "linear"
    elif "binary" in loss_name and prepared.num_classes == 2:
        units, activation = 1, "sigmoid"
    else:
        units, activation = prepared.num_classes, "softmax"
    return {"units": units, "activation": model_args.get("output_activation", activation)}


def build_model(
    resolved: dict[str, Any], prepared: data.Prepared, strategy: tf.distribute.Strategy
) -> tuple[keras.Model, dict[str, Any]]:
    """The recipe's model, compiled under `strategy`, and a description of its output layer."""
    loss = build_loss(resolved["loss"])
    check_metrics(resolved["metrics"])
    model_spec = resolved["model"]
    output = output_layer(loss, prepared, model_spec["args"])
    arguments = {**model_spec["args"], "output_activation": output["activation"]}
    with strategy.scope():
        if model_spec["name"] and (model_spec.get("pretrained") or model_spec["name"] in zoo.list_pretrained()):
            if model_spec["args"] and model_spec["name"] in zoo.list_pretrained():
                raise RecipeError(f"`model.args` must be empty for the pretrained model {model_spec['name']!r}: "
                                  "its architecture and arguments come from its card.")
            model = zoo.load(model_spec["name"], pretrained=model_spec.get("pretrained", False),
                             num_classes=output["units"], freeze_backbone=model_spec.get("freeze_backbone", False),
                             input_shape=prepared.input_shape, output_activation=output["activation"])
        elif model_spec["name"]:
            if model_spec.get("freeze_backbone"):
                raise RecipeError("`model.freeze_backbone` needs pretrained weights: set model.pretrained=true.")
            model = zoo.create(model_spec["name"], prepared.input_shape, output["units"], **arguments)
        else:
            builder = load_builder(model_spec["builder"])
            zoo.registry.check_arguments(model_spec["builder"], builder, model_spec["args"])
            model = builder(input_shape=prepared.input_shape, num_classes=output["units"], **arguments)
        if not isinstance(model, keras.Model):
            raise RecipeError(f"The model builder returned {type(model).__name__}, not a keras.Model.")
        model.compile(optimizer=build_optimizer(resolved["optimizer"]), loss=loss, metrics=resolved["metrics"])
    return model, output


def make_datasets(prepared: data.Prepared, global_batch: int, seed: int) -> dict[str, tf.data.Dataset]:
    """train (shuffled, augmented if the recipe says so), validation and test pipelines with the global batch."""
    return {
        name: data.pipeline.make_dataset(*prepared.splits[name], global_batch, shuffle=(name == "train"), seed=seed,
                                         augment=prepared.augmentation if name == "train" else None)
        for name in ("train", "validation", "test")
    }


def logged_metric_names(resolved: dict[str, Any]) -> list[str]:
    """Names Keras logs for the recipe's loss and metrics, e.g. ["loss", "accuracy"]."""
    names = ["loss"]
    for metric in resolved["metrics"]:
        if isinstance(metric, str):
            names.append(metric)
        elif isinstance(metric, dict):
            config = metric.get("config", {})
            names.append(config.get("name") or keras.metrics.get(metric).name)
    return names


def check_fine_tune(resolved: dict[str, Any]) -> dict[str, Any]:
    """The second phase's settings, checked: {} when the recipe has none."""
    phase = resolved.get("fine_tune") or {}
    if not phase:
        return {}
    unknown = sorted(set(phase) - {"epochs", "learning_rate"})
    if unknown:
        raise RecipeError(f"`fine_tune` takes `epochs` and `learning_rate`. Received unknown: {', '.join(unknown)}.")
    epochs, rate = phase.get("epochs"), phase.get("learning_rate")
    if not isinstance(epochs, int) or epochs < 1 or not isinstance(rate, (int, float)) or rate <= 0:
        raise RecipeError("`fine_tune` needs whole `epochs` >= 1 and a `learning_rate` > 0, e.g. "
                          f"{{'epochs': 20, 'learning_rate': 1e-4}}. Received: {phase!r}")
    if not resolved["model"].get("freeze_backbone"):
        raise RecipeError("`fine_tune` unfreezes a frozen backbone; set model.freeze_backbone=true for phase one.")
    return phase


def unfreeze_for_fine_tuning(model: keras.Model, resolved: dict[str, Any], strategy: tf.distribute.Strategy) -> None:
    """Phase two: unfreeze the backbone (batch norm stays frozen) and recompile at the lower rate."""
    phase = resolved["fine_tune"]
    optimizer = resolved["optimizer"]
    optimizer = dict(optimizer) if isinstance(optimizer, dict) else {"name": optimizer}
    optimizer["learning_rate"] = phase["learning_rate"]
    with strategy.scope():
        zoo.set_backbone_frozen(model, False)
        model.compile(optimizer=build_optimizer(optimizer), loss=build_loss(resolved["loss"]),
                      metrics=resolved["metrics"])
