"""The command line behind `make recipe` and `make list`.

    python -m engine recipe NAME [key=value ...] [--runs-dir runs]
    python -m engine list

A mistake in what was asked (exit code 2) or a failure while running (exit code 1) prints a
one-paragraph message and no traceback; set ENGINE_DEBUG=1 to see the traceback as well.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from data.errors import DataError
from engine.errors import RecipeError
from zoo.errors import ZooError

USER_ERRORS = (RecipeError, DataError, ZooError)
DEFAULT_RECIPE = "digits_cnn"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="Train and list declared Keras recipes.")
    commands = parser.add_subparsers(dest="command", required=True)
    recipe = commands.add_parser("recipe", help="train a recipe and write its run folder")
    recipe.add_argument("name", nargs="?", default=DEFAULT_RECIPE,
                        help="a catalog name, a path to a .py recipe file, or a run's recipe.json")
    recipe.add_argument("overrides", nargs="*", help="dotted overrides, e.g. epochs=5 optimizer.learning_rate=0.01")
    recipe.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs)")
    commands.add_parser("list", help="list the catalog recipes, zoo models and data sources")
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        if arguments.command == "list":
            return _list()
        return _recipe(arguments.name, arguments.overrides, arguments.runs_dir)
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence: a message, not a traceback
        if os.environ.get("ENGINE_DEBUG"):
            traceback.print_exc()
        print(
            f"error: the run failed: {type(error).__name__}: {error}. "
            "Set ENGINE_DEBUG=1 to see the traceback.",
            file=sys.stderr,
        )
        return 1


def _recipe(name: str, overrides: list[str], runs_dir: str) -> int:
    from engine.loading import load_recipe
    from engine.overrides import apply_overrides, parse_assignments
    from engine.training import run_recipe

    assignments = parse_assignments(overrides)
    recipe = apply_overrides(load_recipe(name), assignments)
    run_recipe(recipe, runs_dir=runs_dir, console=lambda line: print(line, flush=True))
    return 0


def _list() -> int:
    import data
    import zoo
    from engine.loading import catalog_names, load_recipe

    print("Recipes (make recipe NAME=...):")
    for name in catalog_names():
        recipe = load_recipe(name)
        first_line = recipe.description.splitlines()[0] if recipe.description else ""
        print(f"  {name:<24} {first_line}")
    print("Zoo models (zoo.create / model=Model(name=...)):")
    for name in zoo.list_models():
        doc = (zoo.get_builder(name).__doc__ or "").strip().splitlines()
        print(f"  {name:<24} {doc[0] if doc else ''}")
    print("Data sources (data=Data(source=...)):")
    for name in data.list_sources():
        doc = (data.get_source(name).__doc__ or "").strip().splitlines()
        print(f"  {name:<24} {doc[0] if doc else ''}")
    return 0
