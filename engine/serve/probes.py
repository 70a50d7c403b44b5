"""Raw rows that probe the input contract an exported artifact shares with `make predict`.

A run's test split is where its model is confident and its inputs are tidy, so parity on it alone can miss a
case where the artifact and predict read an input differently. `probe_rows` adds, to the test split, the raw
rows a user may send, each group named by the case it covers:

- every kind: rows near the decision boundary (a classifier: the first test rows moved along the line to a row
  predicted as another class, bisected to where the predicted class changes), and rows between test rows (a
  regressor);
- an array: an all-zero row, rows scaled threefold and sign-flipped (values outside the training range), and
  gaps where the run imputes them;
- a table: each text column blank in turn (a user sends an empty string; predict reads an empty cell), each
  numeric column blank in turn, a category training never saw in each text column, and every cell blank.

Each case is a `Probe`: its name and its raw rows. `engine.serve.export` checks parity on all of them and names
the case that fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas

BOUNDARY_PAIRS = 16
BISECTIONS = 10
EDGE_ROWS = 4
TEST_CASE = "test split"
BOUNDARY_CASE = "near the decision boundary"


@dataclass
class Probe:
    """One case: its name and raw rows (a DataFrame of a table's columns, or an array of raw samples)."""

    case: str
    rows: Any


def probe_rows(raw_test: Any, predict: Callable[[Any], np.ndarray], classification: bool,
               imputes_gaps: bool) -> list[Probe]:
    """The test split and the generated cases; `predict` maps raw rows to the model's outputs (predict's path)."""
    probes = [Probe(TEST_CASE, raw_test)]
    if isinstance(raw_test, pandas.DataFrame):
        probes.append(Probe(BOUNDARY_CASE if classification else "between test rows",
                            _table_between(raw_test, predict, classification)))
        probes.extend(_table_cases(raw_test))
    else:
        values = np.asarray(raw_test, dtype="float32")
        probes.append(Probe(BOUNDARY_CASE if classification else "between test rows",
                            _array_between(values, predict, classification)))
        probes.extend(_array_cases(values, imputes_gaps))
    return [probe for probe in probes if len(probe.rows)]


def _pairs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Up to BOUNDARY_PAIRS (start, end) row indices whose predicted classes differ (any rows for a regressor)."""
    starts, ends = [], []
    for start in range(len(labels)):
        others = np.flatnonzero(labels != labels[start])
        if len(others):
            starts.append(start)
            ends.append(others[(start * 7) % len(others)])
        if len(starts) == BOUNDARY_PAIRS:
            break
    return np.asarray(starts, dtype=int), np.asarray(ends, dtype=int)


def _decided(outputs: np.ndarray) -> np.ndarray:
    outputs = outputs.reshape(len(outputs), -1)
    return (outputs[:, 0] >= 0.5).astype(int) if outputs.shape[1] == 1 else outputs.argmax(axis=1)


def _bisect(start: np.ndarray, end: np.ndarray, mix: Callable[[np.ndarray], Any],
            predict: Callable[[Any], np.ndarray]) -> np.ndarray:
    """Per pair, the fraction of the way from start to end where the predicted class changes, to 2**-BISECTIONS."""
    low, high = np.zeros(len(start)), np.ones(len(start))
    first = _decided(predict(mix(low)))
    for _ in range(BISECTIONS):
        middle = (low + high) / 2
        same = _decided(predict(mix(middle))) == first
        low, high = np.where(same, middle, low), np.where(same, high, middle)
    return (low + high) / 2


def _array_between(values: np.ndarray, predict: Callable, classification: bool) -> np.ndarray:
    if len(values) < 2:
        return values[:0]
    labels = _decided(predict(values)) if classification else np.arange(len(values))
    start, end = _pairs(labels)
    if not len(start):
        return values[:0]

    def mix(fraction: np.ndarray) -> np.ndarray:
        fraction = fraction.reshape(-1, *[1] * (values.ndim - 1)).astype("float32")
        return values[start] * (1 - fraction) + values[end] * fraction

    return mix(_bisect(start, end, mix, predict) if classification else np.linspace(0.25, 0.75, len(start)))


def _array_cases(values: np.ndarray, imputes_gaps: bool) -> list[Probe]:
    rows = values[:EDGE_ROWS]
    cases = [Probe("an all-zero row", np.zeros_like(values[:1])),
             Probe("values three times the test rows'", rows * 3),
             Probe("values of the opposite sign", -rows)]
    if imputes_gaps:
        gaps = rows.copy().reshape(len(rows), -1)
        for index in range(len(gaps)):
            gaps[index, index % gaps.shape[1]] = np.nan
        cases.append(Probe("a gap the run imputes", gaps.reshape(rows.shape)))
    return cases


def _text_columns(frame: pandas.DataFrame) -> list[str]:
    return [column for column in frame if not pandas.api.types.is_numeric_dtype(frame[column])]


def _table_between(frame: pandas.DataFrame, predict: Callable, classification: bool) -> pandas.DataFrame:
    """Numeric columns moved between two rows (text columns kept from the first), bisected for a classifier."""
    numeric = [column for column in frame if column not in _text_columns(frame)]
    complete = frame.dropna().reset_index(drop=True)
    if len(complete) < 2 or not numeric:
        return frame.iloc[:0]
    labels = _decided(predict(complete)) if classification else np.arange(len(complete))
    start, end = _pairs(labels)
    if not len(start):
        return frame.iloc[:0]
    begin = complete[numeric].to_numpy(dtype="float64")[start]
    finish = complete[numeric].to_numpy(dtype="float64")[end]

    def mix(fraction: np.ndarray) -> pandas.DataFrame:
        rows = complete.iloc[start].reset_index(drop=True).copy()
        rows[numeric] = begin * (1 - fraction[:, None]) + finish * fraction[:, None]
        return rows

    return mix(_bisect(start, end, mix, predict) if classification else np.linspace(0.25, 0.75, len(start)))


def _table_cases(frame: pandas.DataFrame) -> list[Probe]:
    rows = frame.iloc[:EDGE_ROWS].reset_index(drop=True)
    text = _text_columns(frame)
    cases = []
    for column in text:
        cases.append(Probe(f"a blank text cell ({column})", rows.assign(**{column: np.nan})))
        cases.append(Probe(f"a category never seen in training ({column})",
                           rows.assign(**{column: "never seen in training"})))
    for column in (column for column in frame if column not in text):
        cases.append(Probe(f"a blank numeric cell ({column})", rows.assign(**{column: np.nan})))
    cases.append(Probe("every cell blank", rows.iloc[:1].assign(**{column: np.nan for column in frame})))
    return cases
