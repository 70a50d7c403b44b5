"""References to user code that survive JSON: `"path/to/file.py:name"` or `"package.module:name"`.

A recipe may hold a function or class (a model builder, a data function, a custom loss, metric or
callback); `recipe.json` stores it as a reference, and a later run imports it back from there.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

from common.errors import UserError

# Modules of this project: referred to by module name, so references survive moving the checkout.
PROJECT_PACKAGES = ("recipes.", "zoo.", "data.", "engine.")


def is_reference(value: Any) -> bool:
    """Whether `value` looks like `"<file.py or module>:<name>"`."""
    if not isinstance(value, str) or value.count(":") != 1:
        return False
    location, name = value.split(":")
    return bool(location) and name.isidentifier()


def reference_to(thing: Any, what: str = "it") -> str:
    """`"<module or absolute file>:<name>"` for a top-level function or class."""
    name = getattr(thing, "__qualname__", "")
    if not name or "<" in name or "." in name:
        raise UserError(f"{what} must be a top-level function or class so recipe.json can refer to it. "
                        f"Received: {thing!r}")
    module = inspect.getmodule(thing)
    if module is not None and module.__name__.startswith(PROJECT_PACKAGES):
        return f"{module.__name__}:{name}"
    source = getattr(module, "__file__", None)
    if source is None:
        raise UserError(f"Cannot tell which file defines {what} {name!r}; define it in a .py file.")
    return f"{Path(source).resolve()}:{name}"


def absolute_reference(reference: str, folder: str | Path) -> str:
    """A `file.py:name` reference with a relative file made absolute against `folder`."""
    location, _, name = reference.rpartition(":")
    if not location.endswith(".py") or Path(location).expanduser().is_absolute():
        return reference
    return f"{(Path(folder) / location).resolve()}:{name}"


def import_reference(reference: str, what: str, error: type[UserError] = UserError) -> Any:
    """The function or class a reference names; `error` (a room's UserError) says what went wrong."""
    if not is_reference(reference):
        raise error(f"{what} must look like 'path/to/file.py:name' or 'package.module:name'. "
                    f"Received: {reference!r}")
    location, name = reference.split(":")
    if location.endswith(".py"):
        module = import_file(Path(location).expanduser(), what, error)
    else:
        try:
            module = importlib.import_module(location)
        except ImportError as problem:
            raise error(f"Cannot import {location!r} named in {what}: {problem}") from None
    found = getattr(module, name, None)
    if found is None or not callable(found):
        raise error(f"{location} has no function {name!r} (named in {what}); define it there, at the top level.")
    return found


def import_file(path: Path, what: str, error: type[UserError] = UserError):
    """The module a .py file defines, imported once per file; `error` if it is missing or fails to import."""
    if not path.is_file():
        raise error(f"{what} names {str(path)!r}, which does not exist (looked for {path.resolve()}).")
    # Executed afresh on every call (the file may have changed), and registered so that classes it
    # defines can be found by name (dataclasses and Keras's serialization look them up there).
    module_name = f"_user_{path.stem}_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as problem:  # noqa: BLE001 - any failure while importing is the file's fault
        sys.modules.pop(module_name, None)
        raise error(f"{what} {str(path)!r} failed to import: {type(problem).__name__}: {problem}") from None
    return module
