"""`make compare NAME=...`: a recipe's runs side by side, newest first."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from common.text import markdown_table, significant
from engine.errors import RecipeError, suggestion
from engine.kinds import Learning, kind_named
from engine.recipe.names import check_recipe_name
from engine.recipe.schema import Recipe


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def collect_runs(runs_dir: str | Path, name: str) -> list[dict[str, Any]]:
    """One row per run folder of recipe `name` (searches left out), newest first."""
    check_recipe_name(name)
    folder = Path(runs_dir) / name
    if not folder.is_dir():
        parent = Path(runs_dir)
        known = sorted(path.name for path in parent.iterdir() if path.is_dir()) if parent.is_dir() else []
        raise RecipeError(f"No runs of {name!r} under {str(runs_dir)!r}. "
                          + (suggestion(name, known) if known else "Run `make recipe` first."))
    rows = []
    for run in sorted((path for path in folder.iterdir() if path.is_dir() and not path.name.startswith("tune-")),
                      key=lambda path: path.name, reverse=True):
        recipe, env, metrics = _read(run / "recipe.json"), _read(run / "env.json"), _read(run / "metrics.json")
        settings = {
            **_progress(run, recipe, env),
            "batch_size": recipe.get("batch_size"),
            **{key: spec.get("value") for key, spec in recipe.get("hyperparameters", {}).items()},
        }
        test = {key: value for key, value in metrics.get("test", {}).items() if isinstance(value, (int, float))}
        rows.append({"run": run.name, "status": env.get("status", "unknown"), "settings": settings, "test": test})
    return rows


def _progress(run: Path, recipe: dict[str, Any], env: dict[str, Any]) -> dict[str, str]:
    """How far training went: epochs run of the recipe's, or for a reinforcement run environment steps of its
    budget (env.json's count once finished; before that, the last finished episode's in history.csv)."""
    try:
        kind = kind_named(recipe.get("kind", Recipe.kind))
    except RecipeError:  # a kind of one's own whose file has moved since: its epochs, as for any kind
        kind = Learning()
    return kind.progress(recipe, env, lambda: _history_rows(run / "history.csv"))


def _history_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="") as handle:
            return list(csv.DictReader(handle))
    except OSError:
        return []


def format_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of runs: status, key settings, test metrics (floats to 4 significant figures)."""
    if not rows:
        return "No runs yet."
    settings = list(dict.fromkeys(key for row in rows for key in row["settings"]))
    metrics = list(dict.fromkeys(key for row in rows for key in row["test"]))
    header = ["run", "status", *settings, *(f"test {metric}" for metric in metrics)]
    cells = [[row["run"], row["status"], *(significant(row["settings"].get(key)) for key in settings),
              *(significant(row["test"].get(key)) for key in metrics)] for row in rows]
    return "\n".join(markdown_table(header, cells))
