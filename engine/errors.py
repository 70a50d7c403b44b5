"""The engine's user-error class; "did you mean" lives with the base class in common.errors."""

from __future__ import annotations

from common.errors import UserError, close_matches, suggestion

__all__ = ["RecipeError", "UserError", "close_matches", "suggestion"]


class RecipeError(UserError):
    """A mistake in what the user asked for: a recipe, an override, a name, a number or a file.

    The command line prints the message alone (no traceback) and exits with code 2.
    Raised before anything is written, so a refused run leaves no folder behind.
    """
