"""From a recipe with ranges to the recipe a run trains: every range replaced by a value.

`collect_ranges` finds each range by its dotted path, `check_ranges` refuses clashing names and
conditions on ranges that do not exist, and `resolve` gives a typed `Recipe` with no range left.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from engine.errors import RecipeError, suggestion
from engine.recipe import hp
from engine.recipe.schema import Recipe


def collect_ranges(value: Any, path: str = "") -> dict[str, hp.Range]:
    """Every range in a recipe (object or dict form), keyed by its dotted path."""
    found: dict[str, hp.Range] = {}
    if isinstance(value, hp.Range):
        found[path] = value
    elif hp.is_range_dict(value):
        found[path] = hp.from_dict(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            found.update(collect_ranges(getattr(value, item.name), _join(path, item.name)))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.update(collect_ranges(item, _join(path, str(key))))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(collect_ranges(item, _join(path, str(index))))
    return found


def check_ranges(ranges: dict[str, hp.Range]) -> None:
    """Refuse two different ranges under one name, and conditions on ranges that do not exist."""
    by_name: dict[str, tuple[str, hp.Range]] = {}
    for path, range_ in ranges.items():
        if range_.name in by_name and by_name[range_.name][1] != range_:
            raise RecipeError(
                f"Two different ranges share the name {range_.name!r} (at `{by_name[range_.name][0]}` and "
                f"`{path}`). Give each range its own name, or declare one range and reuse it."
            )
        by_name[range_.name] = (path, range_)
    for path, range_ in ranges.items():
        parent_name = getattr(range_, "parent_name", None)
        if parent_name is None:
            continue
        if parent_name not in by_name or parent_name == range_.name:
            raise RecipeError(
                f"The range {range_.name!r} at `{path}` depends on parent_name={parent_name!r}, which is not "
                f"another range of this recipe. {suggestion(parent_name, [n for n in by_name if n != range_.name])}"
            )
        parent = by_name[parent_name][1]
        possible = getattr(parent, "values", None) or ((False, True) if isinstance(parent, hp.Boolean) else None)
        if possible is not None and not set(range_.parent_values) <= set(possible):
            raise RecipeError(
                f"The range {range_.name!r} lists parent_values={list(range_.parent_values)!r}, but its parent "
                f"{parent_name!r} can only take {list(possible)!r}."
            )


def resolve(recipe: Recipe, values: dict[str, Any] | None = None) -> Recipe:
    """The recipe with every range replaced by a value: what a run trains and records.

    `values` maps a range's name to the value to use (a tuner's choice); any range not
    named there takes its default. A key holding an inactive conditional range is dropped.
    """
    ranges = collect_ranges(recipe)
    check_ranges(ranges)
    active = hp.active_values(list(ranges.values()), values)
    dropped = object()

    def walk(item: Any) -> Any:
        if hp.is_range_dict(item):
            return active.get(item["name"], dropped)
        if isinstance(item, dict):
            pairs = ((key, walk(inner)) for key, inner in item.items())
            return {key: inner for key, inner in pairs if inner is not dropped}
        if isinstance(item, list):
            return [inner for inner in map(walk, item) if inner is not dropped]
        return item

    return Recipe.from_dict(walk(recipe.to_dict()))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
