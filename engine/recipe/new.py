"""`make new NAME=my_recipe FROM=penguins_tabular`: an editable copy of a catalog recipe, as a file of one's own.

The copy is the catalog file itself (its code, comments and references to functions in the file), headed by
a line that says where it came from; `make recipe NAME=my_recipe.py` runs it, filed under `my_recipe`.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from common.files import write_text
from engine.errors import RecipeError
from engine.recipe.loading import catalog_names, load_recipe
from engine.recipe.names import check_recipe_name


def new_recipe(name: str, source: str, folder: Path | str = ".") -> Path:
    """Write `<name>.py` (or the path `name` ends in .py) from the catalog recipe `source`; never overwrites."""
    path = Path(name) if name.endswith(".py") else Path(folder) / f"{name}.py"
    check_recipe_name(path.stem)
    if path.stem in catalog_names():
        raise RecipeError(f"{path.stem!r} is a catalog recipe's name, and runs are filed by name: choose another "
                          f"NAME for your copy (e.g. my_{path.stem}).")
    if path.exists():
        raise RecipeError(f"{path} already exists; nothing was written. Choose another NAME, or edit that file.")
    if not path.parent.is_dir():
        raise RecipeError(f"The folder {str(path.parent)!r} does not exist; nothing was written.")
    load_recipe(source)  # an unknown or broken catalog name is refused here, with the closest names
    module = __import__(f"recipes.{source}", fromlist=["recipe"])
    text = inspect.getsource(module)
    header = f"# {path.stem}: started from the catalog recipe {source} (make new). Run it: make recipe NAME={path}\n"
    write_text(path, header + text)
    return path
