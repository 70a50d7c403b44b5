"""One registry of architectures, filled by a decorator on each builder.

    @register_model
    def mlp(input_shape, num_classes, width=64, ...): ...

The builder's function name is the model name. `create` checks arguments against the
builder's signature, so a typo is an error that names the accepted arguments.
"""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable
from typing import Any

import keras

from common.errors import close_matches
from common.signatures import accepted_arguments, takes_any_keyword
from zoo.errors import ZooError

_MODELS: dict[str, Callable[..., keras.Model]] = {}
# What the registry knows about each model besides its builder: an input shape it accepts (the
# registry tests build every model with it) and its kind ("classifier": the head outputs
# num_classes units; "autoencoder": the head reconstructs the input; "contrastive": the head projects
# two random views of the input, trained with zoo.contrastive.NTXent).
_INFO: dict[str, dict[str, Any]] = {}
# Supplied by whoever builds the model (the engine reads them off the data), not by a recipe.
DATA_ARGUMENTS = ("input_shape", "num_classes")
KINDS = ("classifier", "autoencoder", "contrastive")


def register_model(builder: Callable[..., keras.Model] | None = None, *,
                   example_input_shape: tuple[int, ...] = (8,), kind: str = "classifier"):
    """Register a builder under its function name: `@register_model` or `@register_model(...)`."""

    def decorate(function: Callable[..., keras.Model]) -> Callable[..., keras.Model]:
        name = function.__name__
        if name in _MODELS:
            raise ValueError(f"A zoo model named {name!r} is already registered.")
        parameters = inspect.signature(function).parameters
        missing = [argument for argument in DATA_ARGUMENTS if argument not in parameters]
        if missing:
            raise ValueError(f"Zoo builder {name!r} must accept {', '.join(missing)}.")
        if kind not in KINDS:
            raise ValueError(f"`kind` must be one of {KINDS}. Received: kind={kind!r}")
        _MODELS[name] = function
        _INFO[name] = {"example_input_shape": tuple(example_input_shape), "kind": kind}
        return function

    return decorate(builder) if builder is not None else decorate


def model_info(name: str) -> dict[str, Any]:
    """The registry's metadata of a model: example input shape and kind."""
    get_builder(name)
    return dict(_INFO[name])


def list_models(pattern: str = "*") -> list[str]:
    """Registered model names matching a shell-style wildcard, e.g. `"*cnn*"`."""
    return sorted(name for name in _MODELS if fnmatch.fnmatch(name, pattern))


def get_builder(name: str) -> Callable[..., keras.Model]:
    """The builder registered as `name`, or a ZooError naming the closest models."""
    if name not in _MODELS:
        close = close_matches(name, _MODELS)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ZooError(
            f"No zoo model named {name!r}.{hint} Registered models: {', '.join(list_models())}."
        )
    return _MODELS[name]


def model_arguments(builder: Callable) -> dict[str, Any]:
    """The tunable arguments of a builder with their defaults (data arguments left out)."""
    return accepted_arguments(builder, leave_out=DATA_ARGUMENTS)


def check_arguments(name: str, builder: Callable, arguments: dict[str, Any]) -> None:
    """Refuse arguments the builder does not take, naming the ones it does."""
    accepted = model_arguments(builder)
    takes_any = takes_any_keyword(builder)
    for key in arguments:
        if key in DATA_ARGUMENTS:
            raise ZooError(f"`{key}` of model {name!r} is read from the data; remove it from the model arguments.")
        if key not in accepted and not takes_any:
            close = close_matches(key, accepted, limit=2)
            hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise ZooError(
                f"Model {name!r} takes no argument `{key}`.{hint} Its arguments: {', '.join(accepted)}."
            )


def create(name: str, input_shape: tuple[int, ...] | None = None, num_classes: int | None = None,
           **arguments: Any) -> keras.Model:
    """Build the zoo model `name` for inputs of `input_shape` and `num_classes` output units.

    Classifiers need `num_classes`; autoencoders ignore it (their head rebuilds the input).
    A model given a `feature_space` reads its inputs from it and needs no `input_shape`.
    """
    builder = get_builder(name)
    check_arguments(name, builder, arguments)
    if input_shape is None and arguments.get("feature_space") is None:
        raise ZooError(f"zoo.create({name!r}) needs `input_shape`, the shape of one sample, e.g. (8, 8, 1).")
    return builder(input_shape=None if input_shape is None else tuple(input_shape), num_classes=num_classes,
                   **arguments)
