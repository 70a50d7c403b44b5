"""Raw inputs for a trained model, read from a file or folder and checked against what it was trained on.

What a run takes is what its data source gave training, before any preprocessing:

- a table (csv, parquet, penguins): a `.csv` or `.parquet` file with exactly the training feature columns, in
  any order; the target column (`data.args.target`, penguins' `species`) may be there too and is ignored (a
  held-out file usually has it; `make predict` says so on the console); gaps are allowed where
  the run's preprocessing fills them (feature_space), and an unseen category goes to its out-of-vocabulary slot.
- an array source (digits, iris, diabetes, mnist1d, npz, ...): a `.npz` holding one array (or one named `x`),
  or a `.npy`, shaped (samples, *one raw sample's shape*); or, for flat samples with named features (the
  scikit-learn sets), a `.csv`/`.parquet` with exactly those columns, and scikit-learn's `target` column
  ignored if present.
- an image folder: a folder of images (searched recursively) or one image file, decoded and resized as
  training decoded them.

Every check runs before anything is written: a missing or extra column, a sample of the wrong shape, text
where numbers belong, gaps the run's preprocessing does not fill, an empty file, an unknown file type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas
import tensorflow as tf

from data.files import IMAGE_FORMATS, image_decoder
from data.tabular import FeatureSpaceStep
from engine.serve.state import Served, ServeError

TABLE_SUFFIXES = (".csv", ".parquet")
ARRAY_SUFFIXES = (".npz", ".npy")


@dataclass
class Inputs:
    """Raw inputs ready for the serving model: an array, or a dict of columns; and a name for each row."""

    features: Any
    ids: list[str]
    id_name: str = "row"
    ignored: list[str] = field(default_factory=list)  # columns read past: the target, when the file holds it

    def __len__(self) -> int:
        return len(self.ids)


def read_inputs(served: Served, path: str | Path) -> Inputs:
    """The inputs at `path`, checked against the run `served` was trained on."""
    path = Path(path)
    if not path.exists():
        raise ServeError(f"The input {str(path)!r} does not exist.")
    if served.state.get("source") == "image_folder":
        inputs = _images(served, path)
    elif served.is_table:
        inputs = table_inputs(served, _read_table(path))
    else:
        inputs = _array(served, path)
    if len(inputs) == 0:
        raise ServeError(f"The input {str(path)!r} holds no samples.")
    return inputs


def _read_table(path: Path) -> pandas.DataFrame:
    if path.is_dir() or path.suffix.lower() not in TABLE_SUFFIXES:
        raise ServeError(f"This run was trained on a table: give it a .csv or .parquet file of rows with its feature "
                         f"columns. Received: {str(path)!r}")
    try:
        return pandas.read_parquet(path) if path.suffix.lower() == ".parquet" else pandas.read_csv(path)
    except (OSError, ValueError, pandas.errors.ParserError) as error:
        raise ServeError(f"{str(path)!r} could not be read as a table: {error}") from None


def check_columns(present: list[str], expected: list[str], allowed_extra: set[str], where: str) -> list[str]:
    """Refuse `present` column names unless they are exactly `expected` (in any order), plus `allowed_extra`;
    returns those of `allowed_extra` that are present (to be ignored)."""
    missing = [column for column in expected if column not in present]
    extra = [column for column in present if column not in expected and column not in allowed_extra]
    if missing or extra:
        parts = ([f"lacks the columns {missing}"] if missing else []) + ([f"has columns {extra} that the model was "
                                                                          "not trained on"] if extra else [])
        raise ServeError(f"{where} {' and '.join(parts)}. The model takes exactly the columns {expected}"
                         + (f" (the target {sorted(allowed_extra)} may be there too, and is ignored)."
                            if allowed_extra else "."))
    return [column for column in present if column in allowed_extra]


def target_column(served: Served) -> set[str]:
    """The target column an input file may hold too (ignored): recorded with the run's raw inputs (a table's
    target, scikit-learn's "target"), or for a run recorded before that, a table source's `target` argument."""
    target = served.state["raw_inputs"].get("target") or served.state.get("source_args", {}).get("target")
    return {target} if target else set()


def table_columns(served: Served) -> tuple[list[str], set[str]]:
    """A table run's feature columns, and the target column an input may hold too (ignored)."""
    return list(served.state["raw_inputs"]["columns"]), target_column(served)


def column_kinds(served: Served) -> dict[str, str]:
    """Each feature column's kind in the run's feature_space step: numeric, integer_categorical or categorical."""
    return next(entry["kinds"] for entry in served.state["steps"] if entry["name"] == "feature_space")


