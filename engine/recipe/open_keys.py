"""Which keys an open part of a recipe accepts, read off what that part configures.

`model.args` takes the builder's arguments, `optimizer` the optimizer class's, each
callback its class's, `data.args` the source loader's, each preprocessing step its own, `tuner.args` the
chosen KerasTuner tuner's, a technique's field and a kind's own parts what the kind declares (engine.kinds).
Overrides use this to accept a key not yet in the recipe and to refuse a misspelt one.
"""

from __future__ import annotations

from typing import Any

from common.signatures import accepted_arguments
from engine.kinds import TECHNIQUES, every_kind, technique
from engine.recipe.schema import load_builder

# The parts whose keys are the fields of a schema dataclass, fixed whatever the recipe configures.
FIXED = ("", "data", "model", "tuner", "environment", "agent")


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
    # Imported here, not above: a recipe's fixed keys are checked without importing TensorFlow.
    import data
    import zoo
    from data.augmentation import LAYERS, SEQUENCE_LAYERS
    from engine.recipe.keras_objects import arguments_of, callback_class, optimizer_class
    from engine.recipe.tuners import tuner_arguments

    parts = path.split(".")
    if path == "model.args":
        model = config.get("model", {})
        if model.get("name"):
            return zoo.model_arguments(zoo.get_builder(model["name"]))
        if model.get("builder"):
            return zoo.model_arguments(load_builder(model["builder"]))
    if path in TECHNIQUES:  # a technique's own field takes its settings
        return technique(path).settings()
    for kind in every_kind():  # an open part a kind owns (an agent's `agent.args`)
        keys = kind.open_keys(config, path)
        if keys is not None:
            return keys
    if path == "optimizer" and isinstance(config.get("optimizer"), dict):
        return {"name": None, **arguments_of(optimizer_class(config["optimizer"]))}
    if len(parts) == 2 and parts[0] == "callbacks":
        return {"name": None, **arguments_of(callback_class(config["callbacks"][int(parts[1])]))}
    if path == "tuner.args" and isinstance(config.get("tuner"), dict):
        return tuner_arguments(config["tuner"].get("name", "random"))
    if path == "data.args":
        loader = data.get_source(config["data"]["source"])
        return accepted_arguments(loader)
    if len(parts) == 3 and parts[:2] == ["data", "preprocessing"]:
        step = config["data"]["preprocessing"][int(parts[2])]
        return {"name": None, **data.step_arguments(step["name"] if isinstance(step, dict) else step)}
    if len(parts) == 3 and parts[:2] == ["data", "augmentation"]:
        entry = config["data"]["augmentation"][int(parts[2])]
        layer = {**LAYERS, **SEQUENCE_LAYERS}.get(entry["name"] if isinstance(entry, dict) else entry)
        if layer is None:
            return {}  # an unknown name is reported by data.build_augmentation
        # The seed comes from the recipe's seed, and the image layout is always channels-last.
        return {"name": None, **{key: value for key, value in arguments_of(layer).items()
                                 if key not in ("seed", "data_format")}}
    return {}
