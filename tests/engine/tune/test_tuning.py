"""Real KerasTuner searches with few, short trials, run through the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.hparams import plugin_data_pb2

from engine.cli import main
from tests.conftest import ROOT, read_json, run_cli

# Iris, one hidden layer; `momentum` only matters (and only exists) when the optimizer is SGD.
SEARCH_RECIPE = textwrap.dedent('''
    """Iris search used by the tuning tests."""
    from engine import Data, Model, Recipe, Tuner, hp

    recipe = Recipe(
        data=Data(source="iris", preprocessing=[{"name": "standardize"}]),
        model=Model("mlp", args={"width": hp.Choice("width", [8, 16], default=8), "depth": 1}),
        loss="sparse_categorical_crossentropy",
        optimizer={
            "name": hp.Choice("optimizer", ["adam", "sgd"], default="adam"),
            "learning_rate": hp.Choice("learning_rate", [0.01, 0.05], default=0.01),
            "momentum": hp.Float("momentum", 0.5, 0.9, step=0.4, default=0.9,
                                 parent_name="optimizer", parent_values=["sgd"]),
        },
        metrics=["accuracy"],
        epochs=2,
        seed=3,
        tuner=Tuner(objective="val_accuracy", max_trials=3),
    )
''')


@pytest.fixture
def search_recipe(tmp_path: Path) -> str:
    path = tmp_path / "iris_search.py"
    path.write_text(SEARCH_RECIPE)
    return str(path)


def tune(recipe: str, runs_dir: Path, *overrides: str) -> int:
    return main(["tune", recipe, *overrides, "--runs-dir", str(runs_dir)])


def search_folder(runs_dir: Path, recipe: str = "iris_search") -> Path:
    (folder,) = (runs_dir / recipe).glob("tune-*")
    return folder


def trial_files(folder: Path) -> dict[str, dict]:
    return {path.parent.name: json.loads(path.read_text())
            for path in sorted((folder / "keras_tuner").glob("trial_*/trial.json"))}


@pytest.mark.parametrize("tuner", ["random", "bayesian", "hyperband", "grid"])
def test_each_tuner_completes_and_writes_best_json(tuner, search_recipe, tmp_path, capsys):
    runs_dir = tmp_path / "runs"
    assert tune(search_recipe, runs_dir, f"tuner={tuner}") == 0, capsys.readouterr().err
    folder = search_folder(runs_dir)
    best = read_json(folder / "best.json")
    trials = trial_files(folder)
    completed = {name: trial for name, trial in trials.items() if trial["status"] == "COMPLETED"}
    assert completed and best["tuner"] == tuner
    assert best["score"] == max(trial["score"] for trial in completed.values())
    assert best["objective"] == {"name": "val_accuracy", "direction": "max"}
    # The conditional range appears exactly when its parent chose SGD.
    assert ("momentum" in best["hyperparameters"]) == (best["hyperparameters"]["optimizer"] == "sgd")
    if tuner != "hyperband":
        assert len(trials) == 3
    report = (folder / "report.md").read_text()
    assert "## Trials, best first" in report and (folder / "importance.png").stat().st_size > 0


def _accumulator(path: Path) -> EventAccumulator:
    accumulator = EventAccumulator(str(path), size_guidance={"tensors": 0})
    accumulator.Reload()
    return accumulator


def test_hparams_list_one_session_per_trial_with_values_and_metric(search_recipe, tmp_path):
    runs_dir = tmp_path / "runs"
    assert tune(search_recipe, runs_dir, "tuner=grid") == 0
    folder = search_folder(runs_dir)
    logs = folder / "logs"
    # No experiment configuration at the top of logs/ (TensorBoard would take it for every run under runs/; see
    # test_runs_apart.py): only one folder per trial.
    assert [path.name for path in logs.iterdir() if path.is_file()] == []

    trials = trial_files(folder)
    sessions = {}
    for session_dir in sorted(logs.glob("*/execution0")):
        content = _accumulator(session_dir).PluginTagToContent(hparams_metadata.PLUGIN_NAME)
        start = plugin_data_pb2.HParamsPluginData.FromString(content[hparams_metadata.SESSION_START_INFO_TAG])
        sessions[session_dir.parent.name] = start.session_start_info
        assert "epoch_accuracy" in _accumulator(session_dir / "validation").Tags()["tensors"]
    assert len(sessions) == len(trials) == 3
    for name, trial in trials.items():
        values = trial["hyperparameters"]["values"]
        recorded = sessions[trial["trial_id"]]
        # Named by recipe, search and trial, counted from 1 as the console counts; only the active values.
        assert recorded.group_name == f"iris_search/{folder.name}/trial {int(trial['trial_id']) + 1}"
        assert recorded.hparams["recipe"].string_value == "iris_search"
        assert recorded.hparams["width"].number_value == values["width"]
        assert recorded.hparams["optimizer"].string_value == values["optimizer"], name
        assert ("momentum" in recorded.hparams) == (values["optimizer"] == "sgd")


def test_a_diverging_trial_is_recorded_as_failed_and_the_search_goes_on(search_recipe, tmp_path, capsys):
    runs_dir = tmp_path / "runs"
    # The grid's first six trials use width 8: Adam, then SGD with each momentum, at both rates.
    # Plain SGD at a learning rate of 1e12 diverges to NaN within a few batches.
    huge = '{"hp": "Choice", "name": "learning_rate", "values": [0.01, 1e12], "default": 0.01}'
    assert tune(search_recipe, runs_dir, "tuner=grid", "max_trials=6", f"optimizer.learning_rate={huge}") == 0
    folder = search_folder(runs_dir)
    trials = trial_files(folder)
    sgd = {(trial["hyperparameters"]["values"]["learning_rate"], trial["status"])
           for trial in trials.values() if trial["hyperparameters"]["values"]["optimizer"] == "sgd"}
    assert sgd == {(0.01, "COMPLETED"), (1e12, "FAILED")}
    report = (folder / "report.md").read_text()
    assert "FailedTrialError: the loss became nan" in report
    best = read_json(folder / "best.json")
    assert trials[f"trial_{best['trial_id']}"]["status"] == "COMPLETED"
    assert best["trials"]["FAILED"] >= 2 and best["trials"]["COMPLETED"] >= 3
    output = capsys.readouterr()
    assert "Trial failed: the loss became nan" in output.out and "Traceback" not in output.err


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["tuner=randm"], "`tuner.name` must be one of random, bayesian, hyperband, grid. Received: tuner='randm'"),
        (["objective=val_f1"], "`tuner.objective` must be a metric this recipe logs"),
        (['model.args.width={"hp": "Int", "name": "width", "min_value": 32, "max_value": 8, "default": 16}'],
         "needs min_value <= max_value"),
        (["max_trials=0"], "`tuner.max_trials` must be an integer in [1, inf). Received: 0."),
        (["optimizer.momentum.parent_name=width"], "holds a single value"),
        (["overwrite=maybe"], "`overwrite` expects true or false"),
    ],
)
def test_bad_search_settings_are_refused_before_the_search_starts(overrides, message, search_recipe, tmp_path,
                                                                  capsys):
    runs_dir = tmp_path / "runs"
    assert tune(search_recipe, runs_dir, *overrides) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error
    assert not runs_dir.exists()


def test_grid_needs_steps_and_a_recipe_needs_ranges(tmp_path, capsys):
    runs_dir = tmp_path / "runs"
    assert tune("iris_mlp", runs_dir, "tuner=grid") == 2
    assert "needs a `step` on every hp.Float" in capsys.readouterr().err
    plain = tmp_path / "plain.py"
    plain.write_text(
        "from engine import Data, Model, Recipe\n"
        "recipe = Recipe(data=Data(source='iris'), model=Model('mlp'), loss='sparse_categorical_crossentropy')\n"
    )
    assert tune(str(plain), runs_dir) == 2
    assert "declares no hyperparameter ranges" in capsys.readouterr().err
    assert not runs_dir.exists()


CURRICULUM_WITH_A_RANGE = ("from engine import hp\nfrom tests.engine.learning.test_curriculum import small_recipe\n\n"
                           "recipe = small_recipe()\nrecipe.name = None\n"
                           "recipe.curriculum['pacing'] = hp.Choice('pacing', ['linear', 'step'], default='linear')\n")


@pytest.mark.parametrize("name, trains_in", [
    ("cartpole_ppo", "a reinforcement recipe trains in environment steps"),
    ("digits_active", "an active-learning recipe trains in rounds of labelling"),
    ("curriculum", "a curriculum recipe trains at a pace fixed over all its epochs"),
])
def test_hyperband_is_refused_where_a_trial_has_no_epochs_to_cut(name, trains_in, tmp_path, capsys):
    runs_dir = tmp_path / "runs"
    if name == "curriculum":
        name = str(tmp_path / "blobs_curriculum.py")
        Path(name).write_text(CURRICULUM_WITH_A_RANGE)
    assert tune(name, runs_dir, "tuner=hyperband") == 2
    error = capsys.readouterr().err
    assert trains_in in error and "use tuner=random, bayesian or grid" in error and "Traceback" not in error
    assert not runs_dir.exists()


def test_overwrite_starts_the_search_afresh_only_on_request(search_recipe, tmp_path):
    runs_dir = tmp_path / "runs"
    assert tune(search_recipe, runs_dir, "max_trials=2") == 0
    folder = search_folder(runs_dir)
    first = {name: trial["score"] for name, trial in trial_files(folder).items()}
    marker = folder / "keras_tuner" / "trial_0" / "marker"
    marker.write_text("kept unless overwritten")
    assert tune(search_recipe, runs_dir, "max_trials=2") == 0
    assert marker.exists() and {name: t["score"] for name, t in trial_files(folder).items()} == first
    assert tune(search_recipe, runs_dir, "max_trials=2", "overwrite=true") == 0
    assert not marker.exists() and len(trial_files(folder)) == 2


def test_a_killed_search_resumes_without_redoing_finished_trials(search_recipe, tmp_path):
    runs_dir = tmp_path / "runs"
    command = [sys.executable, "-m", "engine", "tune", search_recipe, "epochs=6", "max_trials=5",
               "--runs-dir", str(runs_dir)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    finished: dict[str, dict] = {}
    while time.monotonic() < deadline and process.poll() is None:
        folders = list((runs_dir / "iris_search").glob("tune-*"))
        if folders:
            finished = {name: trial for name, trial in trial_files(folders[0]).items()
                        if trial["status"] == "COMPLETED"}
            if len(finished) >= 2:
                break
        time.sleep(0.1)
    assert process.poll() is None, "the search ended before it could be killed; make it longer"
    process.send_signal(signal.SIGKILL)
    process.wait()
    folder = search_folder(runs_dir)
    before = {name: (folder / "keras_tuner" / name / "trial.json").read_text() for name in finished}
    assert 2 <= len(before) < 5

    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    trials = trial_files(folder)
    assert len(trials) == 5 and all(trial["status"] == "COMPLETED" for trial in trials.values())
    for name, text in before.items():
        assert (folder / "keras_tuner" / name / "trial.json").read_text() == text, f"{name} was run again"
    assert read_json(folder / "best.json")["trials"] == {"COMPLETED": 5}


def test_two_workers_share_one_search_folder_and_record_every_trial(search_recipe, tmp_path):
    runs_dir = tmp_path / "runs"
    result = run_cli("tune", search_recipe, "max_trials=4", "--workers", "2", "--runs-dir", str(runs_dir),
                     runs_dir=runs_dir)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    folder = search_folder(runs_dir)
    trials = trial_files(folder)
    assert len(trials) == 4 and all(trial["status"] == "COMPLETED" for trial in trials.values())
    assert (folder / "keras_tuner" / "tuner0.json").exists() and (folder / "keras_tuner" / "tuner1.json").exists()
    assert read_json(folder / "best.json")["trials"] == {"COMPLETED": 4}
    assert "[chief]" in result.stdout and "Parallel search: chief and 2 worker(s)" in result.stdout


def test_from_tune_retrains_with_the_best_values_and_says_so(search_recipe, tmp_path):
    runs_dir = tmp_path / "runs"
    assert tune(search_recipe, runs_dir, "tuner=grid", "max_trials=4") == 0
    folder = search_folder(runs_dir)
    best = read_json(folder / "best.json")["hyperparameters"]
    result = run_cli("recipe", search_recipe, f"from_tune={folder}", runs_dir=runs_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = [path for path in (runs_dir / "iris_search").iterdir() if not path.name.startswith("tune-")]
    resolved = read_json(run / "recipe.json")
    assert resolved["model"]["args"]["width"] == best["width"]
    assert resolved["optimizer"]["name"] == best["optimizer"]
    assert resolved["optimizer"]["learning_rate"] == best["learning_rate"]
    assert read_json(run / "env.json")["hyperparameters_from"] == f"best trial of {folder}"


def test_a_trial_builds_what_a_plain_run_builds_and_repeated_executions_differ(search_recipe, tmp_path):
    import keras_tuner
    import numpy as np

    from engine.recipe.loading import load_recipe
    from engine.run.plan import build, plan_recipe
    from engine.tune.search import plan_search

    recipe = load_recipe(search_recipe)
    hypermodel = plan_search(recipe, tmp_path / "runs").tuner.hypermodel
    first = hypermodel.build(keras_tuner.HyperParameters())
    second = hypermodel.build(keras_tuner.HyperParameters())
    plain = build(plan_recipe(recipe)).model
    for trial_weight, plain_weight in zip(first.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(trial_weight, plain_weight)
    assert any(not np.array_equal(a, b) for a, b in zip(first.get_weights(), second.get_weights(), strict=True))
