"""`make compare [NAME=...]`: runs side by side, one table per recipe, newest first.

Each row says where the run's data came from (the source, its file, or an agent's environment), how far it
went, every setting it changed from its recipe (overrides and hyperparameter values alike, as dotted keys) and
its test metrics. Without a name every recipe under the runs folder is compared; with no runs at all the answer
is a sentence saying how to make one, not an error.

Numbers are written one way (`number`): four significant figures, thousands separated, never in scientific
notation above 0.0001. Nothing here imports TensorFlow: a finished run's progress is read from its env.json,
and only an unfinished run's kind is asked (which may import it).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from common.text import markdown_table
from engine.errors import RecipeError, suggestion
from engine.recipe import hp
from engine.recipe.names import check_recipe_name
from engine.recipe.schema import SPEED_FILLED

# recipe.json entries that are not settings a run chose: its text, and the ranges it came from (their values are
# compared through the resolved fields they set).
NOT_SETTINGS = ("description", "hyperparameters")


def number(value: Any) -> str:
    """A number as every compare table writes it, settings and metrics alike: 4 significant figures with trailing
    zeros dropped, thousands separated, scientific only below 0.0001 ("12,000", "188.7", "0.8333", "0.01",
    "0.0001235", "1.2e-05"); booleans and text as they are, None empty."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value) or value == 0:
        return f"{value:g}"
    if abs(value) < 1e-4:
        return f"{value:.4g}"
    value = float(f"{value:.4g}")  # rounded first, so that 999.96 is written as 1,000
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    text = f"{value:.{3 - math.floor(math.log10(abs(value)))}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A recipe as dotted keys and their values (`optimizer.learning_rate`); lists stay whole, and a range (in a
    recipe not yet resolved) stands for its default."""
    if hp.is_range_dict(value):
        return {prefix: value.get("default")}
    if isinstance(value, dict) and value:
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return found
    return {prefix: value}


def recipe_defaults(name: str) -> dict[str, Any] | None:
    """The catalog recipe `name` with every range at its default, flattened; None when there is no such recipe.
    (Read without engine.recipe.resolve, whose check of the kinds would import TensorFlow.)"""
    from engine.recipe.loading import catalog_names, load_recipe

    if name not in catalog_names():
        return None
    return flatten({key: value for key, value in load_recipe(name).to_dict().items() if key not in NOT_SETTINGS})


def data_source(recipe: dict[str, Any]) -> str:
    """Where a run's data came from: the Gymnasium environment, or the source and the file or folder it read."""
    environment = recipe.get("environment") or {}
    if environment.get("id"):
        return f"{environment['id']} (environment)"
    data = recipe.get("data") or {}
    arguments = data.get("args") or {}
    place = next((arguments[key] for key in ("path", "directory", "folder") if arguments.get(key)), None)
    return f"{data.get('source', '?')} {Path(str(place)).name}" if place else str(data.get("source", "?"))


def changed_settings(settings: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """The dotted keys whose value differs from `reference` (the recipe's defaults), in the recipe's order; a speed
    setting the recipe leaves unset counts only where the run did not leave its choice to `speed="auto"`."""
    auto = settings.get("speed", "auto") == "auto"
    return {key: value for key, value in settings.items() if key != "name" and reference.get(key, object()) != value
            and not (auto and key in SPEED_FILLED and reference.get(key) is None)}


def _settings_text(changed: dict[str, Any]) -> str:
    return ", ".join(f"{key}={number(value) if isinstance(value, (int, float)) else json.dumps(value)}"
                     for key, value in changed.items()) or "none"


def _progress(run: Path, recipe: dict[str, Any], env: dict[str, Any]) -> str:
    """How far training went, as the run's kind says it: from env.json once recorded, else asked of the kind
    (epochs run of the recipe's, or an agent's environment steps of its budget from history.csv)."""
    progress = env.get("progress")
    if not isinstance(progress, dict):
        from engine.kinds import Learning, kind_named
        from engine.recipe.schema import Recipe

        try:
            kind = kind_named(recipe.get("kind", Recipe.kind))
        except RecipeError:  # a kind of one's own whose file has moved since: its epochs, as for any kind
            kind = Learning()
        progress = kind.progress(recipe, env, lambda: _history_rows(run / "history.csv"))
    return ", ".join(f"{value} {name}" for name, value in progress.items())


def _history_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="") as handle:
            return list(csv.DictReader(handle))
    except OSError:
        return []


