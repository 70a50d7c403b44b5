"""TensorFlow Serving's REST format for a served run: predict bodies in; predictions, status and metadata out.

A predict body is `{"instances": [...]}` (row format: one raw sample per item) or `{"inputs": ...}` (columnar
format), with an optional `"signature_name": "serving_default"`. A sample is what `make predict` takes, sent as
JSON:

- a table run: an object of the training feature columns (any order; the target column may be there and is
  ignored), `null` for a gap; in columnar format, an object of columns, each a list over the samples;
- an array run: a nested list shaped like one raw sample (64 numbers for digits, 40 x 1 for MNIST-1D), `null` for
  a gap the run imputes; in columnar format, the list of samples. Where the samples are flat and their features
  named (the scikit-learn sets), an object of those names works too, as a CSV of those columns does for predict.

Each request is checked here on its own, with engine.serve.inputs' checks (columns, sample shape, gaps), before
it joins a batch, so a bad request is refused alone. `NaN` and `Infinity`, which JSON does not have (Python's
parser reads them), are refused: a gap is `null`.

Each prediction is an object: a classifier's `{"predicted": "Adelie", "probabilities": {"Adelie": 0.97, ...}}`,
a regressor's `{"predicted": 151.2}` in the target's own units (a list for several targets). These are the
cells of `make predict`'s CSV, computed by the functions its prediction_table calls
(engine.serve.predict.class_predictions, Served.in_target_units). A columnar request is answered with
`{"outputs": ...}`: the same predictions turned into columns, each leaf a list over the samples.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas

from engine.serve.inputs import Inputs, array_inputs, check_columns, column_kinds, table_columns, table_inputs
from engine.serve.predict import class_predictions
from engine.serve.state import Served, ServeError

VERSION = "1"  # a served run has one version, as a TF Serving model folder with one numbered subfolder
SIGNATURE = "serving_default"
BODY_KEYS = {"instances", "inputs", "signature_name"}
CELL_TYPES = {"numeric": "numbers", "integer_categorical": "whole numbers", "categorical": "text or numbers"}


@dataclass
class PredictRequest:
    """One predict body, checked: its samples ready to join a batch, how many, and how to answer."""

    samples: Any  # an array run's float32 array; a table run's {column: list of typed cells}
    count: int
    columnar: bool


# ---- requests ---------------------------------------------------------------------------------------------------


def read_json(body: bytes) -> Any:
    """The JSON value of a request body; `NaN`, `Infinity` and numbers beyond float64 are refused."""
    try:
        return json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except ServeError:
        raise
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ServeError(f"The request body is not valid JSON: {error}.") from None


def _refuse_constant(token: str) -> float:
    raise ServeError(f"The request holds {token}, which JSON does not allow and no model input takes: send a finite "
                     "number, or null for a gap.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ServeError(f"The request holds the number {text[:40]}, beyond float64's range: send a finite number.")
    return value


def parse_predict(served: Served, body: bytes) -> PredictRequest:
    """A predict body, checked against the run `served` was trained on."""
    document = read_json(body)
    if not isinstance(document, dict):
        raise ServeError(f"A predict body is a JSON object, {{\"instances\": [...]}} or {{\"inputs\": ...}}. "
                         f"Received: a {_json_type(document)}.")
    unknown = sorted(set(document) - BODY_KEYS)
    if unknown:
        raise ServeError(f"A predict body holds `instances` or `inputs` (and optionally `signature_name`); it has "
                         f"the unknown keys {unknown}.")
    if ("instances" in document) == ("inputs" in document):
        raise ServeError("A predict body holds either `instances` (row format) or `inputs` (columnar format), "
                         "exactly one of them.")
    signature = document.get("signature_name", SIGNATURE)
    if signature not in (SIGNATURE, ""):
        raise ServeError(f"This model has one signature, {SIGNATURE!r}. Received: signature_name={signature!r}.")
    columnar = "inputs" in document
    samples = document["inputs" if columnar else "instances"]
    if served.is_table:
        cells = _table_columns(served, samples, columnar)
        return PredictRequest(cells, len(next(iter(cells.values()))), columnar)
    values = array_inputs(served, _numbers(_array_samples(served, samples, columnar))).features
    return PredictRequest(values, len(values), columnar)


def _json_type(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(type(value),
                                                                                                "number")


def _table_columns(served: Served, samples: Any, columnar: bool) -> dict[str, list]:
    """{column: cells} from rows (instances) or columns (inputs), each cell typed as its column's kind."""
    expected, allowed_extra = table_columns(served)
    if columnar:
        columns = _named_columns(samples, expected, allowed_extra)
    else:
        columns = _rows_to_columns(samples, expected, allowed_extra)
    kinds = column_kinds(served)
    return {name: _typed_cells(name, kinds[name], columns[name]) for name in expected}


