"""Tables as sources: a user's CSV or Parquet file, and the Palmer penguins table.

The recipe names the target column; every other column (or those listed in `columns`) is a
feature. Features stay a DataFrame with their names, types and missing values, for the
`feature_space` preprocessing step to impute and encode; a table of plain numbers with no
gaps may skip that step. `task` is read off the target unless the recipe says it:
text, booleans or whole numbers with at most 20 distinct values mean classification.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas

from common.targets import whole_numbers_are_classes
from data.errors import DataError
from data.sources import CLASSIFICATION, REGRESSION, Dataset, encode_labels, register_source
from data.streaming import Stream, TableReader, check_options, scan_table, wants_stream

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


def feature_columns(known: list[str], target: str, where: str, columns: list | None = None,
                    drop: list | None = None) -> list[str]:
    """The feature columns: `columns` when given, else every column but the target and `drop`."""
    for name in [target, *(columns or []), *(drop or [])]:
        if name not in known:
            raise DataError(
                f"{where} has no column {name!r}; its columns are {known}. Check `data.args.target`, "
                "`data.args.columns` and `data.args.drop`."
            )
    chosen = list(columns) if columns else [name for name in known if name not in (drop or [])]
    chosen = [name for name in chosen if name != target]
    if not chosen:
        raise DataError(f"{where} has no feature columns left besides the target {target!r}.")
    return chosen


def table_targets(values: pandas.Series, target: str, where: str, task: str = "auto",
                  classes: list | None = None) -> tuple[str, np.ndarray, list[str]]:
    """The task, the encoded targets and the class names of the target column's `values`."""
    if task not in TASKS:
        raise DataError(f"`data.args.task` must be one of {', '.join(TASKS)}. Received: task={task!r}")
    if task == "auto":
        task = CLASSIFICATION if classes is not None else infer_task(values)
    if task == CLASSIFICATION:
        targets, class_names = encode_labels(values.to_numpy(), classes, f"{where}, column {target!r}")
        return task, targets, class_names
    if values.dtype.kind not in "iuf":
        raise DataError(
            f"{where}: the target column {target!r} holds {values.dtype} values, not numbers, so it cannot be "
            "a regression target. Set `data.args.task='classification'` if these are class labels."
        )
    if values.isna().any():
        raise DataError(f"{where}: the target column {target!r} has {int(values.isna().sum())} missing values. "
                        "Drop those rows before training.")
    return task, values.to_numpy(dtype="float32"), []


def table_dataset(frame: pandas.DataFrame, target: str, where: str, task: str = "auto", classes: list | None = None,
                  columns: list | None = None, drop: list | None = None, description: str = "") -> Dataset:
    """A Dataset from a DataFrame: `target` becomes the targets, the other columns the features."""
    if task not in TASKS:
        raise DataError(f"`data.args.task` must be one of {', '.join(TASKS)}. Received: task={task!r}")
    chosen = feature_columns([str(name) for name in frame.columns], target, where, columns, drop)
    features = frame[chosen]
    task, targets, class_names = table_targets(frame[target], target, where, task, classes)
    return Dataset(features=features.reset_index(drop=True), targets=targets, task=task, class_names=class_names,
                   feature_names=[str(name) for name in features.columns], description=description,
                   target_name=str(target))


def _read(path: Path, reader) -> pandas.DataFrame:
    try:
        return reader(path)
    except (ValueError, OSError, pandas.errors.ParserError, ImportError) as error:
        raise DataError(f"Cannot read the table {str(path)!r}: {type(error).__name__}: {error}") from None


def _file_table(reader, kind: str, path, target, task, classes, columns, drop, test_path, stream, cache) -> Dataset:
    if not isinstance(target, str) or not target:
        raise DataError(f"A {kind} source needs `data.args.target`, the name of the column to predict.")
    check_options(stream, cache)
    found = existing_file(path)
    held_out_file = existing_file(test_path, "test_path") if test_path is not None else None
    if wants_stream(stream, [found] + ([held_out_file] if held_out_file else [])):
        return _streamed_table(kind, found, target, task, classes, columns, drop, held_out_file, cache)
    dataset = table_dataset(_read(found, reader), target, f"{kind} file {str(path)!r}", task, classes, columns,
                            drop, description=f"{kind} table {found.name}")
    if held_out_file is not None:
        held_out = table_dataset(_read(held_out_file, reader), target,
                                 f"{kind} file {str(test_path)!r}", dataset.task,
                                 dataset.class_names if dataset.task == CLASSIFICATION else None,
                                 dataset.feature_names)
        dataset.test = (held_out.features[dataset.feature_names], held_out.targets)
    return dataset


