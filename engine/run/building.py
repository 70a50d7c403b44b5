"""From a resolved recipe (a `Recipe` with no range left) to data, a compiled model and datasets.

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
from common.signatures import accepted_arguments, keep_accepted, takes_any_keyword
from engine.errors import RecipeError
from engine.kinds import kind_of
from engine.recipe.keras_objects import build_loss, build_metrics, build_optimizer, metric_names
from engine.recipe.schema import Model, Recipe, load_builder
from engine.recipe.validation import check_numbers
from engine.run.init_from import check_run_source, is_run_folder, model_from_run
from engine.run.speed import check_compiled, check_precision_applied, compile_options, precision_policy


def check_resolved(resolved: dict[str, Any]) -> None:
    """Checks on values that only make sense once ranges are resolved."""
    check_numbers(resolved)


def prepare_data(recipe: Recipe) -> data.Prepared:
    """The splits a resolved recipe trains and is tested on, exactly as a run prepares them."""
    spec = recipe.data
    # A kind without labels does not read them even to split: shuffled labels give the same splits.
    stratify = spec.stratify and kind_of(recipe).labelled
    prepared = data.prepare(spec.source, spec.args, validation_split=spec.validation_split,
                            test_split=spec.test_split, stratify=stratify, preprocessing=spec.preprocessing,
                            seed=recipe.seed, train_per_class=spec.train_per_class, label_noise=spec.label_noise)
    prepared.augmentation = data.build_augmentation(spec.augmentation or [], recipe.seed, prepared.input_shape)
    return prepared


def check_model(recipe: Recipe) -> None:
    """Refuse, before any data is read, a model the engine could not build: an unknown zoo name, arguments
    the builder does not take, or a builder that cannot take the input shape and the number of classes."""
    spec = recipe.model
    if is_run_folder(spec.name):
        check_run_source(spec.name, spec.args)
        return
    if spec.name:
        if spec.name not in zoo.list_pretrained():
            zoo.registry.check_arguments(spec.name, zoo.get_builder(spec.name), spec.args)
        return
    builder = load_builder(spec.builder)
    zoo.registry.check_arguments(spec.builder, builder, spec.args)
    missing = [name for name in zoo.registry.DATA_ARGUMENTS
               if name not in accepted_arguments(builder) and not takes_any_keyword(builder)]
    if missing:
        raise RecipeError(
            f"The model builder {spec.builder!r} must accept {' and '.join(missing)}: the engine passes the shape "
            "of one sample and the number of output units, read off the data. Write it as "
            "`def build(input_shape, num_classes, ...)` (it may also take `output_activation`)."
        )


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


def _architecture(spec: Model, prepared: data.Prepared, output: dict[str, Any]) -> keras.Model:
    """The uncompiled model a recipe's `model` declares, for this data's shape and output layer."""
    if is_run_folder(spec.name):
        return model_from_run(spec.name, prepared, output, spec.freeze_backbone)
    if spec.name and (spec.pretrained or spec.name in zoo.list_pretrained()):
        if spec.args and spec.name in zoo.list_pretrained():
            raise RecipeError(f"`model.args` must be empty for the pretrained model {spec.name!r}: "
                              "its architecture and arguments come from its card.")
        return zoo.load(spec.name, pretrained=spec.pretrained, num_classes=output["units"],
                        freeze_backbone=spec.freeze_backbone, input_shape=prepared.input_shape,
                        output_activation=output["activation"],
                        class_names=prepared.class_names if output["units"] else None)
    arguments = {**spec.args, "output_activation": output["activation"]} if output["units"] else dict(spec.args)
    if spec.name:
        if spec.freeze_backbone:
            raise RecipeError("`model.freeze_backbone` needs pretrained weights: set model.pretrained=true.")
        return zoo.create(spec.name, prepared.input_shape, output["units"], **arguments)
    # A builder gets what its signature takes: `output_activation` only where it asks for it.
    builder = load_builder(spec.builder)
    return builder(**keep_accepted(builder, {"input_shape": prepared.input_shape, "num_classes": output["units"],
                                             **arguments}))


def build_model(recipe: Recipe, prepared: data.Prepared,
                strategy: tf.distribute.Strategy) -> tuple[keras.Model, dict[str, Any]]:
    """The recipe's model, compiled under `strategy`, and a description of its output layer."""
    loss = build_loss(recipe.loss)
    metrics = build_metrics(recipe.metrics)
    output = output_layer(loss, prepared, recipe.model.args) if kind_of(recipe).labelled else \
        {"units": None, "activation": recipe.model.args.get("output_activation", "the model's own")}
    with strategy.scope():
        with precision_policy(recipe.precision or "float32"):
            model = _architecture(recipe.model, prepared, output)
        if not isinstance(model, keras.Model):
            raise RecipeError(f"The model builder returned {type(model).__name__}, not a keras.Model.")
        check_precision_applied(model, recipe.precision or "float32")
        model.compile(optimizer=build_optimizer(recipe.optimizer), loss=loss, metrics=metrics,
                      **compile_options(recipe))
    check_compiled(model, recipe.jit_compile)
    return model, output


