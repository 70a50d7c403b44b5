"""Finding a recipe: a catalog name, a user's `.py` file, or an earlier run's `recipe.json`."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import recipes
from common.json_files import read_json_object
from common.references import absolute_reference, import_file, is_reference
from engine.errors import RecipeError, suggestion
from engine.recipe.schema import Recipe


def catalog_names() -> list[str]:
    """The recipes in `recipes/`, sorted."""
    return sorted(
        module.name for module in pkgutil.iter_modules(recipes.__path__) if not module.name.startswith("_")
    )


def catalog_test_budget(name: str) -> dict | None:
    """A catalog recipe's shorter settings for `make test`, or None when its full run is short enough.

    A recipe whose full run takes more than about two minutes declares, beside `recipe`,
    `test_budget = {"overrides": {...dotted overrides...}, "targets": {...measured on them...}}`;
    `make test` holds it to those targets on those settings, `make bench` to `recipe.targets` on full ones.
    A recipe whose single runs on those settings land too far apart for one bound (an agent on a short
    budget) adds `"seeds": [...]`: `make test` trains each and holds their mean to the targets.
    """
    budget = getattr(importlib.import_module(f"recipes.{name}"), "test_budget", None)
    if budget is not None and (not {"overrides", "targets"} <= set(budget) <= {"overrides", "targets", "seeds"}
                               or not budget["targets"] or ("seeds" in budget and len(budget["seeds"]) < 2)):
        raise RecipeError(f"recipes/{name}.py: `test_budget` needs `overrides` and non-empty `targets`, and "
                          "may add `seeds` (two or more).")
    return budget


def load_recipe(name_or_path: str) -> Recipe:
    """The recipe that `name_or_path` names, with its `name` and `description` filled in.

    Raises RecipeError (never an import traceback) when it cannot be found or loaded.
    """
    if name_or_path.endswith(".json"):
        return _load_json(Path(name_or_path))
    if name_or_path.endswith(".py") or "/" in name_or_path or "\\" in name_or_path:
        return _load_file(Path(name_or_path))
    if name_or_path not in catalog_names():
        raise RecipeError(
            f"No recipe named {name_or_path!r} in the catalog. {suggestion(name_or_path, catalog_names())} "
            f"Run `make list` to see every recipe, or pass a path to your own recipe file "
            f"(NAME=path/to/my_recipe.py)."
        )
    try:
        module = importlib.import_module(f"recipes.{name_or_path}")
    except Exception as error:  # noqa: BLE001 - any import failure is the recipe's fault
        raise RecipeError(f"The catalog recipe {name_or_path!r} failed to import: {_describe(error)}") from None
    return _recipe_from_module(module, name_or_path, f"recipes/{name_or_path}.py")


def _load_file(path: Path) -> Recipe:
    if not path.is_file():
        raise RecipeError(
            f"Recipe file {str(path)!r} does not exist. Give a catalog name (see `make list`), "
            f"a path to a .py recipe file, or a run's recipe.json."
        )
    if path.suffix != ".py":
        raise RecipeError(f"A recipe file must end in .py (or be a run's recipe.json). Received: {str(path)!r}")
    module = import_file(path, "The recipe file", RecipeError)
    return _recipe_from_module(module, path.stem, str(path), folder=path.parent)


def _recipe_from_module(module, default_name: str, where: str, folder: Path | None = None) -> Recipe:
    recipe = getattr(module, "recipe", None)
    if recipe is None:
        raise RecipeError(
            f"{where} defines no `recipe`. A recipe module must end with `recipe = Recipe(...)` "
            f"(from engine import Recipe)."
        )
    if not isinstance(recipe, Recipe):
        raise RecipeError(
            f"{where}: `recipe` must be an engine.Recipe. Received: {type(recipe).__name__}."
        )
    # Rebuilding from plain data checks every field the same way overrides are checked.
    config = recipe.to_dict()
    if folder is not None:
        _make_references_absolute(config, folder)
    recipe = Recipe.from_dict(config)
    recipe.name = recipe.name or default_name
    recipe.description = recipe.description or (module.__doc__ or "").strip()
    return recipe


def _make_references_absolute(config: dict, folder: Path) -> None:
    """Point the relative "file.py:name" references of a recipe file at files beside it, not in the current folder.

    Covers the kind, the data function, the model builder, the loss, the metrics and the callbacks, so that
    recipe.json holds absolute paths and reruns from anywhere.
    """
    def absolute(value):
        return absolute_reference(value, folder) if is_reference(value) else value

    def absolute_in(entry, key: str):
        if isinstance(entry, dict) and key in entry:
            return {**entry, key: absolute(entry[key])}
        return absolute(entry)

    if is_reference(config.get("kind")):
        config["kind"] = absolute(config["kind"])
    data_args = (config.get("data") or {}).get("args")
    if isinstance(data_args, dict) and "function" in data_args:
        data_args["function"] = absolute(data_args["function"])
    if isinstance(config.get("model"), dict) and config["model"].get("builder"):
        config["model"]["builder"] = absolute(config["model"]["builder"])
    if "loss" in config:
        config["loss"] = absolute_in(config["loss"], "class_name")
    for field, key in (("metrics", "class_name"), ("callbacks", "name")):
        if isinstance(config.get(field), list):
            config[field] = [absolute_in(entry, key) for entry in config[field]]


def _load_json(path: Path) -> Recipe:
    if not path.is_file():
        raise RecipeError(f"Recipe file {str(path)!r} does not exist.")
    recipe = saved_recipe(read_json_object(path, RecipeError, "JSON recipe", "a saved recipe"))
    recipe.name = recipe.name or path.parent.parent.name or path.stem
    return recipe


def saved_recipe(config: dict) -> Recipe:
    """The `Recipe` a run's recipe.json (or a model card's `recipe`) holds."""
    # recipe.json carries a record of the ranges it resolved; it is not a field.
    return Recipe.from_dict({key: value for key, value in config.items() if key != "hyperparameters"})


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
