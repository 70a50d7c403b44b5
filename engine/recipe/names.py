"""Recipe names: each becomes a folder under runs/, so only safe folder names are taken."""

from __future__ import annotations

import re

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
