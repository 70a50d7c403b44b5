"""Backing a run up at every epoch end, and resuming a run that died: `ARGS="resume=runs/<recipe>/<run>"`.

While a run trains, its folder holds:

    history.csv   one row per finished epoch, appended (or rewritten atomically) at each epoch end
    backup/       training_metadata.json, epoch-<N>.weights.h5 (model and optimizer state after
                  epoch N) and `lock`, held by the process that trains; removed once the run is complete

At the end of each epoch the callbacks run in this order: TensorBoard, history.csv, backup. The
backup is the commit point: a run killed at any moment resumes after the epoch its backup names,
and history.csv rows past that epoch are dropped, so the final history.csv holds epochs 1..N exactly
once. The backup is written after the first epoch, at the end of each fit, and otherwise once
`backup_interval` seconds (a recipe field, 30 by default; 0 backs up every epoch) have passed since
the last: writing it every epoch cost 42 ms an epoch on digits_cnn, 15% of its epoch. A kill loses at
most that long of training. The TensorBoard logs are flushed just before each backup; points of
epochs logged after it and logged again by the resumed run are dropped by TensorBoard's reader.

Resuming reads the run's recipe.json (the resolved recipe, ranges and values included), restores
the weights and optimizer state, and continues in the same folder: same history.csv, TensorBoard
logs continued at the next epoch, env.json `resumed` listing each resumption. Not restored: the
order in which tf.data shuffles the training set (the resumed epochs see the first epoch's
order again) and the state of recipe callbacks such as EarlyStopping's patience counter.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import keras
import pandas
import tensorflow as tf

from common.files import atomic_path, write_json
from common.text import timestamp
from engine.errors import RecipeError
from engine.recipe import hp
from engine.recipe.schema import Recipe
from engine.report.diagnosis import EXPLODING_FACTOR

BACKUP = "backup"
METADATA = "training_metadata.json"
LOCK = "lock"
RESUMABLE = ("running", "failed")


@dataclass
class BackupState:
    """What the last backup holds: weights after `epoch` epochs, written during fit phase `phase`.

    `phase` is 1, or 2 for the fine-tuning phase, which began after `phase_start` epochs;
    `phase_done` says the phase had ended (its last epoch run, or stopped early).
    """

    epoch: int
    weights: str
    phase: int = 1
    phase_start: int = 0
    phase_done: bool = False
    # The newest epoch whose loss was finite and under EXPLODING_FACTOR x the first epoch's, and its file.
    last_good_epoch: int | None = None
    last_good_weights: str | None = None


@dataclass
class Resume:
    """A checked, unfinished run to continue: its folder, recipe, ranges and what it had done."""

    folder: Path
    env: dict[str, Any]
    recipe: Recipe
    ranges: dict[str, hp.Range]
    values: dict[str, Any]
    state: BackupState | None
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def epoch(self) -> int:
        return self.state.epoch if self.state else 0


def read_state(folder: Path) -> BackupState | None:
    path = folder / BACKUP / METADATA
    if not path.is_file():
        return None
    try:
        state = BackupState(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError) as error:
        raise RecipeError(f"{path} cannot be read ({error}); the run cannot be resumed. Start it again.") from None
    if not (folder / BACKUP / state.weights).is_file():
        raise RecipeError(f"{path} names {state.weights}, which is missing; the run cannot be resumed.")
    return state


def check_resume(location: str, runs_dir: str | Path, recipe_name: str) -> Resume:
    """The run `location` names, checked: under `runs_dir`, a run of `recipe_name`, not finished."""
    from engine.recipe.loading import load_recipe

    folder = Path(location)
    hint = "resume= takes the folder of an unfinished run, runs/<recipe>/<run>."
    if not folder.is_dir():
        raise RecipeError(f"resume={location}: there is no such folder. {hint}")
    runs = Path(runs_dir).resolve()
    if folder.resolve().parent.parent != runs:
        raise RecipeError(f"resume={location} is not a run folder under the runs folder {runs_dir} "
                          f"(runs/<recipe>/<run>); pass the runs folder it is in with RUNS=... (--runs-dir). {hint}")
    if folder.resolve().parent.name != recipe_name:
        raise RecipeError(f"resume={location} is a run of {folder.resolve().parent.name!r}, not of {recipe_name!r}: "
                          f"resume it with NAME={folder.resolve().parent.name}.")
    try:
        env = json.loads((folder / "env.json").read_text())
        saved = json.loads((folder / "recipe.json").read_text())
    except (OSError, ValueError) as error:
        raise RecipeError(f"resume={location} is not a readable run folder ({error}). {hint}") from None
    status = env.get("status")
    if status not in RESUMABLE:
        raise RecipeError(f"resume={location}: that run is {status}, not unfinished, so there is nothing to resume. "
                          f"Start a new run with make recipe NAME={recipe_name}.")
    recipe = load_recipe(str(folder / "recipe.json"))
    record = saved.get("hyperparameters") or {}
    ranges = {name: hp.from_dict({key: value for key, value in entry.items() if key != "value"})
              for name, entry in record.items()}
    values = {name: entry["value"] for name, entry in record.items() if entry.get("value") != "inactive"}
    state = read_state(folder)
    rows = _history_rows(folder, state.epoch if state else 0, location)
    return Resume(folder, env, recipe, ranges, values, state, rows)


def check_repeats_recorded(resume: Resume, assignments: dict[str, Any]) -> None:
    """Overrides given with resume= may repeat what recipe.json recorded (a re-typed command), nothing else."""
    from engine.recipe.overrides import apply_overrides, value_at

    recorded = resume.recipe.to_dict()
    for key, value in assignments.items():
        if apply_overrides(resume.recipe, {key: value}).to_dict() != recorded:
            raise RecipeError(
                f"resume= continues the run as its recipe.json recorded it, and `{key}` was "
                f"{value_at(recorded, key)!r} there, not {value!r}. Drop `{key}=...` to resume the run, or start "
                "a new run without resume=."
            )


def _history_rows(folder: Path, epochs: int, location: str) -> list[dict[str, Any]]:
    if not epochs:
        return []
    try:
        text = (folder / "history.csv").read_text()
        # A row cut short by a kill while it was appended (one past the backup's epoch) is dropped.
        table = pandas.read_csv(io.StringIO(text[:text.rfind("\n") + 1]))
    except (OSError, ValueError) as error:
        raise RecipeError(f"resume={location}: history.csv cannot be read ({error}); the run cannot be resumed.") \
            from None
    rows = [{key: (int(value) if key == "epoch" else float(value)) for key, value in row.items()}
            for row in table.to_dict("records") if row["epoch"] <= epochs]
    if [row["epoch"] for row in rows] != list(range(1, epochs + 1)):
        done = "epoch 1" if epochs == 1 else f"epochs 1 to {epochs}"
        raise RecipeError(f"resume={location}: history.csv does not hold {done}, what the backup has done; the run "
                          "cannot be resumed.")
    return rows


def hold_lock(folder: Path) -> IO:
    """Lock the run for this process (released when it ends, however it ends); RecipeError if another holds it."""
    (folder / BACKUP).mkdir(exist_ok=True)
    return _lock(open(folder / BACKUP / LOCK, "a"), folder)  # noqa: SIM115 - held open for the whole run


def check_not_training(folder: Path) -> None:
    """RecipeError if a live process trains the run; writes nothing (a training process always has the lock file)."""
    if (folder / BACKUP / LOCK).is_file():
        _lock(open(folder / BACKUP / LOCK), folder).close()


def _lock(handle: IO, folder: Path) -> IO:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise RecipeError(f"{folder} is being trained by another process right now; wait for it to end, or "
                          "stop it, before resuming.") from None
    return handle


def restore(model: keras.Model, strategy: tf.distribute.Strategy, folder: Path, state: BackupState) -> None:
    """Load the weights and optimizer state of `state` into `model`, compiled as it was when they were saved."""
    if model.optimizer is not None and not model.optimizer.built:
        with strategy.scope():
            model.optimizer.build(model.trainable_variables)
    model.load_weights(folder / BACKUP / state.weights)


LAST_GOOD = "last_good.weights.h5"


def remove_backup(folder: Path, keep_last_good: bool = False) -> int | None:
    """The run is over: its backup (and lock file) is no longer needed.

    With `keep_last_good` (a diverged run) the last backed-up weights, from before the loss
    went bad, move to <run>/last_good.weights.h5 first; returns their epoch (None if none).
    """
    kept = None
    if keep_last_good:
        state = read_state(folder)
        if state is not None and state.last_good_weights:
            os.replace(folder / BACKUP / state.last_good_weights, folder / LAST_GOOD)
            kept = state.last_good_epoch
    shutil.rmtree(folder / BACKUP, ignore_errors=True)
    return kept


class EpochBackup(keras.callbacks.BackupAndRestore):
    """Keras's BackupAndRestore, safe to kill at any moment and driven by the engine.

    How it differs from the parent, and why:
    - A save is atomic and self-consistent: weights go to epoch-<N>.weights.h5 (a temporary
      name, then renamed), then training_metadata.json names that file (also renamed into
      place). The parent writes latest.weights.h5 in place and the metadata after it, so a
      kill between the two pairs one epoch's weights with another epoch's number.
    - Restoring is the engine's job (`restore`, before fit): it must know the epoch first, to
      merge history.csv and to rebuild the fine-tuning phase's optimizer before loading. The
      parent restores in on_train_begin and sets `model._initial_epoch`, which Keras keeps for
      the next fit call (the second phase of fine_tune).
    - The backup outlives fit (the fine-tuning phase continues from it); `phase` and
      `phase_start` say which fit wrote it, and fit's end is recorded (`phase_done`). The engine
      removes the backup when the run is complete.
    """

    def __init__(self, folder: Path, first_loss: float | None = None, last_good: BackupState | None = None,
                 interval: float = 0.0, before_save: Callable[[], None] | None = None):
        super().__init__(str(folder / BACKUP), save_freq="epoch", delete_checkpoint=False)
        self.directory = folder / BACKUP
        # Seconds between backups (the recipe's `backup_interval`): the first epoch and the end of each fit
        # are always backed up; between them, an epoch ends a backup once this long has passed since the last.
        self.interval = interval
        self._saved_at: float | None = None
        self.before_save = before_save  # the TensorBoard logs' flush: they are on disk up to the backup
        self.phase = 1
        self.phase_start = 0
        self.epochs_done = 0
        # The newest backup whose loss had not exploded: kept beside the newest one, so that a
        # diverged run can hand it over (engine.run.training moves it to last_good.weights.h5).
        self.first_loss = first_loss
        self.last_good = (last_good.last_good_epoch, last_good.last_good_weights) if last_good else (None, None)
        self.loss = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Nothing to restore here: the engine did it before fit (see the class docstring)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epochs_done = epoch + 1
        self.loss = float((logs or {}).get("loss", math.nan))
        if self.first_loss is None:
            self.first_loss = self.loss
        if self._saved_at is None or time.monotonic() - self._saved_at >= self.interval:
            self.save(done=False)

    def on_train_end(self, logs: dict | None = None) -> None:
        # Saved again: a callback such as EarlyStopping(restore_best_weights=True) may have changed the weights.
        if self.epochs_done:
            self.save(done=True)

    def good(self) -> bool:
        """Whether the weights now held come from an epoch whose loss had not blown up."""
        if self.loss is None or not math.isfinite(self.loss):
            return False
        return self.first_loss is None or not math.isfinite(self.first_loss) or \
            self.loss <= EXPLODING_FACTOR * self.first_loss

    def start_phase(self, phase: int, start: int, done: int) -> None:
        """The next fit is phase `phase`, which began after `start` epochs; `done` epochs are done so far."""
        self.phase, self.phase_start, self.epochs_done = phase, start, done

    def save(self, done: bool) -> None:
        self._saved_at = time.monotonic()
        if self.before_save is not None:
            self.before_save()
        self.directory.mkdir(exist_ok=True)
        name = f"epoch-{self.epochs_done:04d}{'-done' if done else ''}.weights.h5"
        partial = self.directory / f".partial-{os.getpid()}.weights.h5"
        self.model.save_weights(partial, overwrite=True)
        os.replace(partial, self.directory / name)
        if self.good():
            self.last_good = (self.epochs_done, name)
        write_json(self.directory / METADATA, {
            "epoch": self.epochs_done, "weights": name, "phase": self.phase, "phase_start": self.phase_start,
            "phase_done": done, "last_good_epoch": self.last_good[0], "last_good_weights": self.last_good[1],
        })
        for old in self.directory.glob("epoch-*.weights.h5"):
            if old.name not in (name, self.last_good[1]):
                old.unlink(missing_ok=True)


class EpochLog(keras.callbacks.Callback):
    """Every finished epoch's logs, in order, written to `path` (history.csv) at each epoch end.

    `rows` are the epochs a resumed run had finished before; `path` is None on the workers of a
    cluster that write nothing. The file is rewritten atomically when it must change (the first
    epoch this process logs, a new column, rows dropped); otherwise the epoch's row is appended,
    a twentieth of the cost (a rewrite took about 0.6 ms, 2% of a breast_cancer_mlp epoch), through
    a handle kept open and flushed after each row until training ends or the file is rewritten. A
    run killed while appending may leave a part of a row, past its backup's epoch, which resuming
    drops (`_history_rows`).
    """

    def __init__(self, path: Path | None, rows: list[dict[str, Any]] | None = None):
        super().__init__()
        self.path = path
        self.rows = list(rows or [])
        self._started = time.perf_counter()
        self._in_file: tuple[list[str], int] | None = None  # the columns and rows this process last wrote
        self._appending = None  # history.csv opened for appending, kept open from epoch to epoch

    @property
    def epochs(self) -> int:
        return self.rows[-1]["epoch"] if self.rows else 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # `seconds`: the epoch's wall time, validation included (engine.report.time_to_target adds them up).
        row = {"epoch": epoch + 1, "seconds": round(time.perf_counter() - self._started, 4),
               **{key: float(value) for key, value in (logs or {}).items()}}
        kept = [kept for kept in self.rows if kept["epoch"] <= epoch]
        self.rows = [*kept, row]
        if self.path is None:
            return
        names = _columns(self.rows)
        if self._in_file == (names, len(kept)) and len(kept) == len(self.rows) - 1:
            if self._appending is None:
                self._appending = open(self.path, "a", newline="")  # noqa: SIM115 - kept open between epochs
            csv.DictWriter(self._appending, fieldnames=names).writerow(_formatted(row))
            self._appending.flush()  # the row reaches the file now: a run killed later keeps it
            self._in_file = (names, len(self.rows))
        else:
            self.write(self.path)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close()

    def _close(self) -> None:
        if self._appending is not None:
            self._appending.close()
            self._appending = None

    def write(self, path: Path) -> None:
        names = _columns(self.rows)
        if path == self.path:
            self._close()  # the file is replaced: a handle kept open would append to the old one
        with atomic_path(path) as temporary, open(temporary, "w", newline="") as handle:
            table = csv.DictWriter(handle, fieldnames=names)
            table.writeheader()
            table.writerows(_formatted(row) for row in self.rows)
        if path == self.path:
            self._in_file = (names, len(self.rows))

    def history(self) -> dict[str, list[float]]:
        """The rows as Keras's History.history: metric name -> one value per epoch."""
        names = list(dict.fromkeys(key for row in self.rows for key in row if key not in ("epoch", "seconds")))
        return {name: [row.get(name, float("nan")) for row in self.rows] for name in names}


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def _formatted(row: dict[str, Any]) -> dict[str, Any]:
    """Floats written exactly (repr)."""
    return {key: repr(value) if isinstance(value, float) else value for key, value in row.items()}


def resumed_entry(resume: Resume, described_strategy: dict) -> dict[str, Any]:
    """What env.json's `resumed` list records about one resumption."""
    return {"after_epoch": resume.epoch, "continued_at_epoch": resume.epoch + 1,
            "at": timestamp(), "strategy": described_strategy, "command": sys.argv}