def table_inputs(served: Served, frame: pandas.DataFrame) -> Inputs:
    """The rows of `frame`, checked against a table run's columns and typed as its FeatureSpace takes them."""
    columns, allowed_extra = table_columns(served)
    ignored = check_columns([str(column) for column in frame.columns], columns, allowed_extra, "The input table")
    step = FeatureSpaceStep()
    step.kinds = column_kinds(served)
    values = step.columns(frame[columns].reset_index(drop=True))
    return Inputs({name: np.asarray(value).reshape(-1, 1) for name, value in values.items()},
                  [str(index) for index in range(len(frame))], ignored=ignored)


def _load_array(path: Path) -> np.ndarray:
    try:
        if path.suffix.lower() == ".npy":
            return np.load(path, allow_pickle=False)
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if len(names) != 1 and "x" not in names:
                raise ServeError(f"{str(path)!r} holds the arrays {names}; name the features `x`, or save one array.")
            return archive["x" if "x" in names else names[0]]
    except ValueError as error:  # an object array needs pickle, which is never used here
        raise ServeError(f"{str(path)!r} could not be read as NumPy arrays without pickle: {error}") from None


def _array(served: Served, path: Path) -> Inputs:
    raw = served.state["raw_inputs"]
    shape, names = tuple(raw["shape"]), list(raw.get("names") or [])
    suffix, ignored = path.suffix.lower(), []
    if suffix in ARRAY_SUFFIXES and path.is_file():
        values = _load_array(path)
    elif suffix in TABLE_SUFFIXES and path.is_file() and len(shape) == 1 and len(names) == shape[0]:
        frame = _read_table(path)
        ignored = check_columns([str(column) for column in frame.columns], names, target_column(served),
                                "The input table")
        values = frame[names].to_numpy()
    else:
        tables = " or a .csv/.parquet file with its columns" if len(shape) == 1 and len(names) == shape[0] else ""
        raise ServeError(f"This run was trained on arrays of samples shaped {list(shape)}: give it a .npz (one "
                         f"array, or one named x) or a .npy{tables}. Received: {str(path)!r}")
    inputs = array_inputs(served, values)
    inputs.ignored = ignored
    return inputs


def array_inputs(served: Served, values: np.ndarray) -> Inputs:
    """`values`, one raw sample per row, checked against the shape an array run was trained on, as float32."""
    shape = tuple(served.state["raw_inputs"]["shape"])
    if values.dtype.kind not in "biuf":
        raise ServeError(f"The input holds {values.dtype} values; the model takes numbers.")
    if tuple(values.shape[1:]) != shape:
        sizes = ", ".join(str(size) for size in shape)
        raise ServeError(f"The input's samples are shaped {list(values.shape[1:])} (array shape {list(values.shape)}), "
                         f"but the model takes samples shaped {list(shape)}: give an array shaped (samples, {sizes}), "
                         f"e.g. x.reshape(len(x), {sizes}).")
    _check_gaps(served, values)
    return Inputs(values.astype("float32"), [str(index) for index in range(len(values))])


def _check_gaps(served: Served, values: np.ndarray) -> None:
    if values.dtype.kind != "f" or np.isfinite(values).all():
        return
    if not any(step["name"] == "impute" for step in served.state["steps"]) or np.isinf(values).any():
        rows = np.flatnonzero(~np.isfinite(values.reshape(len(values), -1)).all(axis=1))
        raise ServeError(f"The input holds missing or infinite values (rows {rows[:10].tolist()}), and the run's "
                         "preprocessing has no impute step to fill them. Fill or drop those rows.")


def _images(served: Served, path: Path) -> Inputs:
    arguments = served.state.get("source_args", {})
    size, color_mode = tuple(arguments.get("image_size") or (64, 64)), arguments.get("color_mode", "rgb")
    files = [path] if path.is_file() else sorted(found for found in path.rglob("*")
                                                  if found.is_file() and found.suffix.lower() in IMAGE_FORMATS)
    if path.is_file() and path.suffix.lower() not in IMAGE_FORMATS:
        raise ServeError(f"This run was trained on images ({', '.join(IMAGE_FORMATS)}): give it an image file or a "
                         f"folder of them. Received: {str(path)!r}")
    decode = image_decoder(size, color_mode)
    try:
        pixels = np.stack([np.asarray(decode(str(file))) for file in files]) if files else np.empty((0, *size))
    except tf.errors.OpError as error:
        raise ServeError(f"An image under {str(path)!r} could not be decoded: {error}") from None
    root = path.parent if path.is_file() else path
    return Inputs(pixels.astype("float32"), [str(file.relative_to(root)) for file in files], "file")
