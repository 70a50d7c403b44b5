"""The one place where runs are laid out.

    runs/<recipe>/<YYYYmmdd-HHMMSS>-<short id>/
        recipe.json  env.json  logs/  model.keras  metrics.json  history.csv  report.md

Every file in it is written through common.files: to a temporary name in the same folder, renamed into
place, so a killed run never leaves a half-written artifact under its final name.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from common.text import folder_stamp
from engine.recipe.names import check_recipe_name


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
