"""Reading a JSON file that must hold an object, with the caller's own error and wording."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_json_object(path: Path, error: type[Exception], what: str = "JSON", holds: str = "") -> dict[str, Any]:
    """The object in `path`, or `error` saying the file is not a readable `what` or not an object.

    `holds` adds what the object should be, as in "must hold a JSON object (a saved recipe)".
    """
    try:
        value = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as reason:
        raise error(f"{path} is not a readable {what}: {reason}") from None
    if not isinstance(value, dict):
        raise error(f"{path} must hold a JSON object{f' ({holds})' if holds else ''}.")
    return value
