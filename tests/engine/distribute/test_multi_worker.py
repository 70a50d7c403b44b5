"""Multi-worker training: two real worker processes on 127.0.0.1 (make recipe WORKERS=2).

The recipe is iris_mlp plus the FinalState callback (tests/engine/final_state.py): each worker
records its epochs' logs and final weights, so the test can check they trained as one model.
"""

import csv
import textwrap

import numpy as np
import pytest

from engine.distribute.strategy import choose_strategy
from tests.conftest import only_run_folder, read_json, run_cli
from tests.engine import final_state
from tests.engine.final_state import FINAL_STATE_ENV

# The catalog's iris_mlp under its own name, with a callback that records each worker's final state.
IRIS_WITH_FINAL_STATE = textwrap.dedent('''
    """iris_mlp, each worker recording its epochs and final weights (tests/engine/final_state.py)."""
    import dataclasses

    from recipes.iris_mlp import recipe as base

    recipe = dataclasses.replace(
        base, callbacks=[*base.callbacks, {"name": "tests.engine.final_state:FinalState"}], name="iris_mlp"
    )
''')

# Its module-scoped fixture trains once: keep the whole file in one test process (make test runs several).
pytestmark = pytest.mark.xdist_group("test_multi_worker")


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    root = tmp_path_factory.mktemp("multi_worker")
    runs_dir, state = root / "runs", root / "state"
    recipe_path = root / "iris_final_state.py"
    recipe_path.write_text(IRIS_WITH_FINAL_STATE)
    result = run_cli("recipe", str(recipe_path), "epochs=3", "--workers", "2", runs_dir=runs_dir,
                     env={FINAL_STATE_ENV: str(state)})
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return runs_dir, state, result


def _history(folder):
    with open(folder / "history.csv") as handle:
        return list(csv.DictReader(handle))


def test_two_workers_end_with_the_same_weights_and_history_and_one_run_folder(two_workers):
    runs_dir, state, result = two_workers
    for index in (0, 1):
        assert [row["epoch"] for row in final_state.rows(state, index)] == [1, 2, 3]
    assert all(row["chief"] for row in final_state.rows(state, 0))
    assert not any(row["chief"] for row in final_state.rows(state, 1))
    chief, other = final_state.history(state, 0), final_state.history(state, 1)
    assert [row["epoch"] for row in chief] == [1, 2, 3]
    assert chief == other
    weights = [final_state.weights(state, index) for index in (0, 1)]
    assert weights[0].files and weights[0].files == weights[1].files
    for name in weights[0].files:
        np.testing.assert_array_equal(weights[0][name], weights[1][name])

    assert [path.name for path in runs_dir.iterdir()] == ["iris_mlp"]
    folder = only_run_folder(runs_dir, "iris_mlp")
    assert not (folder / "backup").exists()
    env = read_json(folder / "env.json")
    assert env["status"] == "complete"
    assert env["strategy"]["name"] == "multi_worker" and env["strategy"]["workers"] == 2
    assert env["strategy"]["replicas"] == 2 and env["strategy"]["task_index"] == 0
    assert [row["epoch"] for row in _history(folder)] == ["1", "2", "3"]
    assert float(_history(folder)[-1]["loss"]) == pytest.approx(chief[-1]["loss"])
    metrics = read_json(folder / "metrics.json")
    assert metrics["test"]["accuracy"] > 0 and metrics["evaluation"]["test"]["accuracy"] > 0
    assert f"iris_mlp: test accuracy {metrics['test']['accuracy']:.4f}" in result.stdout
    assert "Multi-worker training: worker 1 of 2" in result.stdout


def test_two_workers_learn_what_two_mirrored_replicas_on_one_machine_learn(two_workers, tmp_path):
    """Same global batch, same data order: the patched reductions give Keras's own single-machine figures."""
    runs_dir, _, _ = two_workers
    mirrored = run_cli("recipe", "iris_mlp", "epochs=3", "strategy=mirrored", "replicas=2", runs_dir=tmp_path)
    assert mirrored.returncode == 0, mirrored.stderr[-3000:]
    expected = _history(only_run_folder(tmp_path, "iris_mlp"))
    found = _history(only_run_folder(runs_dir, "iris_mlp"))
    for want, got in zip(expected, found, strict=True):
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert float(got[key]) == pytest.approx(float(want[key]), rel=1e-4), (key, want, got)


def test_multi_worker_without_tf_config_is_refused_and_writes_nothing(runs_dir, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    result = run_cli("recipe", "iris_mlp", "strategy=multi_worker", runs_dir=runs_dir, env={"TF_CONFIG": ""})
    assert result.returncode == 2
    assert "strategy='multi_worker' needs TF_CONFIG" in result.stderr and "WORKERS=2" in result.stderr
    assert "Traceback" not in result.stderr
    assert not runs_dir.exists()


def test_multi_worker_takes_no_replicas_and_needs_tf_config(monkeypatch):
    from engine import RecipeError

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(RecipeError, match="needs TF_CONFIG"):
        choose_strategy("multi_worker")
    with pytest.raises(RecipeError, match="choose the number of workers"):
        choose_strategy("multi_worker", replicas=2)
