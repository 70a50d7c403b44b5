"""Which keys an open part of a recipe accepts, read off what that part configures.

`model.args` takes the builder's arguments, `optimizer` the optimizer class's, each
callback its class's, `data.args` the source loader's, each preprocessing step its own, `tuner.args` the
chosen KerasTuner tuner's, a technique's field and a kind's own parts what the kind declares (engine.kinds).
Overrides use this to accept a key not yet in the recipe and to refuse a misspelt one, and `make show` to list them.

None of it imports TensorFlow where the answer can be had without: a kind's keys come from its declaration
(engine.kinds.declaration), a zoo builder's and a data loader's from their source (common.declared.registrations),
Keras's and KerasTuner's classes' from a snapshot (engine.recipe.keras_signatures). What only the code itself can
tell (a builder or callback of one's own, a preprocessing step, an augmentation layer) is imported when asked for.
Tests hold each of these readings equal to what importing gives.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

from common.declared import Registration, registrations
from common.signatures import accepted_arguments
from engine.kinds import TECHNIQUES, declaration, every_declaration
from engine.recipe import keras_signatures
from engine.recipe.schema import load_builder

# The parts whose keys are the fields of a schema dataclass, fixed whatever the recipe configures.
FIXED = ("", "data", "model", "tuner", "environment", "agent")
# A zoo builder's arguments that come from the data, not the recipe (zoo.registry.DATA_ARGUMENTS, which a
# contract test holds equal): model.args never takes them.
DATA_ARGUMENTS = ("input_shape", "num_classes")


def open_keys(config: dict, path: str) -> dict[str, Any]:
    """Accepted keys (with defaults) under the dotted `path` of a recipe dict; {} when fixed."""
    try:
        return _open_keys(config, path)
    except ValueError:
        # An unknown model, optimizer or source is reported by its own check, later.
        return {}


def _open_keys(config: dict, path: str) -> dict[str, Any]:
    if path in FIXED:
        return {}
    parts = path.split(".")
    if path == "model.args":
        model = config.get("model", {})
        if model.get("name"):
            return _registered(("zoo", "register_model"), model["name"], _live_model_arguments,
                               leave_out=DATA_ARGUMENTS)
        if model.get("builder"):
            import zoo

            return zoo.model_arguments(load_builder(model["builder"]))
    if path in TECHNIQUES:  # a technique's own field takes its settings
        return declaration(TECHNIQUES[path]).settings()
    for kind in every_declaration():  # an open part a kind owns (an agent's `agent.args`)
        keys = kind.open_keys(config, path)
        if keys is not None:
            return keys
    if path == "optimizer" and isinstance(config.get("optimizer"), dict):
        arguments = keras_signatures.optimizer_arguments(config["optimizer"])
        return {} if arguments is None else {"name": None, **arguments}
    if len(parts) == 2 and parts[0] == "callbacks":
        arguments = keras_signatures.callback_arguments(config["callbacks"][int(parts[1])])
        return {} if arguments is None else {"name": None, **arguments}
    if path == "tuner.args" and isinstance(config.get("tuner"), dict):
        return keras_signatures.tuner_arguments(config["tuner"].get("name", "random"))
    if path == "data.args":
        return _registered(("data", "register_source"), config["data"]["source"], _live_source_arguments)
    if len(parts) == 3 and parts[:2] == ["data", "preprocessing"]:
        return _step_keys(config, int(parts[2]))
    if len(parts) == 3 and parts[:2] == ["data", "augmentation"]:
        return _augmentation_keys(config, int(parts[2]))
    return {}


def _registered(registry: tuple[str, str], name: str, live: Callable[[str], dict[str, Any]],
                leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """The arguments of the zoo model or data source `name`, read from its source (common.declared.registrations)
    where that tells them: it is registered there and its defaults are literals. Otherwise `live(name)` imports the
    registry, and TensorFlow with it; while the package is not imported, nothing else can have registered a name
    its modules do not, so an unknown name has no arguments."""
    package = registry[0]
    found = _registrations(registry).get(name) if isinstance(name, str) else None
    if found is None and package not in sys.modules:
        return {}
    if found is None or found.arguments is None:
        return live(name)
    return {key: value for key, value in found.arguments.items() if key not in leave_out}


@functools.cache
def _registrations(registry: tuple[str, str]) -> dict[str, Registration]:
    return {found.name: found for found in registrations(*registry)}


def _live_model_arguments(name: str) -> dict[str, Any]:
    import zoo

    return zoo.model_arguments(zoo.get_builder(name))


def _live_source_arguments(name: str) -> dict[str, Any]:
    import data

    return accepted_arguments(data.get_source(name))


def _step_keys(config: dict, index: int) -> dict[str, Any]:
    import data

    step = config["data"]["preprocessing"][index]
    return {"name": None, **data.step_arguments(step["name"] if isinstance(step, dict) else step)}


def _augmentation_keys(config: dict, index: int) -> dict[str, Any]:
    from data.augmentation import LAYERS, SEQUENCE_LAYERS
    from engine.recipe.keras_objects import arguments_of

    entry = config["data"]["augmentation"][index]
    layer = {**LAYERS, **SEQUENCE_LAYERS}.get(entry["name"] if isinstance(entry, dict) else entry)
    if layer is None:
        return {}  # an unknown name is reported by data.build_augmentation
    # The seed comes from the recipe's seed, and the image layout is always channels-last.
    return {"name": None, **{key: value for key, value in arguments_of(layer).items()
                             if key not in ("seed", "data_format")}}
