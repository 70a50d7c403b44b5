"""Loss, optimizer, metrics and callbacks built from Keras's own names or from the recipe's own code.

A loss, a metric or a callback may be a Keras name ("mse", "accuracy", "EarlyStopping") or a
reference to a top-level function or class, `"path/to/file.py:name"` or `"package.module:name"`
(recipe.json stores a function or class written in a recipe that way). Custom losses and
metrics are registered with Keras when imported (`keras.saving.register_keras_serializable`),
so model.keras names them; `custom_objects` imports them again to load it.

Each builder turns Keras's ValueError/TypeError into a RecipeError that names the recipe
field, the value received and the closest names Keras knows.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import keras

from common.references import import_reference, is_reference
from common.signatures import accepted_arguments, required_arguments, takes_any_keyword
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
    """Keyword arguments of a class's constructor with their defaults (None where required).

    A class of one's own whose constructor passes `**kwargs` on to its base also takes the
    base's arguments (a custom loss takes `name` and `reduction` from keras.losses.Loss).
    """
    return _arguments_and_openness(cls)[0]


def _is_keras(cls: type) -> bool:
    return cls.__module__ == "keras" or cls.__module__.startswith("keras.")


def _arguments_and_openness(cls: type) -> tuple[dict[str, Any], bool]:
    """`arguments_of(cls)`, and whether the class takes any keyword at all (`**kwargs` that no base names)."""
    if _is_keras(cls):
        return accepted_arguments(cls), False
    accepted: dict[str, Any] = {}
    for base in cls.__mro__:
        if base is object:
            return accepted, True
        if "__init__" in vars(base):
            accepted = {**accepted_arguments(base), **accepted}
            if not takes_any_keyword(base):
                return accepted, False
    return accepted, True


def import_custom(reference: str, what: str) -> Any:
    """The function or class `reference` names, registered with Keras's serialization when it can be saved.

    Registered as "<module or file stem>>name", which model.keras then records, unless its own
    code registered it already. Classes without `get_config` (callbacks) are not registered:
    nothing saves them.
    """
    found = import_reference(reference, what, RecipeError)
    registrable = inspect.isfunction(found) or (inspect.isclass(found) and hasattr(found, "get_config"))
    if registrable and ">" not in keras.saving.get_registered_name(found):
        location = reference.rpartition(":")[0]
        package = Path(location).stem if location.endswith(".py") else location
        keras.saving.register_keras_serializable(package=package)(found)
    return found


# How a user writes the base class a custom loss or metric derives from.
BASE_NAMES = {keras.losses.Loss: "keras.losses.Loss", keras.metrics.Metric: "keras.metrics.Metric"}


def _is_custom(spec: Any) -> bool:
    """Whether a loss or metric entry names user code: a reference, or a config whose class is one."""
    return is_reference(spec) or (isinstance(spec, dict) and is_reference(spec.get("class_name")))


def _reference_of(spec: str | dict) -> str:
    return spec if isinstance(spec, str) else spec["class_name"]


def _custom(spec: str | dict, where: str, base: type, kind: str) -> Any:
    """A custom loss or metric: a function as it is, a `base` subclass built with its config (or none)."""
    reference = _reference_of(spec)
    config = {} if isinstance(spec, str) else spec.get("config") or {}
    if not isinstance(config, dict):
        raise RecipeError(f"`{where}.config` must be a mapping of {reference}'s arguments. Received: {config!r}")
    found = import_custom(reference, f"`{where}`")
    if inspect.isclass(found) and issubclass(found, base):
        _check_arguments(f"{where}.config" if config else where, found, config)
        try:
            return found(**config)
        except (ValueError, TypeError) as error:
            raise RecipeError(f"`{where}` {found.__name__} refused its arguments {config!r}: {error}") from None
    if inspect.isfunction(found) and isinstance(spec, str):
        needed = required_arguments(found)
        if len(needed) != 2:
            raise RecipeError(f"`{where}`: the {kind} function {reference} must take (y_true, y_pred) and no other "
                              f"required argument. It requires: {', '.join(needed) or 'nothing'}.")
        return found
    raise RecipeError(
        f"`{where}` names {reference}, which is {_kind_of(found)}; a custom {kind} must be a function "
        f"(y_true, y_pred) or a subclass of {BASE_NAMES[base]}"
        + (" (only a class takes a config)." if isinstance(spec, dict) else ".")
    )


def _kind_of(found: Any) -> str:
    if inspect.isclass(found):
        return f"the class {found.__name__}"
    return f"a {type(found).__name__}"


def _loss_names() -> list[str]:
    helpers = ("get", "serialize", "deserialize")
    return [name for name in dir(keras.losses) if not name.startswith("_") and name not in helpers]


def build_loss(spec: str | dict) -> Any:
    """The recipe's loss, for `model.compile`.

    `spec` is what `keras.losses.get` accepts, a name ("mse") or `{"class_name": ..., "config": {...}}`,
    or the recipe's own loss: a reference to a function (y_true, y_pred) or to a keras.losses.Loss
    subclass (built with no arguments, or with `config` when the reference is the `class_name`).
    """
    if _is_custom(spec):
        return _custom(spec, "loss", keras.losses.Loss, "loss")
    try:
        return keras.losses.get(spec)
    except (ValueError, TypeError) as error:
        shown = spec if isinstance(spec, str) else spec.get("class_name", spec)
        raise RecipeError(
            f"`loss` must be a loss Keras knows (keras.losses.get) or a reference to your own, "
            f"'path/to/file.py:name'. Received: loss={spec!r}. {suggestion(str(shown), _loss_names())} ({error})"
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


def _build_metric(spec: Any, index: int) -> Any:
    """One entry of `metrics`: a Keras name or config as given (compile resolves it), or the recipe's own."""
    if _is_custom(spec):
        return _custom(spec, f"metrics.{index}", keras.metrics.Metric, "metric")
    try:
        keras.metrics.get(spec)
    except (ValueError, TypeError):
        known = [name for name in dir(keras.metrics) if not name.startswith("_")]
        raise RecipeError(
            f"`metrics` holds {spec!r}, which is not a Keras metric (keras.metrics.get) nor a reference to your "
            f"own, 'path/to/file.py:name'. {suggestion(str(spec), known)}"
        ) from None
    # Kept as written: compile turns "accuracy" into the variant that fits the loss and the labels.
    return spec


