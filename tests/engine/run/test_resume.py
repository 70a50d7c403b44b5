"""Resuming after a crash: real runs killed with SIGKILL after an epoch, then resumed with resume=."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import keras
import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from engine.cli import main
from engine.recipe.loading import load_recipe
from engine.recipe.resolve import resolve
from tests.conftest import ROOT, only_run_folder, read_json, run_cli
from tests.engine import final_state
from tests.engine.final_state import FINAL_STATE_ENV

EPOCHS = 6
# A user recipe whose model sleeps in each training step, so that a test can kill it between epochs. Its
# FinalState callback (tests/engine/final_state.py) records each worker's epochs and final weights when
# the test sets FINAL_STATE_ENV, and does nothing otherwise.
SLOW_RECIPE = textwrap.dedent(f'''
    """Iris with a model that sleeps 0.1 s in every training step."""
    import time

    import keras
    import numpy as np
    import tensorflow as tf

    from engine import Data, Model, Recipe


    class Slow(keras.layers.Layer):
        def call(self, inputs, training=None):
            if training:
                pause = tf.numpy_function(lambda: np.float32(time.sleep(0.1) or 0), [], tf.float32)
                inputs = inputs + 0.0 * tf.reshape(pause, [])
            return inputs


    def slow_mlp(input_shape, num_classes, output_activation="softmax"):
        inputs = keras.Input(shape=input_shape)
        hidden = keras.layers.Dense(8, activation="tanh")(Slow()(inputs))
        return keras.Model(inputs, keras.layers.Dense(num_classes, activation=output_activation)(hidden))


    recipe = Recipe(
        data=Data(source="iris", validation_split=0.2, test_split=0.2,
                  preprocessing=[{{"name": "standardize"}}, {{"name": "one_hot_labels"}}]),
        model=Model(builder=slow_mlp),
        loss="categorical_crossentropy",
        optimizer={{"name": "adam", "learning_rate": 0.01}},
        metrics=["accuracy"],
        callbacks=[{{"name": "tests.engine.final_state:FinalState"}}],
        batch_size=16,
        epochs={EPOCHS},
        seed=3,
        backup_interval=0,  # every epoch, so the test can kill the run after a given epoch's backup
    )
''')


@pytest.fixture
def slow_recipe(tmp_path) -> str:
    path = tmp_path / "slow_iris.py"
    path.write_text(SLOW_RECIPE)
    return str(path)


def start(*arguments: str, runs_dir: Path, env: dict | None = None) -> tuple[subprocess.Popen, list[str]]:
    """`python -m engine recipe ...` in the background; its output lines gather in the returned list."""
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", "recipe", *arguments, "--runs-dir", str(runs_dir)], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []

    def gather() -> None:
        for line in process.stdout:
            lines.append(line)

    threading.Thread(target=gather, daemon=True).start()
    return process, lines


def wait_for_backup(runs_dir: Path, epoch: int, process: subprocess.Popen, timeout: float = 180) -> Path:
    """The run folder, once its backup holds at least `epoch` epochs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before the test could kill it"
        for metadata in runs_dir.glob("slow_iris/*/backup/training_metadata.json"):
            try:
                if json.loads(metadata.read_text())["epoch"] >= epoch:
                    return metadata.parent.parent
            except (OSError, ValueError):
                pass
        time.sleep(0.02)
    raise AssertionError(f"no backup of epoch {epoch} within {timeout} s")


def epochs_in(folder: Path) -> list[int]:
    with open(folder / "history.csv") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def check_killed(folder: Path) -> int:
    """What a killed run leaves: status running, no metrics.json, a backup; returns the epochs it had done."""
    assert read_json(folder / "env.json")["status"] in ("running", "failed")
    assert not (folder / "metrics.json").exists() and not (folder / "model.keras").exists()
    done = read_json(folder / "backup" / "training_metadata.json")["epoch"]
    assert 1 <= done < EPOCHS
    assert epochs_in(folder)[:done] == list(range(1, done + 1))
    return done