def _run_folders(folder: Path) -> list[Path]:
    return sorted((path for path in folder.iterdir() if path.is_dir() and not path.name.startswith("tune-")
                   and (path / "recipe.json").is_file()), key=lambda path: path.name, reverse=True)


def collect_runs(runs_dir: str | Path, name: str) -> list[dict[str, Any]]:
    """One row per run folder of recipe `name` (searches left out), newest first: [] when it has none."""
    check_recipe_name(name)
    folder = Path(runs_dir) / name
    folders = _run_folders(folder) if folder.is_dir() else []
    recipes = [_read(run / "recipe.json") for run in folders]
    flat = [flatten({key: value for key, value in recipe.items() if key not in NOT_SETTINGS}) for recipe in recipes]
    reference = recipe_defaults(name)
    if reference is None:  # not a catalog recipe: what differs between its runs
        reference = {key: value for key, value in flat[0].items() if all(other.get(key) == value for other in flat)} \
            if flat else {}
    rows = []
    for run, recipe, settings in zip(folders, recipes, flat, strict=True):
        env, metrics = _read(run / "env.json"), _read(run / "metrics.json")
        test = {key: value for key, value in metrics.get("test", {}).items()
                if isinstance(value, (int, float)) and not isinstance(value, bool)}
        rows.append({"recipe": name, "run": run.name, "status": env.get("status", "unknown"),
                     "data": data_source(recipe), "progress": _progress(run, recipe, env),
                     "changed": changed_settings(settings, reference), "test": test})
    return rows


def recipes_with_runs(runs_dir: str | Path) -> list[str]:
    """The recipes that have at least one run folder under `runs_dir`, sorted."""
    parent = Path(runs_dir)
    if not parent.is_dir():
        return []
    return sorted(path.name for path in parent.iterdir() if path.is_dir() and _run_folders(path))


def format_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of one recipe's runs: status, data, progress, changed settings, test metrics."""
    metrics = list(dict.fromkeys(key for row in rows for key in row["test"]))
    header = ["run", "status", "data", "progress", "settings changed from the recipe",
              *(f"test {metric}" for metric in metrics)]
    cells = [[row["run"], row["status"], row["data"], row["progress"], _settings_text(row["changed"]),
              *(number(row["test"].get(metric)) for metric in metrics)] for row in rows]
    return "\n".join(markdown_table(header, cells))


def no_runs(runs_dir: str | Path, name: str | None) -> str:
    """The answer when there is nothing to compare: what to run first (a name that is neither a catalog recipe
    nor has runs is refused instead, with the closest names)."""
    from engine.recipe.loading import catalog_names

    known = recipes_with_runs(runs_dir)
    if name is not None and name not in catalog_names():
        raise RecipeError(f"No recipe or runs named {name!r} under {str(runs_dir)!r}. "
                          + (suggestion(name, [*known, *catalog_names()]) or
                             "`make list` shows the catalog's recipes."))
    if name is None:
        return (f"No runs under {str(runs_dir)!r} yet: train one with `make recipe NAME=<recipe>` "
                "(`make list` shows the catalog), then compare.")
    others = f" Recipes with runs there: {', '.join(known)}." if known else ""
    return f"No runs of {name!r} under {str(runs_dir)!r} yet: `make recipe NAME={name}` makes one.{others}"


def compare(runs_dir: str | Path, name: str | None = None) -> str:
    """The text `make compare` prints: one table of recipe `name`'s runs, or one per recipe with runs (a heading
    each); a sentence when there are none."""
    names = [name] if name is not None else recipes_with_runs(runs_dir)
    tables = [(recipe, rows) for recipe in names if (rows := collect_runs(runs_dir, recipe))]
    if not tables:
        return no_runs(runs_dir, name)
    if name is not None:
        return format_table(tables[0][1])
    return "\n\n".join(f"## {recipe} ({len(rows)} run{'s' if len(rows) != 1 else ''})\n\n{format_table(rows)}"
                       for recipe, rows in tables)