def build_metrics(specs: list) -> list:
    """The recipe's metrics, for `model.compile(metrics=...)`: fresh objects at every call.

    Keras names ("accuracy") and configs stay as they are; a reference becomes its function
    (y_true, y_pred), or an instance of its keras.metrics.Metric subclass.
    """
    return [_build_metric(spec, index) for index, spec in enumerate(specs)]


def metric_names(specs: list) -> list[str]:
    """The names Keras logs the recipe's metrics under, e.g. ["accuracy", "error_rate"]."""
    names = []
    for metric in build_metrics(specs):
        if isinstance(metric, str):
            names.append(metric)
        elif isinstance(metric, dict):
            names.append(metric.get("config", {}).get("name") or keras.metrics.get(metric).name)
        else:
            names.append(getattr(metric, "name", None) or metric.__name__)
    return names


def _callback_name(spec: Any) -> Any:
    return spec.get("name") if isinstance(spec, dict) else spec


def callback_class(spec: dict | str) -> type:
    """The class a `callbacks` entry names: a class in keras.callbacks, or a reference to a Callback subclass."""
    name = _callback_name(spec)
    if is_reference(name):
        found = import_custom(name, "`callbacks`")
        if not (inspect.isclass(found) and issubclass(found, keras.callbacks.Callback)):
            raise RecipeError(f"`callbacks` names {name}, which is {_kind_of(found)}; a custom callback must be a "
                              "subclass of keras.callbacks.Callback.")
        return found
    classes = callback_classes()
    if not isinstance(name, str) or name not in classes:
        raise RecipeError(
            f"Each entry of `callbacks` must name a class in keras.callbacks, like "
            f"{{'name': 'EarlyStopping', 'patience': 5}}, or your own subclass of keras.callbacks.Callback, "
            f"'path/to/file.py:Name'. Received: {spec!r}. {suggestion(str(name), classes)}"
        )
    return classes[name]


def build_callbacks(specs: list) -> list[keras.callbacks.Callback]:
    """Callbacks from `[{"name": "EarlyStopping", "patience": 5}, {"name": "file.py:MyCallback"}, ...]`.

    An entry may also be the bare name or reference, when the callback takes no arguments.
    """
    built = []
    for index, spec in enumerate(specs):
        cls = callback_class(spec)
        arguments = {key: value for key, value in spec.items() if key != "name"} if isinstance(spec, dict) else {}
        # Named as an override would name it: by a Keras class's name, by position for a reference.
        name = _callback_name(spec)
        _check_arguments(f"callbacks.{index if is_reference(name) else name}", cls, arguments)
        try:
            built.append(cls(**arguments))
        except (ValueError, TypeError) as error:
            raise RecipeError(f"Callback {cls.__name__} refused its arguments {arguments!r}: {error}") from None
    return built


def custom_objects(recipe_config: dict) -> dict[str, Any]:
    """The custom objects a run's model.keras needs, from its resolved recipe (recipe.json's content).

    Imports (and registers) every loss and metric the recipe names by reference, and adds the Keras
    layers and models defined beside its model builder. Keyed by the name model.keras records them
    under, for `keras.saving.load_model(path, custom_objects=..., safe_mode=True)`. Callbacks are
    left out: a saved model does not hold them.
    """
    found: dict[str, Any] = {}
    metrics = recipe_config.get("metrics") or []
    specs = [("loss", recipe_config.get("loss"))] + [(f"metrics.{index}", spec) for index, spec in enumerate(metrics)]
    for where, spec in specs:
        if _is_custom(spec):
            thing = import_custom(_reference_of(spec), f"`{where}`")
            found[keras.saving.get_registered_name(thing)] = thing
    builder = (recipe_config.get("model") or {}).get("builder")
    if is_reference(builder):
        module = inspect.getmodule(import_reference(builder, "`model.builder`", RecipeError))
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, keras.layers.Layer) and value.__module__ == module.__name__:
                found[keras.saving.get_registered_name(value)] = value
    return found


def _check_arguments(where: str, cls: type, arguments: dict) -> None:
    accepted, takes_anything = _arguments_and_openness(cls)
    if takes_anything:
        return
    owner = f"keras {cls.__name__}" if _is_keras(cls) else cls.__name__
    for key in arguments:
        if key not in accepted:
            raise RecipeError(f"`{where}.{key}` is not an argument of {owner}. {suggestion(key, accepted)}")