def check_complete(folder: Path, done: int, output: str) -> dict:
    """A resumed run that finished: every artifact, each epoch once, TensorBoard continued."""
    assert f"{done} epoch{'' if done == 1 else 's'} had finished; training continues at epoch {done + 1}." in output
    assert f"Epoch {done + 1}/{EPOCHS}" in output and f"Epoch {done}/{EPOCHS}" not in output
    env = read_json(folder / "env.json")
    assert env["status"] == "complete" and env["epochs_run"] == EPOCHS
    assert [entry["after_epoch"] for entry in env["resumed"]] == [done]
    assert epochs_in(folder) == list(range(1, EPOCHS + 1))
    with open(folder / "history.csv") as handle:
        losses = [float(row["loss"]) for row in csv.DictReader(handle)]
    assert losses[done] < losses[0], "the resumed epochs started from the backup, not from fresh weights"
    for name in ("metrics.json", "model.keras", "report.md", "recipe.json"):
        assert (folder / name).is_file(), name
    assert not (folder / "backup").exists()
    assert not [path.name for path in folder.iterdir() if path.name.startswith(".")]
    events = EventAccumulator(str(folder / "logs" / "train"), size_guidance={"tensors": 0})
    events.Reload()
    assert [event.step for event in events.Tensors("epoch_loss")] == list(range(EPOCHS))
    return env


def killed_after_backup(recipe: str, runs_dir: Path, epoch: int = 2) -> Path:
    """Start `recipe`, kill it with SIGKILL once its backup holds `epoch` epochs; the run folder it leaves."""
    process, _ = start(recipe, runs_dir=runs_dir)
    try:
        folder = wait_for_backup(runs_dir, epoch, process)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    return folder


def test_a_killed_run_resumes_after_its_last_epoch_and_completes_its_folder(slow_recipe, tmp_path):
    runs_dir = tmp_path / "runs"
    folder = killed_after_backup(slow_recipe, runs_dir)
    done = check_killed(folder)

    resumed = run_cli("recipe", slow_recipe, f"resume={folder}", runs_dir=runs_dir)
    assert resumed.returncode == 0, (resumed.stdout + resumed.stderr)[-3000:]
    env = check_complete(folder, done, resumed.stdout)
    assert env["resumed"][0]["strategy"]["name"] == "cpu"
    assert only_run_folder(runs_dir, "slow_iris") == folder

    again = run_cli("recipe", slow_recipe, f"resume={folder}", runs_dir=runs_dir)
    assert again.returncode == 2 and "that run is complete" in again.stderr


def test_a_killed_worker_stops_the_cluster_and_two_workers_resume_the_run(slow_recipe, tmp_path):
    runs_dir, state = tmp_path / "runs", tmp_path / "state"
    # Both the killed run and its resumption record each worker's epochs in the same files.
    launcher, lines = start(slow_recipe, "--workers", "2", runs_dir=runs_dir, env={FINAL_STATE_ENV: str(state)})
    try:
        folder = wait_for_backup(runs_dir, 2, launcher)
        pids = {int(index): int(pid) for index, pid in
                re.findall(r"Multi-worker training: worker (\d) of 2.*?, pid (\d+)", "\n".join(lines))}
        os.kill(pids[1], signal.SIGKILL)
        code = launcher.wait(timeout=120)
    finally:
        launcher.kill()
    output = "".join(lines)
    assert code != 0, output[-3000:]
    assert "error: worker 1 failed (killed by SIGKILL); every other worker was stopped." in output
    for pid in pids.values():
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    done = check_killed(folder)

    resumed = run_cli("recipe", slow_recipe, f"resume={folder}", "--workers", "2", runs_dir=runs_dir,
                      env={FINAL_STATE_ENV: str(state)})
    assert resumed.returncode == 0, (resumed.stdout + resumed.stderr)[-3000:]
    env = check_complete(folder, done, resumed.stdout)
    assert env["resumed"][0]["strategy"]["workers"] == 2 and env["strategy"]["name"] == "multi_worker"
    assert only_run_folder(runs_dir, "slow_iris") == folder
    assert all(row["chief"] for row in final_state.rows(state, 0))
    assert not any(row["chief"] for row in final_state.rows(state, 1))
    # The last run of each epoch: a killed epoch that was run again counts once, as in history.csv.
    chief, other = final_state.history(state, 0), final_state.history(state, 1)
    assert [row["epoch"] for row in chief] == list(range(1, EPOCHS + 1))
    # The killed worker may die before logging the epoch the chief's backup names; the resumed run
    # restores it from the backup, as it does for the chief. Every epoch it did log matches the chief's,
    # and it logged every epoch after the resumption.
    logged = [row["epoch"] for row in other]
    assert set(range(done + 1, EPOCHS + 1)) <= set(logged)
    assert other == [row for row in chief if row["epoch"] in logged]
    weights = [final_state.weights(state, index) for index in (0, 1)]
    assert weights[0].files and weights[0].files == weights[1].files
    for name in weights[0].files:
        np.testing.assert_array_equal(weights[0][name], weights[1][name])


