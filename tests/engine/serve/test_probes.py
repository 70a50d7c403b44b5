"""engine.serve.probes: the raw rows an export's parity check adds to the test split."""

from __future__ import annotations

import numpy as np
import pandas

from engine.serve.probes import BOUNDARY_CASE, TEST_CASE, probe_rows


def linear(rows: np.ndarray) -> np.ndarray:
    """Two classes split by the plane where a sample's values sum to zero."""
    total = np.asarray(rows, dtype="float64").reshape(len(rows), -1).sum(axis=1)
    return np.stack([1 / (1 + np.exp(total)), 1 / (1 + np.exp(-total))], axis=1)


def test_array_rows_near_the_boundary_lie_where_the_predicted_class_changes():
    rows = np.random.default_rng(0).normal(size=(40, 3, 2)).astype("float32")
    probes = {probe.case: probe.rows for probe in probe_rows(rows, linear, classification=True, imputes_gaps=False)}
    assert probes[TEST_CASE] is rows
    boundary = probes[BOUNDARY_CASE]
    assert boundary.shape[1:] == rows.shape[1:] and len(boundary) == 16
    sums = np.abs(boundary.reshape(len(boundary), -1).sum(axis=1))
    spans = np.abs(rows.reshape(len(rows), -1).sum(axis=1)).max() * 2
    assert (sums <= spans * 2.0 ** -9).all(), sums.max()
    assert np.isnan(probes.get("a gap the run imputes", np.zeros(1))).sum() == 0
    assert (probes["an all-zero row"] == 0).all() and np.allclose(probes["values of the opposite sign"], -rows[:4])


def test_array_gaps_are_probed_only_where_the_run_imputes_them():
    rows = np.arange(24, dtype="float32").reshape(6, 4)
    probes = {probe.case: probe.rows for probe in probe_rows(rows, linear, classification=False, imputes_gaps=True)}
    assert np.isnan(probes["a gap the run imputes"]).sum() == 4
    between = probes["between test rows"]
    assert len(between) == 6 and not any((between == row).all(axis=1).any() for row in rows)


def test_a_table_gets_each_blank_and_unseen_case_by_column_and_boundary_rows_keep_text():
    frame = pandas.DataFrame({"size": np.linspace(-2, 2, 12), "weight": np.linspace(1, -1, 12),
                              "island": ["a", "b", "c"] * 4})

    def predicted(rows: pandas.DataFrame) -> np.ndarray:
        return linear(rows[["size", "weight"]].to_numpy(dtype="float64"))

    probes = {probe.case: probe.rows for probe in probe_rows(frame, predicted, classification=True,
                                                             imputes_gaps=False)}
    assert probes["a blank text cell (island)"]["island"].isna().all()
    assert (probes["a category never seen in training (island)"]["island"] == "never seen in training").all()
    assert probes["a blank numeric cell (size)"]["size"].isna().all()
    assert probes["a blank numeric cell (weight)"]["weight"].isna().all()
    assert probes["every cell blank"].isna().all(axis=None)
    boundary = probes[BOUNDARY_CASE]
    assert set(boundary["island"]) <= {"a", "b", "c"}
    assert (np.abs(boundary["size"] + boundary["weight"]) <= 8 * 2.0 ** -9).all()
