"""Dotted overrides from the command line: `epochs=5 optimizer.learning_rate=0.01`.

Each key is checked before anything is built: it must name an existing field, or an
argument that the configured Keras class or builder accepts; the value must have the
type the field expects. Values are read as JSON where they parse (`5`, `0.01`, `true`,
`[64, 32]`, `null`) and as plain strings otherwise (`adam`).
"""

from __future__ import annotations

import json
from typing import Any

from engine.errors import RecipeError, suggestion
from engine.recipe import hp
from engine.recipe.open_keys import open_keys
from engine.recipe.schema import (
    Agent,
    Data,
    Environment,
    Model,
    Recipe,
    Tuner,
    field_types,
    matches_type,
    nested_class,
    type_names,
)

CLASS_AT = {"": Recipe, "data": Data, "model": Model, "tuner": Tuner, "environment": Environment, "agent": Agent}


def parse_assignments(words: list[str]) -> dict[str, Any]:
    """`["epochs=5", "model.args.units=[64]"]` -> `{"epochs": 5, "model.args.units": [64]}`."""
    assignments: dict[str, Any] = {}
    for word in words:
        key, sign, text = word.partition("=")
        if not sign or not key or any(part == "" for part in key.split(".")):
            raise RecipeError(
                f"Overrides are written key=value with a dotted key, e.g. epochs=5 or "
                f"optimizer.learning_rate=0.01. Received: {word!r}"
            )
        assignments[key] = parse_value(text)
    return assignments


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered in ("none", "null"):
            return None
        return text


def apply_overrides(recipe: Recipe, assignments: dict[str, Any]) -> Recipe:
    """A new recipe with each dotted key set, or a RecipeError naming the first bad one."""
    config = recipe.to_dict()
    for key, value in assignments.items():
        _assign(config, key, value)
    return Recipe.from_dict(config)


def _assign(config: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    container: Any = config
    path = ""
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = f"{path}.{part}" if path else part
        if isinstance(container, list):
            index = _list_index(container, part, here)
            if last:
                raise RecipeError(f"Override `{key}` would replace a whole list entry; set one of its keys.")
            container, path = container[index], f"{path}.{index}"
            continue
        if not isinstance(container, dict) or hp.is_range_dict(container):
            raise RecipeError(f"Override `{key}`: `{path}` holds a single value, not fields.")
        cls = CLASS_AT.get(path)
        accepted = open_keys(config, path)
        allowed = list(container) + list(accepted)
        if part not in allowed and not allowed:
            raise RecipeError(
                f"Unknown override key `{here}`: `{path}` accepts no keys in this recipe"
                + (" (a pretrained model takes its arguments from its card)." if path == "model.args" else ".")
            )
        if part not in allowed:
            nested = nested_keys(config, key)
            hint = (f"Did you mean {' or '.join(f'`{name}`' for name in nested)}?" if nested
                    else suggestion(part, allowed))
            raise RecipeError(
                f"Unknown override key `{here}`. {hint} "
                f"Keys under `{path or 'the recipe'}`: {', '.join(sorted(set(allowed)))}."
            )
        if last:
            current = container[part] if part in container else accepted.get(part)
            expected = _expected_types(cls, part, current)
            if expected and not matches_type(value, expected):
                raise RecipeError(
                    f"Override `{key}` expects {type_names(expected)}. "
                    f"Received: {value!r} ({type(value).__name__})."
                )
            container[part] = value
            return
        if part not in container or container[part] is None:
            raise RecipeError(f"Override `{key}`: `{here}` is not set in this recipe, so it has no keys.")
        container, path = container[part], here


def nested_keys(config: dict, key: str, limit: int = 3) -> list[str]:
    """Other dotted keys of the recipe whose last part is `key`'s: `total_steps` finds `agent.total_steps`."""
    wanted = key.split(".")[-1]
    return [leaf for leaf in _dotted_keys(config) if leaf.split(".")[-1] == wanted and leaf != key][:limit]


def _dotted_keys(value: Any, path: str = ""):
    """Every settable dotted key under `value`; a list entry with a name is reached by it."""
    if isinstance(value, dict) and not hp.is_range_dict(value):
        for name, inner in value.items():
            here = f"{path}.{name}" if path else str(name)
            yield here
            yield from _dotted_keys(inner, here)
    elif isinstance(value, list):
        for index, entry in enumerate(value):
            label = entry.get("name", index) if isinstance(entry, dict) else index
            yield from (key for key in _dotted_keys(entry, f"{path}.{label}") if key != f"{path}.{label}.name")


def _expected_types(cls: type | None, key: str, current: Any) -> tuple[type, ...] | None:
    if cls is not None and key in field_types(cls):
        return (dict,) if nested_class(cls, key) else field_types(cls)[key]
    if current is None:
        return None
    if hp.is_range_dict(current):
        kind = hp.from_dict(current).value_type
        return (float,) if kind is float else (kind,)
    if isinstance(current, bool):
        return (bool,)
    if isinstance(current, (int, float)):
        return (float,) if isinstance(current, float) else (int,)
    if isinstance(current, (list, tuple)):
        return (list,)
    return (type(current),)


def value_at(config: dict, key: str) -> Any:
    """The value a dotted key names in a recipe dict (list entries by index or name); None when not set."""
    container: Any = config
    for part in key.split("."):
        if isinstance(container, list):
            names = [item.get("name") if isinstance(item, dict) else None for item in container]
            index = int(part) if part.isdigit() else (names.index(part) if part in names else None)
            container = container[index] if index is not None and index < len(container) else None
        elif isinstance(container, dict):
            container = container.get(part)
        else:
            return None
    return container


def _list_index(items: list, part: str, here: str) -> int:
    if part.isdigit() and int(part) < len(items):
        return int(part)
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if part in names:
        return names.index(part)
    choices = [str(index) for index in range(len(items))] + [name for name in names if name]
    raise RecipeError(f"Override key `{here}` names no entry. {suggestion(part, choices)}")