def make_datasets(prepared: data.Prepared, global_batch: int, seed: int,
                  labelled: bool = True) -> dict[str, tf.data.Dataset]:
    """train (shuffled, augmented if the recipe says so), validation and test pipelines with the global batch.

    Without `labelled` (a kind that learns without labels) every input is its own target: the labels are
    never in a batch.
    """
    pairs = {name: (features, targets if labelled else features)
             for name, (features, targets) in prepared.splits.items()}
    return {
        name: data.pipeline.make_dataset(*pairs[name], global_batch, shuffle=(name == "train"), seed=seed,
                                         augment=prepared.augmentation if name == "train" else None)
        for name in ("train", "validation", "test")
    }


def logged_metric_names(recipe: Recipe) -> list[str]:
    """Names Keras logs for the recipe's loss and metrics, e.g. ["loss", "accuracy"]."""
    return ["loss", *metric_names(recipe.metrics)]


def check_fine_tune(recipe: Recipe) -> dict[str, Any]:
    """The second phase's settings, checked: {} when the recipe has none."""
    phase = recipe.fine_tune or {}
    if not phase:
        return {}
    unknown = sorted(set(phase) - {"epochs", "learning_rate"})
    if unknown:
        raise RecipeError(f"`fine_tune` takes `epochs` and `learning_rate`. Received unknown: {', '.join(unknown)}.")
    epochs, rate = phase.get("epochs"), phase.get("learning_rate")
    if not isinstance(epochs, int) or epochs < 1 or not isinstance(rate, (int, float)) or rate <= 0:
        raise RecipeError("`fine_tune` needs whole `epochs` >= 1 and a `learning_rate` > 0, e.g. "
                          f"{{'epochs': 20, 'learning_rate': 1e-4}}. Received: {phase!r}")
    if not recipe.model.freeze_backbone:
        raise RecipeError("`fine_tune` unfreezes a frozen backbone; set model.freeze_backbone=true for phase one.")
    return phase


def unfreeze_for_fine_tuning(model: keras.Model, recipe: Recipe, strategy: tf.distribute.Strategy) -> None:
    """Phase two: unfreeze the backbone (batch norm stays frozen) and recompile at the lower rate."""
    optimizer = recipe.optimizer
    optimizer = dict(optimizer) if isinstance(optimizer, dict) else {"name": optimizer}
    optimizer["learning_rate"] = recipe.fine_tune["learning_rate"]
    with strategy.scope():
        zoo.set_backbone_frozen(model, False)
        model.compile(optimizer=build_optimizer(optimizer), loss=build_loss(recipe.loss),
                      metrics=build_metrics(recipe.metrics), **compile_options(recipe))
