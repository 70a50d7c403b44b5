"""Loss, optimizer, metrics and callbacks built from Keras's own names.

Each builder turns Keras's ValueError/TypeError into a RecipeError that names the recipe
field, the value received and the closest names Keras knows.
"""

from __future__ import annotations

from typing import Any

import keras

from common.signatures import accepted_arguments
from engine.errors import RecipeError, suggestion


def _classes(module, base: type) -> dict[str, type]:
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, base) and value is not base
    }


def optimizer_classes() -> dict[str, type]:
    """Keras optimizer classes by lower-case name ("adam", "sgd", "rmsprop", ...)."""
    return {name.lower(): cls for name, cls in _classes(keras.optimizers, keras.optimizers.Optimizer).items()}


def callback_classes() -> dict[str, type]:
    """Keras callback classes by class name ("EarlyStopping", "ReduceLROnPlateau", ...)."""
    return _classes(keras.callbacks, keras.callbacks.Callback)


def arguments_of(cls: type) -> dict[str, Any]:
    """Keyword arguments of a class's constructor with their defaults (None where required)."""
    return accepted_arguments(cls)


def _loss_names() -> list[str]:
    helpers = ("get", "serialize", "deserialize")
    return [name for name in dir(keras.losses) if not name.startswith("_") and name not in helpers]


def build_loss(spec: str | dict) -> Any:
    """`keras.losses.get(spec)`: a name ("mse") or `{"class_name": ..., "config": {...}}`."""
    try:
        return keras.losses.get(spec)
    except (ValueError, TypeError) as error:
        shown = spec if isinstance(spec, str) else spec.get("class_name", spec)
        raise RecipeError(
            f"`loss` must be a loss Keras knows (keras.losses.get). Received: loss={spec!r}. "
            f"{suggestion(str(shown), _loss_names())} ({error})"
        ) from None


def optimizer_class(spec: dict | str) -> type:
    """The Keras optimizer class a recipe's `optimizer` names."""
    name = spec if isinstance(spec, str) else spec.get("name")
    classes = optimizer_classes()
    if not isinstance(name, str) or name.lower() not in classes:
        raise RecipeError(
            f"`optimizer.name` must be a Keras optimizer. Received: name={name!r}. "
            f"{suggestion(str(name).lower(), classes)}"
        )
    return classes[name.lower()]


def build_optimizer(spec: dict | str) -> keras.optimizers.Optimizer:
    """An optimizer from `{"name": "adam", "learning_rate": 1e-3, ...}`.

    The learning rate may be a number or a schedule in Keras's serialized form,
    `{"class_name": "CosineDecay", "config": {...}}`.
    """
    cls = optimizer_class(spec)
    arguments = {} if isinstance(spec, str) else {key: value for key, value in spec.items() if key != "name"}
    _check_arguments("optimizer", cls, arguments)
    learning_rate = arguments.get("learning_rate")
    if isinstance(learning_rate, dict):
        try:
            arguments["learning_rate"] = keras.optimizers.schedules.deserialize(learning_rate)
        except (ValueError, TypeError) as error:
            raise RecipeError(
                "`optimizer.learning_rate` must be a number or a Keras schedule such as "
                "{'class_name': 'CosineDecay', 'config': {'initial_learning_rate': 0.01, 'decay_steps': 1000}}. "
                f"Received: {learning_rate!r} ({error})"
            ) from None
    try:
        return cls(**arguments)
    except (ValueError, TypeError) as error:
        raise RecipeError(f"`optimizer` {cls.__name__} refused its arguments {arguments!r}: {error}") from None


def check_metrics(specs: list) -> None:
    """Refuse metric names `keras.metrics.get` does not know."""
    for spec in specs:
        try:
            keras.metrics.get(spec)
        except (ValueError, TypeError):
            known = [name for name in dir(keras.metrics) if not name.startswith("_")]
            raise RecipeError(
                f"`metrics` holds {spec!r}, which is not a Keras metric (keras.metrics.get). "
                f"{suggestion(str(spec), known)}"
            ) from None


def callback_class(spec: dict) -> type:
    classes = callback_classes()
    name = spec.get("name") if isinstance(spec, dict) else spec
    if not isinstance(name, str) or name not in classes:
        raise RecipeError(
            f"Each entry of `callbacks` must name a class in keras.callbacks, like "
            f"{{'name': 'EarlyStopping', 'patience': 5}}. Received: {spec!r}. {suggestion(str(name), classes)}"
        )
    return classes[name]


def build_callbacks(specs: list) -> list[keras.callbacks.Callback]:
    """Callbacks from `[{"name": "EarlyStopping", "patience": 5}, ...]`."""
    built = []
    for spec in specs:
        cls = callback_class(spec)
        arguments = {key: value for key, value in spec.items() if key != "name"}
        _check_arguments(f"callbacks.{spec['name']}", cls, arguments)
        try:
            built.append(cls(**arguments))
        except (ValueError, TypeError) as error:
            raise RecipeError(f"Callback {cls.__name__} refused its arguments {arguments!r}: {error}") from None
    return built


def _check_arguments(where: str, cls: type, arguments: dict) -> None:
    accepted = arguments_of(cls)
    for key in arguments:
        if key not in accepted:
            raise RecipeError(
                f"`{where}.{key}` is not an argument of keras {cls.__name__}. {suggestion(key, accepted)}"
            )
