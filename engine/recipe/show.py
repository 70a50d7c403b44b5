"""`make show NAME=...`: a recipe's every override key with its value, what it accepts and what it means.

The value is the resolved recipe's (a range shows its default and span, as `make tune` searches it); what a
key accepts comes from the validation table (engine.recipe.validation) or else the field's declared type;
what it means is the comment written beside the field where it is declared (schema's dataclasses, a kind's or
technique's settings, an agent's `Settings`). Keys an open part accepts but the recipe does not set (a zoo
model's arguments, the optimizer's, a callback's) follow, with their defaults.

All of it is read without importing TensorFlow, Keras or scikit-learn, so that the command answers at once: the
kinds' declarations from engine.learning.declarations (engine.kinds.declaration), the zoo's builders and data's
loaders from their source, and Keras's classes from a snapshot of their arguments (engine.recipe.open_keys).
A recipe of one's own that imports Keras, or a part it configures in its own code, still imports what it needs.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from common.declared import field_docs
from common.text import first_sentence
from engine.kinds import TECHNIQUES, declaration
from engine.recipe import hp
from engine.recipe.open_keys import open_keys
from engine.recipe.overrides import CLASS_AT
from engine.recipe.schema import Recipe
from engine.recipe.validation import constraints_for, describe

# The parts whose accepted keys are read off what they configure (engine.recipe.open_keys).
OPEN_PARTS = ("model.args", "optimizer", "tuner.args", "data.args", "agent.args", *TECHNIQUES)


WIDEST = 60  # characters of a value shown; a recipe's description is the longest


@dataclasses.dataclass
class Row:
    key: str
    value: str
    accepts: str
    meaning: str
    set_here: bool = True
    raw: Any = None  # the value itself, as an override would give it


def rows(recipe: Recipe) -> list[Row]:
    """One row per key an override can set, the recipe's own first, then open parts' unset keys."""
    config = recipe.to_dict()
    docs = _docs(recipe, config)
    found = [Row(key, _shown(value), _accepts(key, value), docs.get(key, ""), raw=value)
             for key, value in _leaves(config)]
    present = {row.key for row in found}
    for path in _open_paths(config):
        for name, default in open_keys(config, path).items():
            key = f"{_named_path(config, path)}.{name}"
            if name != "name" and key not in present:
                found.append(Row(key, _shown(default), _accepts(key, default), docs.get(key, ""), False, default))
                present.add(key)
    return found


def render(recipe: Recipe) -> list[str]:
    """The lines `make show` prints."""
    kinds = [recipe.kind, *[name for name in TECHNIQUES if getattr(recipe, name)]]
    lines = [f"{recipe.name} ({', '.join(kinds)}): {first_sentence(recipe.description)}", "",
             "Set any key with make recipe NAME=... key=value (dotted, e.g. optimizer.learning_rate=0.01).", ""]
    table = rows(recipe)
    for title, chosen in (("Set by this recipe", True), ("Also accepted, at their defaults", False)):
        part = [row for row in table if row.set_here is chosen]
        if not part:
            continue
        lines.append(f"{title}:")
        width = min(max(len(row.key) for row in part), 44)
        for row in part:
            lines.append(f"  {row.key:<{width}}  {row.value}")
            details = "; ".join(text for text in (f"accepts {row.accepts}" if row.accepts else "", row.meaning)
                                if text)
            if details:
                lines.append(f"  {'':<{width}}    {details}")
        lines.append("")
    return lines


def _docs(recipe: Recipe, config: dict) -> dict[str, str]:
    docs: dict[str, str] = {}
    for path, cls in CLASS_AT.items():
        for name, doc in field_docs(cls).items():
            docs[f"{path}.{name}" if path else name] = doc
    docs.update(declaration(recipe.kind).docs(config))
    for name in TECHNIQUES:
        if config.get(name):
            docs.update(declaration(TECHNIQUES[name]).docs(config))
    return docs


def _leaves(value: Any, path: str = ""):
    """(dotted key, value) for every leaf; a list entry with a name is keyed by it, as overrides reach it."""
    if isinstance(value, dict) and value and not hp.is_range_dict(value):
        for name, inner in value.items():
            yield from _leaves(inner, f"{path}.{name}" if path else str(name))
    elif isinstance(value, list) and value and all(isinstance(entry, dict) and "name" in entry for entry in value):
        for entry in value:
            for name, inner in entry.items():
                if name != "name":
                    yield from _leaves(inner, f"{path}.{entry['name']}.{name}")
    else:
        yield path, value


def _open_paths(config: dict) -> list[str]:
    paths = [path for path in OPEN_PARTS if _exists(config, path)]
    paths += [f"callbacks.{index}" for index, entry in enumerate(config.get("callbacks") or [])
              if isinstance(entry, dict)]
    return paths


def _exists(config: dict, path: str) -> bool:
    value: Any = config
    for part in path.split("."):
        if not isinstance(value, dict) or value.get(part) is None:
            return part == path.split(".")[-1] and isinstance(value, dict) and path in TECHNIQUES
        value = value[part]
    return isinstance(value, dict)


def _named_path(config: dict, path: str) -> str:
    """`callbacks.0` as an override names it, `callbacks.EarlyStopping`."""
    parts = path.split(".")
    if parts[0] == "callbacks" and len(parts) == 2:
        return f"callbacks.{config['callbacks'][int(parts[1])]['name']}"
    return path


def _shown(value: Any) -> str:
    if hp.is_range_dict(value):
        range_ = hp.from_dict(value)
        if isinstance(range_, hp.Choice):
            span = " | ".join(repr(choice) for choice in range_.values)
        elif isinstance(range_, hp.Boolean):
            span = "True | False"
        else:
            span = f"{range_.min_value!r} to {range_.max_value!r}" + (f", {range_.sampling}" if getattr(
                range_, "sampling", "linear") not in (None, "linear") else "")
        return f"{range_.default!r}  (range {range_.name!r} for make tune: {span})"
    shown = repr(value)
    return shown if len(shown) <= WIDEST else shown[:WIDEST - 3] + "..."


def _accepts(key: str, value: Any) -> str:
    constraints = constraints_for(key)
    if constraints is not None:
        return describe(constraints)
    path, _, name = key.rpartition(".")
    cls = CLASS_AT.get(path)
    if cls is not None:
        hints = typing.get_type_hints(cls)
        if name in hints:
            return _type_words(hints[name])
    return ""


def _type_words(hint: Any) -> str:
    words = {bool: "true or false", int: "an integer", float: "a number", str: "a string", dict: "a mapping",
             list: "a list", type(None): "null"}
    members = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, __import__("types").UnionType) \
        else (hint,)
    named = [words.get(member, getattr(member, "__name__", str(member))) for member in members]
    named = [name for name in named if name not in ("Callable",)] or named
    return " or ".join(dict.fromkeys(named))
