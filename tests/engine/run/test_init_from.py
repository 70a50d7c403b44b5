"""init_from=runs/<recipe>/<run>: one's own finished run as the starting point, as a zoo entry is."""

from __future__ import annotations

import numpy as np
import pytest

from engine.cli import main
from engine.run.artifacts import load_run_model
from tests.conftest import only_run_folder, read_json


@pytest.fixture(scope="module")
def source_run(tmp_path_factory):
    runs = tmp_path_factory.mktemp("source")
    assert main(["recipe", "digits04_cnn", "epochs=1", "--runs-dir", str(runs)]) == 0
    return only_run_folder(runs, "digits04_cnn")


def test_a_run_starts_from_another_runs_weights_with_a_new_head(source_run, tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["recipe", "digits59_finetune", f"init_from={source_run}", "model.freeze_backbone=true",
                 "fine_tune={}", "epochs=1", "--runs-dir", str(runs)]) == 0, capsys.readouterr().err
    run = only_run_folder(runs, "digits59_finetune")
    assert read_json(run / "recipe.json")["model"]["name"] == str(source_run.resolve())
    before, after = load_run_model(source_run), load_run_model(run)
    frozen = before.get_layer("backbone").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(frozen, after.get_layer("backbone").get_weights(), strict=True))
    assert after.get_layer("head").units == 5 and after.get_layer("head") is not before.get_layer("head")


@pytest.mark.parametrize(("recipe", "source", "message"), [
    ("digits59_finetune", "{tmp}/nowhere/run", "has no env.json and model.keras"),
    ("digits59_finetune", "{failed}", "did not finish (status 'failed')"),
    ("iris_mlp", "{run}", "takes inputs shaped (8, 8, 1), but this data's are (4,)"),
])
def test_a_run_that_cannot_be_started_from_is_refused_before_anything_is_written(recipe, source, message,
                                                                                  source_run, tmp_path, capsys):
    failed = tmp_path / "failed_run"
    failed.mkdir()
    for name in ("model.keras", "recipe.json", "preprocessing.json"):
        (failed / name).write_bytes((source_run / name).read_bytes())
    (failed / "env.json").write_text('{"status": "failed"}')
    runs = tmp_path / "runs"
    where = source.format(tmp=tmp_path, failed=failed, run=source_run)
    assert main(["recipe", recipe, f"init_from={where}", "--runs-dir", str(runs)]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error, error
    assert not runs.exists()
