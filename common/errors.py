"""The base class of every user mistake, and the "did you mean" every message uses."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UserError(ValueError):
    """A mistake in what the user asked for: a recipe, an override, a name, a file or a number.

    Each room has its subclass (`engine.RecipeError`, `data.DataError`, `zoo.ZooError`). The command line
    prints the message alone (no traceback) and exits with code 2. Raised before anything is written,
    so a refused run leaves no folder behind.
    """


def close_matches(word: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """The candidates that look most like `word`, best first."""
    candidates = sorted(set(candidates))
    found = difflib.get_close_matches(word, candidates, n=limit, cutoff=0.5)
    if not found:
        lowered = word.lower()
        found = [c for c in candidates if lowered and (lowered in c.lower() or c.lower() in lowered)]
    return found[:limit]


def suggestion(word: str, candidates: Iterable[str]) -> str:
    """A sentence proposing the closest valid names, or listing them all when none is close."""
    candidates = sorted(set(candidates))
    if not candidates:
        return ""
    found = close_matches(word, candidates)
    if found:
        return "Did you mean " + " or ".join(repr(name) for name in found) + "?"
    if len(candidates) <= 12:
        return "Valid names: " + ", ".join(repr(name) for name in candidates) + "."
    return "Valid names include: " + ", ".join(repr(name) for name in candidates[:12]) + ", ..."