def _column_names(path: Path, kind: str) -> list[str]:
    if kind == "Parquet":
        import pyarrow.parquet

        return [str(name) for name in pyarrow.parquet.ParquetFile(path).schema_arrow.names]
    return [str(name) for name in pandas.read_csv(path, nrows=0).columns]


def _target_column(path: Path, kind: str, target: str) -> pandas.Series:
    if kind == "Parquet":
        return pandas.read_parquet(path, columns=[target])[target]
    return pandas.read_csv(path, usecols=[target])[target]


def _table_stream(kind: str, found: Path, target: str, task, classes, columns, drop, cache: str):
    """(task, targets, class names, a Stream of the feature columns) of one file, reading only its target eagerly."""
    where = f"{kind} file {str(found)!r}"
    try:
        chosen = feature_columns(_column_names(found, kind), target, where, columns, drop)
        values = _target_column(found, kind, target)
        dtypes, gaps, rows = scan_table(found, kind, chosen)
    except (ValueError, OSError, pandas.errors.ParserError, ImportError) as error:
        raise DataError(f"Cannot read the table {str(found)!r}: {type(error).__name__}: {error}") from None
    task, targets, class_names = table_targets(values, target, where, task, classes)
    if rows != len(targets):
        raise DataError(f"{where} gave {rows} rows of features but {len(targets)} targets; check the file's quoting.")
    features = Stream(np.arange(rows), TableReader(found, kind, dtypes), cache=cache, gaps=gaps)
    return task, targets, class_names, features


def _streamed_table(kind, found, target, task, classes, columns, drop, test_file, cache) -> Dataset:
    task, targets, class_names, features = _table_stream(kind, found, target, task, classes, columns, drop, cache)
    dataset = Dataset(features=features, targets=targets, task=task, class_names=class_names,
                      feature_names=list(features.reader.dtypes), description=f"{kind} table {found.name} (streamed)",
                      target_name=str(target))
    if test_file is not None:
        declared = class_names if task == CLASSIFICATION else None
        _, test_targets, _, test_features = _table_stream(kind, test_file, target, task, declared,
                                                          dataset.feature_names, None, cache)
        dataset.test = (test_features, test_targets)
    return dataset


@register_source("csv", needs="files")
def csv(path: str = "", target: str = "", task: str = "auto", classes: list | None = None,
        columns: list | None = None, drop: list | None = None, test_path: str | None = None,
        stream: str | bool | None = None, cache: str = "auto") -> Dataset:
    """A CSV file with a header row; `target` names the column to predict, `test_path` an optional test file.

    `stream` ("auto", true or false; None is "auto") reads the rows from the file as training needs them
    instead of loading the table into memory; "auto" streams when the file (with its test
    file) is over 256 MiB. Only the target column is then read at once. `cache` keeps decoded
    rows between epochs: "auto" (in memory when they fit in 1 GiB), "memory", "none" or a
    file path prefix.
    """
    return _file_table(pandas.read_csv, "CSV", path, target, task, classes, columns, drop, test_path, stream, cache)


@register_source("parquet", needs="files")
def parquet(path: str = "", target: str = "", task: str = "auto", classes: list | None = None,
            columns: list | None = None, drop: list | None = None, test_path: str | None = None,
            stream: str | bool | None = None, cache: str = "auto") -> Dataset:
    """A Parquet file; `target` names the column to predict, `test_path` an optional test file.

    `stream` and `cache` are as for the csv source (rows read batch by batch with pyarrow).
    """
    return _file_table(pandas.read_parquet, "Parquet", path, target, task, classes, columns, drop, test_path,
                       stream, cache)


@register_source("penguins")
def penguins(drop: list | None = None) -> Dataset:
    """Palmer penguins: 344 birds, 3 species; island and sex are text, 19 values are missing.

    Source: the `palmerpenguins` package (Horst, Hill and Gorman, 2020), data from Palmer
    Station, Antarctica LTER. `drop` removes columns (e.g. ["year"]).
    """
    import palmerpenguins

    return table_dataset(palmerpenguins.load_penguins(), "species", "the penguins table", CLASSIFICATION,
                         drop=drop, description="Palmer penguins (palmerpenguins package)")
