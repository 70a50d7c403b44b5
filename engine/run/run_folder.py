"""The one place where runs are laid out, and atomic writes for everything in them.

    runs/<recipe>/<YYYYmmdd-HHMMSS>-<short id>/
        recipe.json  env.json  logs/  model.keras  metrics.json  history.csv  report.md

Every file is written to a temporary name in the same folder and renamed into place, so a
killed run never leaves a half-written artifact under its final name.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common.text import folder_stamp
from engine.errors import RecipeError

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def check_recipe_name(name: str) -> str:
    """Refuse recipe names that would not make a single, safe folder name under runs/."""
    if not SAFE_NAME.match(name or "") or ".." in name:
        raise RecipeError(
            f"A recipe name becomes a folder under runs/, so it may hold only letters, digits, '_', '-' "
            f"and '.', and must not contain '..'. Received: name={name!r}"
        )
    return name


def create_run_folder(runs_dir: str | Path, recipe_name: str) -> Path:
    """A new, empty run folder; two runs started in the same second still get their own."""
    parent = Path(runs_dir) / check_recipe_name(recipe_name)
    parent.mkdir(parents=True, exist_ok=True)
    while True:
        folder = parent / f"{folder_stamp()}-{secrets.token_hex(3)}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path` (same suffix); rename it onto `path` on success."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(descriptor)
    # mkstemp makes the file private (0600); give it the permissions an ordinary new file would get.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    temporary = Path(temporary)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text)


def write_json(path: str | Path, value: Any) -> None:
    """JSON with NaN and infinities written as null, so every reader can parse it."""
    text = json.dumps(_finite(value), indent=2, sort_keys=False, default=_json_default, allow_nan=False)
    write_text(path, text + "\n")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return str(value)
