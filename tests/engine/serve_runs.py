"""Tiny finished runs of each kind that can be served, trained once per test process for test_predict and
test_export (both files are in the xdist group "serve", so one process trains them)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas
import pytest
from sklearn import metrics as sk

# One per kind: images, a table with text columns and gaps, regression, sequences. Short runs: the tests check
# that serving reproduces what the run measured, not that the run is good.
KINDS = {
    "digits_cnn": {"epochs": 2, "model.args.filters": 16, "model.args.dense_units": 32},
    "penguins_tabular": {"epochs": 3},
    "diabetes_regression": {"epochs": 3},
    "mnist1d_cnn": {"epochs": 1, "model.args.filters": 8, "model.args.blocks": 2},
}
ARRAY_KINDS = ("digits_cnn", "diabetes_regression", "mnist1d_cnn")


@pytest.fixture(scope="session", name="serve_runs")
def serve_runs_fixture(tmp_path_factory) -> dict[str, Path]:
    """{recipe name: its finished run folder}, trained in this process."""
    from engine.recipe.loading import load_recipe
    from engine.recipe.overrides import apply_overrides
    from engine.run.training import run_recipe

    runs_dir = tmp_path_factory.mktemp("serve_runs")
    folders = {}
    for name, overrides in KINDS.items():
        result = run_recipe(apply_overrides(load_recipe(name), overrides), runs_dir=runs_dir,
                            console=lambda line: None, verbose=0)
        folders[name] = result.folder
    return folders


def write_test_split(folder: Path, destination: Path) -> Path:
    """The run's raw test split as predict takes it: a CSV of a table's columns, else an .npz array `x`."""
    from engine.serve.state import raw_test_split

    features, _ = raw_test_split(json.loads((folder / "recipe.json").read_text()))
    return write_rows(features, destination, "test_split")


def write_rows(rows, destination: Path, stem: str) -> Path:
    """Inputs as predict reads them: a table as `<stem>.csv`, an array as `<stem>.npz` holding `x`."""
    if isinstance(rows, pandas.DataFrame):
        path = destination / f"{stem}.csv"
        rows.to_csv(path, index=False)
    else:
        path = destination / f"{stem}.npz"
        np.savez(path, x=rows)
    return path


def metric_pair(folder: Path, predictions: Path) -> tuple[float, float]:
    """(the metric of the predictions CSV on the run's test split, the same metric from metrics.json)."""
    from engine.recipe.loading import load_recipe
    from engine.run.building import prepare_data

    prepared = prepare_data(load_recipe(str(folder / "recipe.json")))
    recorded = json.loads((folder / "metrics.json").read_text())["evaluation"]["test"]
    table = pandas.read_csv(predictions, keep_default_na=False)
    targets = prepared.splits["test"][1]
    if prepared.task == "classification":
        truth = [prepared.class_names[index] for index in targets]
        return sk.accuracy_score(truth, table["predicted"].astype(str)), recorded["accuracy"]
    truth = prepared.targets_in_original_units(targets.reshape(len(targets), -1))
    return sk.r2_score(truth, table[["predicted"]].to_numpy()), recorded["r2"]