def _rows_to_columns(rows: Any, expected: list[str], allowed_extra: set[str]) -> dict[str, list]:
    if not isinstance(rows, list) or not rows:
        raise ServeError(f"`instances` is a non-empty list of rows, each an object of the columns {expected}. "
                         f"Received: {_shown(rows)}.")
    wanted = set(expected)
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ServeError(f"Instance {index} is a {_json_type(row)}; each instance is an object of the columns "
                             f"{expected} (null for a gap).")
        if set(row) != wanted and not wanted <= set(row) <= wanted | allowed_extra:
            check_columns(list(row), expected, allowed_extra, f"Instance {index}")
    return {name: [row[name] for row in rows] for name in expected}


def _named_columns(columns: Any, expected: list[str], allowed_extra: set[str]) -> dict[str, list]:
    if not isinstance(columns, dict):
        raise ServeError(f"`inputs` is an object of the columns {expected}, each a list over the samples. "
                         f"Received: {_shown(columns)}.")
    check_columns(list(columns), expected, allowed_extra, "`inputs`")
    lengths = {name: len(columns[name]) if isinstance(columns[name], list) else None for name in expected}
    if None in lengths.values() or len(set(lengths.values())) != 1 or not lengths[expected[0]]:
        raise ServeError(f"Each column of `inputs` is a non-empty list over the samples, all of one length. "
                         f"Received lengths {lengths} (None: not a list).")
    return columns


def _typed_cells(name: str, kind: str, cells: list) -> list:
    """A column's cells as its kind takes them: floats (NaN for a gap) for numbers, else as sent."""
    for index, cell in enumerate(cells):
        if cell is not None and not _cell_fits(kind, cell):
            raise ServeError(f"Column {name!r} takes {CELL_TYPES.get(kind, 'text')}, but sample {index} holds "
                             f"{_shown(cell)}. Send null for a gap.")
    if kind == "categorical":
        return cells
    try:
        return [math.nan if cell is None else float(cell) for cell in cells]
    except OverflowError:
        raise ServeError(f"Column {name!r} holds a whole number beyond float64's range.") from None


def _cell_fits(kind: str, cell: Any) -> bool:
    if isinstance(cell, bool):
        return False
    if kind == "numeric":
        return isinstance(cell, (int, float))
    if kind == "integer_categorical":
        return isinstance(cell, int) or (isinstance(cell, float) and cell.is_integer())
    return isinstance(cell, (str, int, float))


def _array_samples(served: Served, samples: Any, columnar: bool) -> list:
    """The samples as a list of nested lists; objects of named features are put in their trained order."""
    raw = served.state["raw_inputs"]
    names = list(raw.get("names") or [])
    named = len(raw["shape"]) == 1 and len(names) == raw["shape"][0]
    where = "`inputs`" if columnar else "`instances`"
    if named and isinstance(samples, dict) and columnar:
        columns = _named_columns(samples, names, set())
        return [list(row) for row in zip(*(columns[name] for name in names), strict=True)]
    if not isinstance(samples, list) or not samples:
        raise ServeError(f"{where} is a non-empty list of samples, each a nested list shaped {raw['shape']}"
                         + (f", or an object of the features {names[:3]}..." if named and not columnar else "")
                         + f". Received: {_shown(samples)}.")
    if named and isinstance(samples[0], dict):
        columns = _rows_to_columns(samples, names, set())
        return [list(row) for row in zip(*(columns[name] for name in names), strict=True)]
    return samples


def _numbers(samples: list) -> np.ndarray:
    """Nested lists of numbers (null for a gap) as a float64 array, refused if ragged or holding anything else."""
    cells = np.array(samples, dtype=object)
    odd = next((cell for cell in cells.reshape(-1) if cell is not None and (isinstance(cell, bool)
                                                                           or not isinstance(cell, (int, float)))),
               None)
    if odd is not None:
        shape_hint = " (samples of unequal lengths)" if isinstance(odd, list) else ""
        raise ServeError(f"Samples are nested lists of numbers, null for a gap, all shaped alike; found "
                         f"{_shown(odd)}{shape_hint}.")
    try:
        return np.array(samples, dtype="float64")
    except (ValueError, TypeError, OverflowError) as error:
        raise ServeError(f"The samples could not be read as numbers: {error}.") from None


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return f"{_json_type(value)} {text if len(text) <= 60 else text[:57] + '...'}"


