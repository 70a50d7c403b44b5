"""`make tune`: a KerasTuner search over the ranges a recipe declares.

The recipe becomes a `keras_tuner.HyperModel`: `build(hp)` registers every range (with its
condition, if any) and builds the model a plain run with those values would build;
`fit(hp, model, ...)` resolves the batch size and trains with the tuner's callbacks.

A search lives in `runs/<recipe>/tune-<id>/`, where the id is a hash of the recipe (after
overrides) and the tuner settings: running the same command again finds the same folder
and KerasTuner resumes the search there. `overwrite=true` starts it afresh.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import keras_tuner
from tensorboard.plugins.hparams import api as hparams_api

import data
from common.files import write_json, write_text
from engine.distribute.strategy import Chosen
from engine.errors import RecipeError, suggestion
from engine.kinds import kind_of
from engine.recipe import hp
from engine.recipe.resolve import collect_ranges, resolve
from engine.recipe.schema import Recipe
from engine.recipe.tuners import TUNERS
from engine.recipe.validation import check_numbers
from engine.report.tensorboard_logs import session_name, what_ran
from engine.run.building import check_resolved, logged_metric_names
from engine.run.plan import plan_recipe
from engine.tune.report import render_tune_report, trial_number, trial_rows, write_importance_plot

# Short keys `make tune` accepts in ARGS, for the settings people change most.
SHORTHANDS = {
    "tuner": "tuner.name",
    "max_trials": "tuner.max_trials",
    "executions_per_trial": "tuner.executions_per_trial",
    "objective": "tuner.objective",
}
# Metric names for which smaller is better; every other objective is maximized.
LOWER_IS_BETTER = ("loss", "error", "mae", "mse", "rmse", "mape", "msle", "crossentropy", "hinge", "divergence",
                   "poisson", "logcosh", "huber")
PROJECT = "keras_tuner"

try:
    # KerasTuner prints the whole traceback of every failed trial while this (private) switch is on.
    # The reason is still recorded in the trial and shown in report.md; the console gets one line.
    from keras_tuner.src import config as _keras_tuner_config

    _keras_tuner_config.DEBUG = False
except ImportError:  # a KerasTuner without that module: its default printing stays
    pass


def expand_shorthands(assignments: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Map `tuner=hyperband max_trials=20` onto the recipe's tuner fields; pop `overwrite`."""
    overwrite = assignments.pop("overwrite", False)
    if not isinstance(overwrite, bool):
        raise RecipeError(f"`overwrite` expects true or false. Received: {overwrite!r}")
    return {SHORTHANDS.get(key, key): value for key, value in assignments.items()}, overwrite


def objective_for(name: str, resolved: Recipe) -> keras_tuner.Objective:
    """The tuner objective, refused unless it is a metric the recipe logs."""
    valid = kind_of(resolved).objectives(logged_metric_names(resolved))
    if name not in valid:
        raise RecipeError(
            f"`tuner.objective` must be a metric this recipe logs, one of {', '.join(valid)}. "
            f"Received: objective={name!r}. {suggestion(name, valid)}"
        )
    bare = name.removeprefix("val_")
    direction = "min" if any(word in bare for word in LOWER_IS_BETTER) else "max"
    return keras_tuner.Objective(name, direction)


