"""The constructor arguments of Keras's optimizers and callbacks and of KerasTuner's tuners, kept as a snapshot.

`make show` lists every key an open part of a recipe accepts (engine.recipe.open_keys): an optimizer's
arguments, a callback's, a tuner's. Reading them off the classes means importing Keras, and TensorFlow with
it, which takes seconds; a command that trains nothing should answer at once. So `keras_signatures.json`,
beside this module, holds exactly what that introspection gives (engine.recipe.keras_objects.arguments_of
for each class that optimizer_classes and callback_classes name, engine.recipe.tuners.tuner_arguments for each
tuner), with the versions of keras and keras-tuner it was read from.

The snapshot is used only while those versions are the installed ones; otherwise, or where the file is
missing, each answer comes from the classes themselves, correct and slower. A contract test holds the snapshot
equal to the live answers for every name, so it cannot go stale unnoticed. After upgrading Keras or KerasTuner,
write it again:

    python -m engine.recipe.keras_signatures
"""

from __future__ import annotations

import ast
import functools
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from common.files import write_json
from common.references import is_reference
from engine.errors import RecipeError

SNAPSHOT = Path(__file__).with_name("keras_signatures.json")
PACKAGES = ("keras", "keras-tuner")  # the distributions whose classes the snapshot reads


def optimizer_arguments(spec: dict | str) -> dict[str, Any] | None:
    """`arguments_of(optimizer_class(spec))`: the arguments of the Keras optimizer a recipe's `optimizer` names,
    or None when it names none."""
    table = _table("optimizers")
    if table is None:
        from engine.recipe.keras_objects import arguments_of, optimizer_class

        try:
            return arguments_of(optimizer_class(spec))
        except RecipeError:
            return None
    name = spec if isinstance(spec, str) else spec.get("name")
    return dict(table[name.lower()]) if isinstance(name, str) and name.lower() in table else None


def callback_arguments(spec: dict | str) -> dict[str, Any] | None:
    """`arguments_of(callback_class(spec))`: the arguments of the callback an entry of `callbacks` names (a Keras
    class, or one's own, which is imported), or None when it names none."""
    name = spec.get("name") if isinstance(spec, dict) else spec
    table = None if is_reference(name) else _table("callbacks")
    if table is None:
        from engine.recipe.keras_objects import arguments_of, callback_class

        try:
            return arguments_of(callback_class(spec))
        except RecipeError:
            return None
    return dict(table[name]) if isinstance(name, str) and name in table else None


def tuner_arguments(name: str) -> dict[str, Any]:
    """engine.recipe.tuners.tuner_arguments: what `tuner.args` may set for tuner `name`; {} for an unknown one."""
    table = _table("tuners")
    if table is None:
        from engine.recipe.tuners import tuner_arguments as live

        return live(name)
    return dict(table.get(name, {}))


def installed_versions() -> dict[str, str | None]:
    """The installed version of each package the snapshot reads (None where it is not installed)."""
    found: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def live_tables() -> dict[str, dict[str, dict[str, Any]]]:
    """What the snapshot holds, read off the classes themselves (this imports Keras and KerasTuner)."""
    from engine.recipe.keras_objects import arguments_of, callback_classes, optimizer_classes
    from engine.recipe.tuners import TUNERS
    from engine.recipe.tuners import tuner_arguments as live

    return {"optimizers": {name: arguments_of(cls) for name, cls in sorted(optimizer_classes().items())},
            "callbacks": {name: arguments_of(cls) for name, cls in sorted(callback_classes().items())},
            "tuners": {name: live(name) for name in TUNERS}}


def write_snapshot(path: Path = SNAPSHOT) -> Path:
    """Write the snapshot from the installed Keras and KerasTuner. Each default is kept as its Python literal
    (`repr`), so that a tuple stays a tuple and 1e-07 stays a float; a default that is no literal is refused."""
    tables = live_tables()
    for group, table in tables.items():
        for name, arguments in table.items():
            for key, value in arguments.items():
                if _decoded(repr(value)) != (type(value), value):
                    raise ValueError(f"{group} {name}: the default of `{key}`, {value!r}, is not a Python literal; "
                                     "the snapshot cannot hold it.")
    encoded = {group: {name: {key: repr(value) for key, value in arguments.items()}
                       for name, arguments in table.items()} for group, table in tables.items()}
    write_json(path, {"versions": installed_versions(), **encoded})
    return path


def _decoded(text: str) -> tuple[type, Any]:
    try:
        value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError):
        return type(None), text
    return type(value), value


def _table(group: str) -> dict[str, dict[str, Any]] | None:
    """One group of the snapshot, decoded; None when the snapshot is missing or was read from other versions."""
    snapshot = _snapshot()
    return None if snapshot is None else snapshot[group]


@functools.cache
def _snapshot() -> dict[str, Any] | None:
    try:
        stored = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("versions") != installed_versions():
        return None
    return {group: {name: {key: ast.literal_eval(text) for key, text in arguments.items()}
                    for name, arguments in table.items()}
            for group, table in stored.items() if group != "versions"}


if __name__ == "__main__":
    versions = ", ".join(f"{name} {version}" for name, version in installed_versions().items())
    print(f"Wrote {write_snapshot()} from {versions}.")
