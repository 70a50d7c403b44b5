"""Tables as sources: a user's CSV or Parquet file, and the Palmer penguins table.

The recipe names the target column; every other column (or those listed in `columns`) is a
feature. Features stay a DataFrame with their names, types and missing values, for the
`feature_space` preprocessing step to impute and encode; a table of plain numbers with no
gaps may skip that step. `task` is read off the target unless the recipe says it:
text, booleans or whole numbers with at most 20 distinct values mean classification.
"""

from __future__ import annotations

from pathlib import Path

import pandas

from common.targets import whole_numbers_are_classes
from data.errors import DataError
from data.sources import CLASSIFICATION, REGRESSION, Dataset, encode_labels, register_source

TASKS = ("auto", CLASSIFICATION, REGRESSION)


def existing_file(path: str | Path, argument: str = "path") -> Path:
    """`path` as a Path, or a DataError saying where it was looked for."""
    if not isinstance(path, (str, Path)) or not str(path):
        raise DataError(f"Data source argument `{argument}` must name a file. Received: {path!r}")
    found = Path(path).expanduser()
    if not found.is_file():
        raise DataError(f"No file at {str(path)!r} (looked for {found.resolve()}). Check `data.args.{argument}`.")
    return found


def infer_task(target: pandas.Series) -> str:
    values = target.dropna()
    if values.dtype.kind in "OSUb" or str(values.dtype) in ("str", "string", "category"):
        return CLASSIFICATION
    return CLASSIFICATION if whole_numbers_are_classes(values.to_numpy()) else REGRESSION


def table_dataset(frame: pandas.DataFrame, target: str, where: str, task: str = "auto", classes: list | None = None,
                  columns: list | None = None, drop: list | None = None, description: str = "") -> Dataset:
    """A Dataset from a DataFrame: `target` becomes the targets, the other columns the features."""
    if task not in TASKS:
        raise DataError(f"`data.args.task` must be one of {', '.join(TASKS)}. Received: task={task!r}")
    known = [str(name) for name in frame.columns]
    for name in [target, *(columns or []), *(drop or [])]:
        if name not in known:
            raise DataError(
                f"{where} has no column {name!r}; its columns are {known}. Check `data.args.target`, "
                "`data.args.columns` and `data.args.drop`."
            )
    features = frame[columns] if columns else frame.drop(columns=[target, *(drop or [])])
    features = features.drop(columns=[target], errors="ignore")
    if features.shape[1] == 0:
        raise DataError(f"{where} has no feature columns left besides the target {target!r}.")
    values = frame[target]
    if task == "auto":
        task = CLASSIFICATION if classes is not None else infer_task(values)
    if task == CLASSIFICATION:
        targets, class_names = encode_labels(values.to_numpy(), classes, f"{where}, column {target!r}")
    else:
        if values.dtype.kind not in "iuf":
            raise DataError(
                f"{where}: the target column {target!r} holds {values.dtype} values, not numbers, so it cannot be "
                "a regression target. Set `data.args.task='classification'` if these are class labels."
            )
        if values.isna().any():
            raise DataError(f"{where}: the target column {target!r} has {int(values.isna().sum())} missing values. "
                            "Drop those rows before training.")
        targets, class_names = values.to_numpy(dtype="float32"), []
    return Dataset(features=features.reset_index(drop=True), targets=targets, task=task, class_names=class_names,
                   feature_names=[str(name) for name in features.columns], description=description)


def _read(path: Path, reader) -> pandas.DataFrame:
    try:
        return reader(path)
    except (ValueError, OSError, pandas.errors.ParserError, ImportError) as error:
        raise DataError(f"Cannot read the table {str(path)!r}: {type(error).__name__}: {error}") from None


def _file_table(reader, kind: str, path, target, task, classes, columns, drop, test_path) -> Dataset:
    if not isinstance(target, str) or not target:
        raise DataError(f"A {kind} source needs `data.args.target`, the name of the column to predict.")
    found = existing_file(path)
    dataset = table_dataset(_read(found, reader), target, f"{kind} file {str(path)!r}", task, classes, columns,
                            drop, description=f"{kind} table {found.name}")
    if test_path is not None:
        held_out = table_dataset(_read(existing_file(test_path, "test_path"), reader), target,
                                 f"{kind} file {str(test_path)!r}", dataset.task,
                                 dataset.class_names if dataset.task == CLASSIFICATION else None,
                                 dataset.feature_names)
        dataset.test = (held_out.features[dataset.feature_names], held_out.targets)
    return dataset


@register_source("csv", needs="files")
def csv(path: str = "", target: str = "", task: str = "auto", classes: list | None = None,
        columns: list | None = None, drop: list | None = None, test_path: str | None = None) -> Dataset:
    """A CSV file with a header row; `target` names the column to predict, `test_path` an optional test file."""
    return _file_table(pandas.read_csv, "CSV", path, target, task, classes, columns, drop, test_path)


@register_source("parquet", needs="files")
def parquet(path: str = "", target: str = "", task: str = "auto", classes: list | None = None,
            columns: list | None = None, drop: list | None = None, test_path: str | None = None) -> Dataset:
    """A Parquet file; `target` names the column to predict, `test_path` an optional test file."""
    return _file_table(pandas.read_parquet, "Parquet", path, target, task, classes, columns, drop, test_path)


@register_source("penguins")
def penguins(drop: list | None = None) -> Dataset:
    """Palmer penguins: 344 birds, 3 species; island and sex are text, 19 values are missing.

    Source: the `palmerpenguins` package (Horst, Hill and Gorman, 2020), data from Palmer
    Station, Antarctica LTER. `drop` removes columns (e.g. ["year"]).
    """
    import palmerpenguins

    return table_dataset(palmerpenguins.load_penguins(), "species", "the penguins table", CLASSIFICATION,
                         drop=drop, description="Palmer penguins (palmerpenguins package)")
