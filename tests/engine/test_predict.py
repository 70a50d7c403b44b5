"""make predict: raw inputs through a run's fitted preprocessing and model, one CSV row per input.

On each kind's own test split the predictions reproduce the test metric of the run's metrics.json exactly;
bad inputs exit 2 and write nothing.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas
import pytest

from engine.cli import main
from tests.engine.serve_runs import KINDS, metric_pair, write_test_split

# serve_runs (tests/engine/conftest.py) trains once per process: keep this file and test_export.py together.
pytestmark = pytest.mark.xdist_group("serve")


@pytest.mark.parametrize("name", list(KINDS))
def test_predictions_on_the_test_split_reproduce_the_recorded_test_metric(serve_runs, name, tmp_path):
    folder = serve_runs[name]
    output = tmp_path / "predictions.csv"
    assert main(["predict", str(folder), str(write_test_split(folder, tmp_path)), "--output", str(output)]) == 0
    measured, recorded = metric_pair(folder, output)
    assert measured == recorded
    table = pandas.read_csv(output, keep_default_na=False)
    state = json.loads((folder / "preprocessing.json").read_text())
    if state["task"] == "classification":
        probabilities = table[[f"probability_{name}" for name in state["class_names"]]].to_numpy()
        assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
        assert set(table["predicted"].astype(str)) <= set(state["class_names"])
    else:  # in the target's own units (diabetes scores run from 25 to 346), not in standard units
        assert 50 < table["predicted"].mean() < 250


def test_named_feature_columns_work_as_a_csv_and_give_the_same_predictions(serve_runs, tmp_path):
    from engine.serve.predict import predict

    folder = serve_runs["diabetes_regression"]
    state = json.loads((folder / "preprocessing.json").read_text())
    features = np.load(write_test_split(folder, tmp_path))["x"]
    pandas.DataFrame(features, columns=state["raw_inputs"]["names"]).iloc[:, ::-1].to_csv(tmp_path / "rows.csv",
                                                                                          index=False)
    from_csv = pandas.read_csv(predict(folder, tmp_path / "rows.csv", tmp_path / "a.csv", console=print))
    from_npz = pandas.read_csv(predict(folder, tmp_path / "test_split.npz", tmp_path / "b.csv", console=print))
    assert np.array_equal(from_csv["predicted"].to_numpy(), from_npz["predicted"].to_numpy())


def test_a_pretrained_zoo_model_predicts_by_name(tmp_path):
    from sklearn.datasets import load_digits

    digits = load_digits()
    keep = digits.target < 5
    np.savez(tmp_path / "digits.npz", x=digits.data[keep][:50].astype("float32"))
    assert main(["predict", "digits04_cnn", str(tmp_path / "digits.npz"), "--output", str(tmp_path / "p.csv")]) == 0
    table = pandas.read_csv(tmp_path / "p.csv")
    assert list(table.columns) == ["row", "predicted", *[f"probability_{digit}" for digit in range(5)]]
    assert (table["predicted"].to_numpy() == digits.target[keep][:50]).mean() >= 0.9


def _penguins_rows(serve_runs, tmp_path) -> pandas.DataFrame:
    return pandas.read_csv(write_test_split(serve_runs["penguins_tabular"], tmp_path))


def _unfinished(serve_runs, tmp_path):
    folder = shutil.copytree(serve_runs["digits_cnn"], tmp_path / "unfinished")
    env = json.loads((folder / "env.json").read_text())
    (folder / "env.json").write_text(json.dumps({**env, "status": "running"}))
    return folder


BAD_INPUTS = {
    "missing column": ("penguins_tabular", lambda runs, tmp: _penguins_rows(runs, tmp).drop(columns=["island"]),
                       "lacks the columns ['island']"),
    "extra column": ("penguins_tabular", lambda runs, tmp: _penguins_rows(runs, tmp).assign(colour="blue"),
                     "columns ['colour'] that the model was not trained on"),
    "text in a numeric column": ("penguins_tabular",
                                 lambda runs, tmp: _penguins_rows(runs, tmp).assign(body_mass_g="heavy"),
                                 "declared numeric"),
    "wrong sample shape": ("digits_cnn", lambda runs, tmp: np.zeros((3, 8, 8), "float32"), "shaped [8, 8]"),
    "gaps with no impute step": ("diabetes_regression",
                                 lambda runs, tmp: np.full((2, 10), np.nan, "float32"), "no impute step"),
    "an empty file": ("mnist1d_cnn", lambda runs, tmp: np.zeros((0, 40, 1), "float32"), "holds no samples"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_inputs_exit_2_with_a_message_and_write_nothing(serve_runs, tmp_path, capsys, case):
    name, make, expected = BAD_INPUTS[case]
    value = make(serve_runs, tmp_path)
    if isinstance(value, pandas.DataFrame):
        path = tmp_path / "rows.csv"
        value.to_csv(path, index=False)
    else:
        path = tmp_path / "rows.npz"
        np.savez(path, x=value)
    output = tmp_path / "out" / "predictions.csv"
    output.parent.mkdir()
    assert main(["predict", str(serve_runs[name]), str(path), "--output", str(output)]) == 2
    message = capsys.readouterr().err
    assert message.startswith("error: ") and expected in message and "Traceback" not in message
    assert list(output.parent.iterdir()) == []


def test_an_unfinished_run_or_an_unknown_name_is_refused(serve_runs, tmp_path, capsys):
    rows = write_test_split(serve_runs["digits_cnn"], tmp_path)
    output = tmp_path / "predictions.csv"
    assert main(["predict", str(_unfinished(serve_runs, tmp_path)), str(rows), "--output", str(output)]) == 2
    assert "not a finished run" in capsys.readouterr().err
    assert main(["predict", "digits04_cnm", str(rows), "--output", str(output)]) == 2
    assert "Did you mean 'digits04_cnn'" in capsys.readouterr().err
    assert not output.exists()
