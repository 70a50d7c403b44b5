"""make export: SavedModel, ONNX and LiteRT artifacts with the preprocessing inside, parity-checked in their own
runtimes on the run's test split and generated raw rows (engine.serve.probes); refusals exit 2 and write
nothing; a parity failure keeps nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.cli import main
from tests.engine.serve_runs import ARRAY_KINDS

# serve_runs (tests/engine/conftest.py) trains once per process: keep this file and test_predict.py together.
pytestmark = pytest.mark.xdist_group("serve")

pytest.importorskip("tf2onnx", reason="the `export` extra is not installed: pip install -e \".[export]\"")
pytest.importorskip("onnxruntime", reason="the `export` extra is not installed: pip install -e \".[export]\"")
pytest.importorskip("ai_edge_litert", reason="the `export` extra is not installed: pip install -e \".[export]\"")

ARTIFACT = {"saved_model": "saved_model", "onnx": "model.onnx", "litert": "model.tflite"}
CASES = [(name, format_name) for name in ARRAY_KINDS for format_name in ARTIFACT] + \
    [("penguins_tabular", "saved_model")]


@pytest.mark.parametrize(("name", "format_name"), CASES)
def test_every_exportable_kind_passes_parity_in_its_own_runtime(serve_runs, name, format_name):
    folder = serve_runs[name]
    assert main(["export", str(folder), "--format", format_name]) == 0
    entry = json.loads((folder / "export" / "exports.json").read_text())[format_name]
    assert entry["parity"]["passed"] and entry["parity"]["max_scaled_diff"] <= 1e-5
    cases = entry["parity"]["cases"]
    assert cases["test split"] == json.loads((folder / "env.json").read_text())["data"]["sizes"]["test"]
    boundary = "between test rows" if name == "diabetes_regression" else "near the decision boundary"
    edges = ["values three times the test rows'", "an all-zero row"]
    if name == "penguins_tabular":
        edges = ["a blank text cell (island)", "a category never seen in training (sex)",
                 "a blank numeric cell (body_mass_g)", "every cell blank"]
    assert cases[boundary] > 0 and all(cases[edge] > 0 for edge in edges), cases
    assert entry["parity"]["samples"] == sum(cases.values())
    assert (folder / "export" / ARTIFACT[format_name]).exists() and entry["bytes"] > 0
    assert entry["latency_ms"]["1"] > 0 and entry["latency_ms"]["32"] > 0
    readme = (folder / "export" / "README.md").read_text()
    assert f"## {format_name}" in readme and "Median latency" in readme
    assert not [path.name for path in (folder / "export").iterdir() if path.name.startswith(".")]


def test_the_saved_model_serves_raw_columns_through_serving_default(serve_runs):
    import pandas
    import tensorflow as tf

    from engine.serve.predict import predict
    from tests.engine.serve_runs import write_test_split

    folder = serve_runs["penguins_tabular"]
    assert main(["export", str(folder), "--format", "saved_model"]) == 0
    rows = write_test_split(folder, folder.parent)
    frame = pandas.read_csv(rows)
    function = tf.saved_model.load(str(folder / "export" / "saved_model")).signatures["serving_default"]
    inputs = {column: tf.constant(frame[[column]].to_numpy(dtype="float32")) if frame[column].dtype.kind == "f"
              else tf.constant(frame[[column]].fillna("(missing)").astype(str).to_numpy()) for column in frame}
    served = np.asarray(next(iter(function(**inputs).values())))
    predicted = pandas.read_csv(predict(folder, rows, folder.parent / "p.csv", console=print))
    assert np.allclose(served, predicted.filter(like="probability_").to_numpy(), atol=1e-5)


def generated_rows(frame):
    """Raw rows that cover what a user sends: each text column blank in turn, each numeric column blank in turn,
    an unseen category in each text column, every column blank at once, and the columns in reverse order."""
    import pandas

    text = [column for column in frame if frame[column].dtype == object]
    numeric = [column for column in frame if column not in text]
    rows = [frame.iloc[:8]]
    for column in text:
        rows.append(frame.iloc[:8].assign(**{column: np.nan}))
        rows.append(frame.iloc[:8].assign(**{column: "never seen in training"}))
    for column in numeric:
        rows.append(frame.iloc[:8].assign(**{column: np.nan}))
    rows.append(frame.iloc[:2].assign(**{column: np.nan for column in frame}))
    return pandas.concat(rows, ignore_index=True)[list(reversed(frame.columns))]


def test_the_saved_model_answers_as_predict_does_on_blanks_unseen_categories_and_any_column_order(serve_runs):
    """The artifact takes a blank text cell as "" (a string tensor holds no NaN), predict as an empty CSV cell:
    both are the gap the run learned, not an unseen category."""
    import pandas
    import tensorflow as tf

    from engine.serve.predict import predict
    from engine.serve.state import raw_test_split

    folder = serve_runs["penguins_tabular"]
    assert main(["export", str(folder), "--format", "saved_model"]) == 0
    features, _ = raw_test_split(json.loads((folder / "recipe.json").read_text()))
    frame = generated_rows(features)
    frame.to_csv(folder.parent / "generated.csv", index=False)
    function = tf.saved_model.load(str(folder / "export" / "saved_model")).signatures["serving_default"]
    inputs = {column: tf.constant(frame[[column]].to_numpy(dtype="float32")) if frame[column].dtype.kind == "f"
              else tf.constant(frame[[column]].fillna("").astype(str).to_numpy()) for column in frame}
    served = np.asarray(next(iter(function(**inputs).values())))
    predicted = pandas.read_csv(predict(folder, folder.parent / "generated.csv", folder.parent / "g.csv",
                                        console=print)).filter(like="probability_").to_numpy()
    assert served.shape == predicted.shape and np.allclose(served, predicted, atol=1e-5), \
        np.abs(served - predicted).max()


@pytest.mark.parametrize("format_name", ["onnx", "litert"])
def test_a_table_is_refused_for_onnx_and_litert_with_the_reason(serve_runs, capsys, format_name):
    folder = serve_runs["penguins_tabular"]
    before = sorted(path.name for path in (folder / "export").iterdir()) if (folder / "export").exists() else []
    assert main(["export", str(folder), "--format", format_name]) == 2
    message = capsys.readouterr().err
    assert "cannot be exported to" in message and "--format saved_model" in message
    after = sorted(path.name for path in (folder / "export").iterdir()) if (folder / "export").exists() else []
    assert after == before


def test_a_parity_failure_fails_the_export_and_keeps_nothing(serve_runs, monkeypatch, capsys, tmp_path):
    import shutil

    import engine.serve.export as export_module

    folder = shutil.copytree(serve_runs["diabetes_regression"], tmp_path / "run")
    shutil.rmtree(folder / "export", ignore_errors=True)
    real = export_module.run_in_batches
    monkeypatch.setattr(export_module, "run_in_batches", lambda runtime, features: real(runtime, features) * 1.001)
    assert main(["export", str(folder), "--format", "onnx"]) == 1
    message = capsys.readouterr().err
    assert "parity failed for onnx" in message and "max |difference|" in message
    assert not (folder / "export").exists()


def test_an_unknown_format_or_an_unfinished_run_exits_2_and_writes_nothing(serve_runs, tmp_path, capsys):
    import shutil

    folder = shutil.copytree(serve_runs["digits_cnn"], tmp_path / "run")
    shutil.rmtree(folder / "export", ignore_errors=True)
    assert main(["export", str(folder), "--format", "onxx"]) == 2
    message = capsys.readouterr().err
    assert "Did you mean 'onnx'" in message and "Traceback" not in message
    env = json.loads((folder / "env.json").read_text())
    (folder / "env.json").write_text(json.dumps({**env, "status": "failed"}))
    assert main(["export", str(folder), "--format", "saved_model"]) == 2
    assert "not a finished run" in capsys.readouterr().err
    assert not (folder / "export").exists()