def _fake_run(runs_dir: Path, recipe: str, status: str) -> Path:
    folder = runs_dir / recipe / f"20260101-000000-{status}"
    folder.mkdir(parents=True)
    (folder / "env.json").write_text(json.dumps({"status": status}))
    (folder / "recipe.json").write_text(json.dumps(resolve(load_recipe(recipe)).to_dict()))
    return folder


def _snapshot(root: Path) -> dict[str, float]:
    return {str(path): path.stat().st_mtime for path in root.rglob("*")}


REFUSALS = [
    ("missing", "there is no such folder"),
    ("outside", "is not a run folder under the runs folder"),
    ("other_recipe", "is a run of 'breast_cancer_mlp', not of 'iris_mlp': resume it with NAME=breast_cancer_mlp"),
    ("complete", "that run is complete, not unfinished, so there is nothing to resume"),
    ("diverged", "that run is diverged"),
    ("overrides", "recorded it, and `epochs` was 60 there, not 3. Drop `epochs=...` to resume the run"),
    ("replicas", "trained on 2 replicas and would continue on 1, which changes the global batch. "
                 "Resume it as it ran: WORKERS=2."),
]


@pytest.mark.parametrize("case, message", REFUSALS, ids=[case for case, _ in REFUSALS])
def test_resume_is_checked_before_anything_is_written(case, message, tmp_path, capsys):
    runs_dir = tmp_path / "runs"
    folders = {
        "missing": runs_dir / "iris_mlp" / "nope",
        "outside": _fake_run(tmp_path / "elsewhere", "iris_mlp", "running"),
        "other_recipe": _fake_run(runs_dir, "breast_cancer_mlp", "running"),
        "complete": _fake_run(runs_dir, "iris_mlp", "complete"),
        "diverged": _fake_run(runs_dir, "iris_mlp", "diverged"),
        "overrides": _fake_run(runs_dir, "iris_mlp", "failed"),
        "replicas": _fake_run(runs_dir, "iris_mlp", "running"),
    }
    (folders["replicas"] / "env.json").write_text(json.dumps(
        {"status": "running", "strategy": {"name": "multi_worker", "replicas": 2, "workers": 2}}))
    before = _snapshot(tmp_path)
    extra = ["epochs=3"] if case == "overrides" else []
    code = main(["recipe", "iris_mlp", f"resume={folders[case]}", *extra, "--runs-dir", str(runs_dir)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert _snapshot(tmp_path) == before


def test_a_run_that_is_still_training_cannot_be_resumed(tmp_path, capsys):
    from engine.run.resume import hold_lock

    runs_dir = tmp_path / "runs"
    folder = _fake_run(runs_dir, "iris_mlp", "running")
    held = hold_lock(folder)
    try:
        code = main(["recipe", "iris_mlp", f"resume={folder}", "--runs-dir", str(runs_dir)])
    finally:
        held.close()
    assert code == 2 and "is being trained by another process" in capsys.readouterr().err


class _Crash(keras.callbacks.Callback):
    """Fails training as it begins epoch `at` + 1 (0-based `at`), as a crash would."""

    def __init__(self, at: int):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise RuntimeError(f"crash before epoch {epoch + 1}")


@pytest.mark.parametrize("crash_at", [2, 3], ids=["between-the-phases", "during-fine-tuning"])
def test_a_two_phase_fine_tune_resumes_in_the_phase_it_stopped_in(crash_at, tmp_path, monkeypatch):
    from engine.learning import supervised
    from engine.recipe.overrides import apply_overrides, parse_assignments
    from engine.run import training
    from engine.run.resume import check_resume

    runs_dir = tmp_path / "runs"
    recipe = apply_overrides(load_recipe("digits59_finetune"), parse_assignments(
        ["model.freeze_backbone=true", 'fine_tune={"epochs": 2, "learning_rate": 0.0003}', "epochs=2",
         "backup_interval=0"]))
    lines: list[str] = []
    with monkeypatch.context() as patch:
        patch.setattr(supervised, "build_callbacks", lambda specs: [_Crash(crash_at)])
        with pytest.raises(RuntimeError, match="crash before epoch"):
            training.run_recipe(recipe, runs_dir, console=lines.append, verbose=0)
    folder = only_run_folder(runs_dir, "digits59_finetune")
    assert read_json(folder / "env.json")["status"] == "failed"
    state = read_json(folder / "backup" / "training_metadata.json")
    assert (state["epoch"], state["phase"]) == ((2, 1) if crash_at == 2 else (3, 2))

    resume = check_resume(str(folder), runs_dir, "digits59_finetune")
    training.run_recipe(resume.recipe, runs_dir, console=lines.append, verbose=0, resume=resume)
    assert epochs_in(folder) == [1, 2, 3, 4]
    env = read_json(folder / "env.json")
    assert env["status"] == "complete" and env["resumed"][0]["after_epoch"] == crash_at
    assert lines.count("Fine-tuning: backbone unfrozen, learning rate 0.0003, 2 more epochs.") == 2
    model = keras.saving.load_model(folder / "model.keras")
    assert model.get_layer("backbone").trainable


def test_backups_are_written_after_the_first_epoch_at_the_end_and_once_the_interval_has_passed(tmp_path):
    import keras

    from engine.run.resume import EpochBackup

    saved = []

    class Counted(EpochBackup):
        def save(self, done: bool) -> None:
            saved.append((self.epochs_done, done))
            super().save(done)

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    features, targets = np.zeros((8, 2), "float32"), np.zeros((8, 1), "float32")
    flushed = []
    model.fit(features, targets, epochs=4, verbose=0,
              callbacks=[Counted(tmp_path, interval=3600, before_save=lambda: flushed.append(1))])
    assert saved == [(1, False), (4, True)] and len(flushed) == 2
    saved.clear()
    model.fit(features, targets, epochs=3, verbose=0, callbacks=[Counted(tmp_path, interval=0)])
    assert saved == [(1, False), (2, False), (3, False), (3, True)]


def test_history_rows_are_appended_and_the_file_is_rewritten_when_it_must_change(tmp_path):
    from engine.run.resume import EpochLog

    path = tmp_path / "history.csv"

    def rewritten() -> str:
        copy = tmp_path / "copy.csv"
        log.write(copy)
        return copy.read_text()

    path.write_text("epoch,seconds,loss\n1,0.1,9.0\n2,0.1,8.0\n3,0.1,7.0\n")  # a resumed run's file, past its backup
    log = EpochLog(path, rows=[{"epoch": 1, "seconds": 0.1, "loss": 9.0}])
    log.on_epoch_end(1, {"loss": 0.5})  # rewritten: this process had not written the file yet
    assert path.read_text() == rewritten() and epochs_in(tmp_path) == [1, 2]
    stamp = path.stat().st_ino
    log.on_epoch_end(2, {"loss": 0.25})  # appended: same columns, one more row
    assert path.stat().st_ino == stamp and path.read_text() == rewritten()
    log.on_epoch_end(3, {"loss": 0.125, "val_loss": 0.5})  # a new column: rewritten with it
    assert path.read_text() == rewritten() and path.read_text().startswith("epoch,seconds,loss,val_loss\n")
    log.on_epoch_end(1, {"loss": 1.0, "val_loss": 1.0})  # epoch 2 again: the rows after it go
    assert path.read_text() == rewritten() and epochs_in(tmp_path) == [1, 2]


def test_resuming_drops_a_history_row_cut_short_by_a_kill(tmp_path):
    from engine.run.resume import _history_rows

    (tmp_path / "history.csv").write_text("epoch,seconds,loss\n1,0.1,0.9\n2,0.1,0.8\n1")
    assert [row["epoch"] for row in _history_rows(tmp_path, 2, "runs/x")] == [1, 2]