# ---- batches ----------------------------------------------------------------------------------------------------


def batch_inputs(served: Served, samples: list[Any]) -> Inputs:
    """Several requests' samples as one batch of model inputs, in order."""
    if not served.is_table:
        return Inputs(np.concatenate(samples), [])
    kinds = column_kinds(served)
    frame = pandas.DataFrame({name: _column(kind, [cell for part in samples for cell in part[name]])
                              for name, kind in kinds.items()})
    return table_inputs(served, frame)


def _column(kind: str, cells: list) -> Any:
    return pandas.Series(cells, dtype=object) if kind == "categorical" else np.asarray(cells, dtype="float64")


def warm_up_samples(served: Served, count: int) -> Any:
    """`count` samples of gaps (a table) or zeros (an array): what warms the model up for that batch size."""
    if served.is_table:
        kinds = column_kinds(served)
        return {name: [None] * count if kind == "categorical" else [math.nan] * count for name, kind in kinds.items()}
    return np.zeros((count, *served.state["raw_inputs"]["shape"]), dtype="float32")


def prediction_records(served: Served, outputs: np.ndarray) -> list[dict[str, Any]]:
    """One object per sample: the cells of `make predict`'s CSV row, computed by the same functions."""
    if served.classification:
        names, predicted, probabilities = class_predictions(served, outputs)
        rows = probabilities.astype("float64").tolist()
        return [{"predicted": name, "probabilities": dict(zip(names, row, strict=True))}
                for name, row in zip(predicted, rows, strict=True)]
    values = served.in_target_units(outputs).astype("float64").tolist()
    return [{"predicted": row[0] if len(row) == 1 else row} for row in values]


def answer(records: list[dict[str, Any]], columnar: bool) -> dict[str, Any]:
    """The predict response: `predictions` (one object per sample), or `outputs` (those objects as columns)."""
    if not columnar:
        return {"predictions": records}
    outputs: dict[str, Any] = {"predicted": [record["predicted"] for record in records]}
    if "probabilities" in records[0]:
        outputs["probabilities"] = {name: [record["probabilities"][name] for record in records]
                                    for name in records[0]["probabilities"]}
    return {"outputs": outputs}


# ---- status and metadata ---------------------------------------------------------------------------------------


def status() -> dict[str, Any]:
    """GET /v1/models/NAME: TF Serving's GetModelStatusResponse for the one version served."""
    return {"model_version_status": [{"version": VERSION, "state": "AVAILABLE",
                                      "status": {"error_code": "OK", "error_message": ""}}]}


def metadata(served: Served, name: str) -> dict[str, Any]:
    """GET /v1/models/NAME/metadata: the signature's raw inputs and outputs, in TF Serving's layout."""
    raw = served.state["raw_inputs"]
    if served.is_table:
        kinds = column_kinds(served)
        dtypes = {"numeric": "DT_FLOAT", "integer_categorical": "DT_INT64"}
        inputs = {column: _tensor(column, dtypes.get(kinds[column], "DT_STRING"), [-1]) for column in raw["columns"]}
    else:
        inputs = {"features": _tensor("features", "DT_FLOAT", [-1, *raw["shape"]])}
    if served.classification:
        outputs = {"predicted": _tensor("predicted", "DT_STRING", [-1]),
                   "probabilities": _tensor("probabilities", "DT_FLOAT", [-1, len(served.state["class_names"])])}
    else:
        outputs = {"predicted": _tensor("predicted", "DT_FLOAT", [-1])}
    signature = {"inputs": inputs, "outputs": outputs, "method_name": "tensorflow/serving/predict"}
    return {"model_spec": {"name": name, "signature_name": "", "version": VERSION},
            "metadata": {"signature_def": {"signature_def": {SIGNATURE: signature}},
                         "task": served.state["task"], "class_names": served.state.get("class_names"),
                         "source": served.state.get("source"), "served_from": served.name}}


def _tensor(name: str, dtype: str, shape: list[int]) -> dict[str, Any]:
    return {"name": name, "dtype": dtype, "tensor_shape": {"dim": [{"size": str(size), "name": ""} for size in shape],
                                                           "unknown_rank": False}}
