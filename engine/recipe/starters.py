"""Training on one's own files with no Python: `make recipe NAME=table DATA=my.csv TARGET=label [AS=my_name]`.

A starter is a recipe written for a kind of data rather than a dataset: `table` (a CSV or Parquet file and the
column to predict), `images` (a folder with one sub-folder of images per class) and `text` (a folder with one
sub-folder of .txt files per class). Each gives the defaults an experienced Keras user would pick first for that
data, with the usual ranges for `make tune`; the run is filed under AS, or the data's own name. Its recipe.json
repeats the run, and `make new` or `make show NAME=runs/<name>/<run>/recipe.json` shows every key to change.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import RecipeError, suggestion
from engine.recipe import hp
from engine.recipe.names import check_recipe_name
from engine.recipe.schema import Data, Model, Recipe, Tuner

TABLE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
STARTERS = ("table", "images", "text")

def is_starter(name: str) -> bool:
    return name in STARTERS


def starter_recipe(starter: str, data_path: str, target: str | None = None, name: str | None = None) -> Recipe:
    """The recipe `starter` writes for the files at `data_path`, named `name` or after them."""
    if starter not in STARTERS:
        raise RecipeError(f"DATA= trains a starter recipe, one of {', '.join(STARTERS)}; NAME={starter!r} is not "
                          f"one. {suggestion(starter, STARTERS)} For a catalog recipe, set data.args.path= instead.")
    path = Path(data_path).expanduser().resolve()
    if not path.exists():
        raise RecipeError(f"DATA={data_path!r}: there is no file or folder there; nothing was written.")
    run_name = check_recipe_name(name or path.stem)
    if starter == "table":
        return _table(path, target, run_name)
    if target:
        raise RecipeError(f"TARGET= names a table's column; the {starter} starter reads the classes from the "
                          "sub-folder names. Drop TARGET=.")
    if not path.is_dir():
        raise RecipeError(f"DATA={data_path!r} must be a folder with one sub-folder per class for the {starter} "
                          "starter.")
    return _images(path, run_name) if starter == "images" else _text(path, run_name)


def _table(path: Path, target: str | None, name: str) -> Recipe:
    source = TABLE_FORMATS.get(path.suffix.lower())
    if source is None or not path.is_file():
        raise RecipeError(f"The table starter reads a .csv or .parquet file; DATA={str(path)!r} is not one.")
    if not target:
        raise RecipeError("The table starter needs TARGET=, the column to predict (make recipe NAME=table "
                          f"DATA={path.name} TARGET=<column>).")
    regression = _is_regression(path, source, target)
    return _recipe(
        Data(source=source, args={"path": str(path), "target": target},
             preprocessing=[{"name": "feature_space", "impute": "median"},
                            *([{"name": "standardize_targets"}] if regression else [])]),
        Model("mlp", args={"width": hp.Int("width", 16, 256, step=16, default=64),
                           "depth": hp.Int("depth", 1, 3, default=2),
                           "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.1)}),
        name, f"An MLP on the table {path.name}, predicting its column {target!r} (the table starter).",
        epochs=200, regression=regression)


def _images(path: Path, name: str) -> Recipe:
    return _recipe(
        Data(source="image_folder", args={"path": str(path), "image_size": [64, 64]},
             preprocessing=[{"name": "rescale", "scale": 1 / 255}],
             augmentation=[{"name": "random_flip", "mode": "horizontal"}]),
        Model("small_cnn", args={"filters": hp.Int("filters", 16, 64, step=16, default=32),
                                 "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.3)}),
        name, f"A small CNN on the images of {path.name}/, one class per sub-folder, resized to 64x64 "
              "(the images starter).")


def _text(path: Path, name: str) -> Recipe:
    return _recipe(
        Data(source="text_folder", args={"path": str(path)},
             preprocessing=[{"name": "text_vectorize", "max_tokens": 20000, "output_mode": "tf_idf"}]),
        Model("mlp", args={"width": hp.Int("width", 16, 256, step=16, default=64), "depth": 1,
                           "dropout": hp.Float("dropout", 0.0, 0.7, step=0.1, default=0.5)}),
        name, f"An MLP on TF-IDF vectors of the texts of {path.name}/, one class per sub-folder (the text starter).")


def _recipe(data_spec: Data, model: Model, name: str, description: str, epochs: int = 50,
            regression: bool = False) -> Recipe:
    """What every starter shares: Adam with a tunable rate, early stopping on validation loss, a Bayesian search."""
    return Recipe(
        data=data_spec, model=model,
        loss="mse" if regression else "sparse_categorical_crossentropy",
        optimizer={"name": "adam", "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, log=True, default=1e-3)},
        metrics=["mae", "r2_score"] if regression else ["accuracy"],
        callbacks=[{"name": "EarlyStopping", "monitor": "val_loss", "patience": 10, "restore_best_weights": True}],
        batch_size=32, epochs=epochs, name=name, description=description, tuner=Tuner(name="bayesian"))


def _is_regression(path: Path, source: str, target: str) -> bool:
    """Whether the target column holds real numbers, by the rule the table sources use (data.tables)."""
    import pandas

    from data.tables import infer_task

    try:
        frame = pandas.read_csv(path, nrows=100_000) if source == "csv" else pandas.read_parquet(path)
    except Exception as error:  # noqa: BLE001 - any reader failure is the user's file, said in one line
        raise RecipeError(f"DATA={str(path)!r} could not be read as {source}: {type(error).__name__}: {error}") \
            from None
    if target not in frame.columns:
        raise RecipeError(f"TARGET={target!r} is not a column of {path.name}. {suggestion(target, frame.columns)} "
                          f"Its columns: {', '.join(map(str, frame.columns))}.")
    return infer_task(frame[target]) == "regression"