def tune_id(recipe: Recipe) -> str:
    """A short hash of the recipe and its tuner settings: the same command, the same search folder."""
    text = json.dumps({key: value for key, value in recipe.to_dict().items() if key != "description"},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


class FailOnNaN(keras.callbacks.Callback):
    """End a trial as failed, with the reason, as soon as its loss stops being a finite number."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            reason = (f"the loss became {float(loss)} at epoch {self.epoch + 1}, batch {batch + 1} "
                      "(a learning rate too high for these values?)")
            print(f"Trial failed: {reason}", flush=True)
            raise keras_tuner.errors.FailedTrialError(reason)


class RecipeHyperModel(keras_tuner.HyperModel):
    """A recipe as a KerasTuner HyperModel over the ranges it declares."""

    def __init__(self, recipe: Recipe, prepared: data.Prepared, chosen: Chosen):
        super().__init__(name=recipe.name)
        self.recipe = recipe
        self.ranges = list(collect_ranges(recipe).values())
        self.prepared = prepared
        self.chosen = chosen
        # Builds so far per set of values. The first build of a set uses the recipe's seed, so a
        # trial matches a plain run with the same values; repeated executions of one trial
        # (executions_per_trial > 1) get the next seeds, so averaging them means something.
        self.builds: Counter[str] = Counter()
        self.seed_offset = 0
        self.search_name = "tune"  # the search folder's name, set by plan_search

    def declare(self, hyperparameters: keras_tuner.HyperParameters) -> dict[str, Any]:
        """Register every range with KerasTuner (parents first) and return the active values."""
        hp.register(hyperparameters, self.ranges)
        return hp.active_values(self.ranges, hyperparameters.values)

    def resolved(self, hyperparameters: keras_tuner.HyperParameters) -> Recipe:
        resolved = resolve(self.recipe, self.declare(hyperparameters))
        check_resolved(resolved.to_dict())
        return resolved

    def build(self, hyperparameters: keras_tuner.HyperParameters) -> keras.Model:
        resolved = self.resolved(hyperparameters)
        key = json.dumps(hp.active_values(self.ranges, hyperparameters.values), sort_keys=True, default=str)
        self.seed_offset = self.builds[key]
        self.builds[key] += 1
        keras.utils.set_random_seed(resolved.seed + self.seed_offset)
        return kind_of(resolved).trial_model(resolved, self.prepared, self.chosen)

    def fit(self, hyperparameters, model, *args, callbacks=None, epochs=None, **kwargs):
        resolved = self.resolved(hyperparameters)
        callbacks = self.named_session(hyperparameters, callbacks or [])
        # The kind builds and fits the trial as a run of it would, on the trial's seed (a History, or the
        # objectives' values for a kind whose trial is not one model.fit).
        seeded = dataclasses.replace(resolved, seed=resolved.seed + self.seed_offset)
        return kind_of(resolved).trial_fit(seeded, model, self.prepared, self.chosen, [*callbacks, FailOnNaN()],
                                           epochs or resolved.epochs, kwargs.get("initial_epoch", 0))

    def named_session(self, hyperparameters: keras_tuner.HyperParameters, callbacks: list) -> list:
        """The trial's callbacks with KerasTuner's HParams callback replaced by one whose session is named
        `recipe/tune-<id>/trial N` (N from 1, as the console and report.md count) and holds the recipe, kind and
        data columns beside the trial's active values. KerasTuner put the TensorBoard callback's log folder at
        logs/<trial id>/execution<n>; the repeated executions of a trial share its name."""
        board = next((callback for callback in callbacks if isinstance(callback, keras.callbacks.TensorBoard)), None)
        if board is None:
            return callbacks
        log_dir = Path(board.log_dir)
        values = {**what_ran(self.recipe.to_dict()), **hp.active_values(self.ranges, hyperparameters.values)}
        values = {key: value for key, value in values.items() if isinstance(value, (bool, int, float, str))}
        name = session_name(self.recipe.name, f"{self.search_name}/trial {trial_number(log_dir.parent.name)}")
        return [*(callback for callback in callbacks if not isinstance(callback, hparams_api.KerasCallback)),
                hparams_api.KerasCallback(str(log_dir), values, trial_id=name)]


@dataclass
class Search:
    """A checked search, ready to run: its folder, tuner and what it needs to report."""

    recipe: Recipe
    folder: Path
    tuner: keras_tuner.Tuner | None
    objective: keras_tuner.Objective
    ranges: list[hp.Range]
    resolved: Recipe  # with every range at its default


def _settings_check(recipe: Recipe):
    """A check of the resolved recipe's tuner settings, for the planning path (before any data is read)."""

    def check(resolved: Recipe) -> None:
        settings = resolved.tuner
        if settings.name not in TUNERS:
            raise RecipeError(
                f"`tuner.name` must be one of {', '.join(TUNERS)}. Received: tuner={settings.name!r}. "
                f"{suggestion(settings.name, TUNERS)}"
            )
        objective_for(settings.objective, resolved)
        ranges = collect_ranges(recipe)
        if settings.name == "hyperband" and "epochs" in ranges:
            raise RecipeError("Hyperband chooses the epochs of each trial itself; declare `epochs` as a number.")
        # Hyperband's budget is epochs of one model.fit, resumed from a trial's checkpoint; a trial that runs an
        # agent's steps, rounds of labelling or a paced schedule has no such budget to cut.
        without_epochs = kind_of(resolved).without_epochs
        if settings.name == "hyperband" and without_epochs:
            raise RecipeError(
                "Hyperband searches by giving trials more epochs of one model.fit, and "
                f"{without_epochs}; use tuner=random, bayesian or grid.")
        floats = [range_.name for range_ in ranges.values() if isinstance(range_, hp.Float) and range_.step is None]
        if settings.name == "grid" and floats:
            raise RecipeError(
                f"Grid search needs a `step` on every hp.Float to enumerate it; {', '.join(floats)} has none."
            )

    return check


def _make_tuner(resolved: Recipe, hypermodel: RecipeHyperModel, objective: keras_tuner.Objective,
                folder: Path) -> keras_tuner.Tuner:
    settings = resolved.tuner
    arguments: dict[str, Any] = {
        "hypermodel": hypermodel, "objective": objective, "seed": resolved.seed,
        "executions_per_trial": settings.executions_per_trial, "directory": str(folder),
        "project_name": PROJECT, "overwrite": False, **settings.args,
    }
    if settings.name == "hyperband":
        arguments["max_epochs"] = resolved.epochs
    else:
        arguments["max_trials"] = settings.max_trials
    try:
        return TUNERS[settings.name](**arguments)
    except (TypeError, ValueError) as error:
        raise RecipeError(f"KerasTuner's {settings.name} tuner refused its settings: {error}") from None


def plan_search(recipe: Recipe, runs_dir: str | Path, overwrite: bool = False, make_tuner: bool = True) -> Search:
    """Check the recipe and tuner settings, then make the tuner; writes nothing before the checks pass.

    The checks, strategy, seed and data are the plain run's (engine.run.plan.plan_recipe). With
    `make_tuner=False` only the checks run (and `overwrite` clears the folder): the launcher of a
    parallel search does this once before starting the chief and workers.
    """
    ranges = list(collect_ranges(recipe).values())
    if not ranges:
        raise RecipeError(
            f"Recipe {recipe.name!r} declares no hyperparameter ranges, so there is nothing to search. "
            "Write a range in place, e.g. learning_rate=hp.Float('learning_rate', 1e-4, 1e-2, log=True, default=1e-3)."
        )
    check_numbers(recipe.to_dict())  # every range's bounds too, not only its default: a trial may take them
    plan = plan_recipe(recipe, check=_settings_check(recipe))
    objective = objective_for(plan.recipe.tuner.objective, plan.recipe)
    # Every trial trains with the speed settings the plan chose (engine.run.auto_speed), once, for the default trial.
    hypermodel = RecipeHyperModel(dataclasses.replace(recipe, precision=plan.recipe.precision,
                                                      steps_per_execution=plan.recipe.steps_per_execution),
                                  plan.prepared, plan.chosen)
    hypermodel.search_name = f"tune-{tune_id(recipe)}"
    # One trial with the defaults is built now, so a bad model argument fails before any folder exists.
    hypermodel.build(keras_tuner.HyperParameters())
    folder = Path(runs_dir) / recipe.name / f"tune-{tune_id(recipe)}"
    if overwrite and folder.exists() and os.environ.get("KERASTUNER_TUNER_ID") is None:
        shutil.rmtree(folder)
    tuner = _make_tuner(plan.recipe, hypermodel, objective, folder) if make_tuner else None
    # Our check above and KerasTuner's own exploration of the space (it builds the model to find
    # conditional ranges) are not trials: the first trial of each set of values starts at offset 0.
    hypermodel.builds.clear()
    return Search(recipe, folder, tuner, objective, ranges, plan.recipe)


def run_search(search: Search, console=print) -> dict[str, Any] | None:
    """Run (or resume) the search; the chief (or the only process) writes best.json and report.md."""
    folder, tuner = search.folder, search.tuner
    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    is_worker = os.environ.get("KERASTUNER_TUNER_ID", "chief") != "chief"
    if not is_worker:
        console(f"{search.recipe.name}: {type(tuner).__name__} over {len(search.ranges)} range(s), "
                f"objective {search.objective.name} ({search.objective.direction}); folder {folder}")
    started = time.perf_counter()
    stopped = ""
    try:
        tuner.search(callbacks=[keras.callbacks.TensorBoard(log_dir=str(logs), write_graph=False)], verbose=1)
    except RuntimeError as error:  # KerasTuner gives up after too many failed trials in a row
        stopped = str(error)
    if is_worker:
        if stopped:
            raise RuntimeError(stopped)
        return None
    seconds = time.perf_counter() - started
    rows = trial_rows(tuner.oracle, search.objective, search.ranges)
    completed = [row for row in rows if row["status"] == "COMPLETED" and row["score"] is not None]
    trials = {status: sum(row["status"] == status for row in rows) for status in sorted({r["status"] for r in rows})}
    if not completed:
        write_text(folder / "report.md", render_tune_report(search, rows, None, None, trials))
        raise RuntimeError(
            f"No trial of the search completed ({stopped or 'every trial failed'}); "
            f"{folder}/report.md lists each trial's reason."
        )
    best_row = completed[0]
    best = {
        "recipe": search.recipe.name,
        "tuner": search.resolved.tuner.name,
        "objective": {"name": search.objective.name, "direction": search.objective.direction},
        "score": best_row["score"],
        "trial": best_row["trial"],  # counted from 1, as the console and report.md count
        "trial_id": best_row["trial_id"],  # KerasTuner's: its folder is keras_tuner/trial_<trial_id>
        "hyperparameters": best_row["values"],
        "trials": trials,
        "search_seconds_this_session": seconds,
    }
    write_json(folder / "best.json", best)
    plot = write_importance_plot(folder / "importance.png", rows, search.ranges, search.objective)
    write_text(folder / "report.md", render_tune_report(search, rows, best, plot, trials))
    console("")
    console(f"Best trial {best_row['trial']}: {search.objective.name} {best_row['score']:.4f} with "
            + ", ".join(f"{key}={value}" for key, value in best_row["values"].items()))
    console(f"{len(completed)} of {len(rows)} trials completed; {folder}/report.md and best.json written.")
    console(f"Retrain with the best values: make recipe NAME={search.recipe.name} ARGS=\"from_tune={folder}\"")
    console(f"TensorBoard (HParams tab): make tensorboard RUNS={folder}")
    if stopped:
        raise RuntimeError(f"The search stopped early: {stopped} The best of the completed trials was recorded.")
    return best


def load_best(folder: str | Path, recipe: Recipe) -> dict[str, Any]:
    """The best values of a finished search, checked against the recipe they will be applied to."""
    path = Path(folder) / "best.json"
    if not path.is_file():
        raise RecipeError(
            f"`from_tune` must name a search folder holding best.json (runs/<recipe>/tune-<id>). "
            f"{str(path)!r} does not exist; has that search finished?"
        )
    try:
        best = json.loads(path.read_text())
        values = best["hyperparameters"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise RecipeError(f"{str(path)!r} is not a readable best.json: {error}") from None
    if best.get("recipe") != recipe.name:
        raise RecipeError(
            f"{str(path)!r} holds the best values of recipe {best.get('recipe')!r}, not {recipe.name!r}."
        )
    known = {range_.name for range_ in collect_ranges(recipe).values()}
    unknown = sorted(set(values) - known)
    if unknown:
        raise RecipeError(
            f"best.json sets {', '.join(unknown)}, which recipe {recipe.name!r} does not declare as ranges."
        )
    return best
