"""Running a recipe end to end: check, prepare, build, fit, evaluate, and write the run folder.

Everything that can be refused (overrides, names, data, model arguments, strategy) is checked
before the run folder is created, so a bad recipe leaves nothing behind.

Every run backs up at each epoch end and can be resumed after a crash (engine.run.resume). Under
multi-worker training every worker runs the same fit and evaluate calls (they are collective),
but only the chief (task 0) writes the run folder; the others write nothing and wait for it at
the end.

Test hook: when the environment variable ENGINE_FINAL_STATE_DIR names a folder, every process
(each worker of a cluster) writes its final weights and history there as task-<index>.npz and
task-<index>.json, so a test can compare the workers. Nothing else reads it.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

import data
from common.text import timestamp
from data.tabular import end_to_end_model
from engine.distribute.strategy import Chosen, choose_strategy
from engine.errors import RecipeError
from engine.recipe import hp
from engine.recipe.schema import Recipe, collect_ranges, resolve
from engine.report.assessment import assess
from engine.report.cost import EpochTimer
from engine.report.run_report import classification_report_markdown, render_report
from engine.report.tensorboard_logs import keras_callback, write_pictures, write_run_summaries
from engine.run.building import (
    build_model,
    check_fine_tune,
    check_resolved,
    make_datasets,
    prepare_data,
    unfreeze_for_fine_tuning,
)
from engine.run.keras_objects import build_callbacks
from engine.run.resume import (
    LAST_GOOD,
    EpochBackup,
    EpochLog,
    Resume,
    hold_lock,
    remove_backup,
    restore,
    resumed_entry,
)
from engine.run.run_folder import atomic_path, check_recipe_name, create_run_folder, write_json, write_text

FINAL_STATE_ENV = "ENGINE_FINAL_STATE_DIR"  # the test hook described above
PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "keras-tuner", "tensorboard", "scikit-learn", "numpy")


@dataclass
class RunResult:
    """Where a finished run lives and what it measured."""

    folder: Path
    metrics: dict[str, dict[str, float]]
    train_seconds: float


@dataclass
class Plan:
    """A checked recipe with its data, strategy and compiled model, before anything is written."""

    recipe: Recipe
    resolved: dict[str, Any]
    ranges: dict[str, hp.Range]
    values: dict[str, Any]
    hyperparameters: dict[str, Any]
    prepared: data.Prepared
    chosen: Chosen
    model: keras.Model
    callbacks: list[keras.callbacks.Callback]
    output: dict[str, Any]


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


def _hyperparameters(resolved: dict, values: dict[str, Any]) -> dict[str, Any]:
    """Scalar settings shown in TensorBoard's HParams dashboard: every active range plus the usual knobs."""
    optimizer = resolved["optimizer"] if isinstance(resolved["optimizer"], dict) else {"name": resolved["optimizer"]}
    shown: dict[str, Any] = {
        "model": resolved["model"]["name"] or str(resolved["model"]["builder"]).rpartition(":")[2],
        "optimizer": optimizer["name"],
        "batch_size": resolved["batch_size"],
        "epochs": resolved["epochs"],
        "seed": resolved["seed"],
    }
    if isinstance(optimizer.get("learning_rate"), (int, float)):
        shown["learning_rate"] = float(optimizer["learning_rate"])
    shown.update(values)
    return {key: value for key, value in shown.items() if isinstance(value, (bool, int, float, str))}


def plan_run(recipe: Recipe, values: dict[str, Any] | None = None) -> Plan:
    """Check everything and build the model under its strategy; writes nothing.

    `values` sets ranges by name (a search's best values); the others take their defaults.
    """
    check_recipe_name(recipe.name or "")
    ranges = collect_ranges(recipe)
    resolved = resolve(recipe, values)
    check_resolved(resolved)
    check_fine_tune(resolved)
    chosen_values = hp.active_values(list(ranges.values()), values)
    chosen = choose_strategy(resolved["strategy"], resolved["replicas"])
    keras.utils.set_random_seed(resolved["seed"])
    tf.config.experimental.enable_op_determinism()
    prepared = prepare_data(resolved)
    model, output = build_model(resolved, prepared, chosen.strategy)
    callbacks = build_callbacks(resolved["callbacks"])
    return Plan(recipe, resolved, ranges, chosen_values, _hyperparameters(resolved, chosen_values), prepared,
                chosen, model, callbacks, output)


def run_recipe(
    recipe: Recipe,
    runs_dir: str | Path = "runs",
    console=print,
    verbose: int | None = None,
    values: dict[str, Any] | None = None,
    values_from: str | None = None,
    resume: Resume | None = None,
) -> RunResult | None:
    """Train `recipe` and write its run folder; returns where it is and what it measured.

    `console` receives the lines of the summary; `verbose` is Keras's fit verbosity (by
    default a progress bar on a terminal and one line per epoch otherwise). `values` sets
    ranges by name instead of their defaults; `values_from` says where they came from (a
    search folder), and is recorded in env.json and report.md. `resume` (engine.run.resume.check_resume)
    continues an unfinished run in its own folder instead; `recipe` is then its recipe.json.

    On the workers of a cluster other than the chief, trains alongside the chief, writes
    nothing and returns None.
    """
    plan = plan_run(recipe, values)
    if resume is not None:
        _continue_plan(plan, resume)
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    if not plan.chosen.is_chief:
        _train_as_worker(plan, resume)
        return None
    if resume is None:
        folder = create_run_folder(runs_dir, recipe.name)
        lock = hold_lock(folder)
        env = {
            "status": "running",
            "versions": versions(),
            "platform": platform.platform(),
            "strategy": plan.chosen.describe(),
            "seed": plan.resolved["seed"],
            "hyperparameters_from": values_from or "recipe defaults",
            "command": sys.argv,
            "started": timestamp(),
        }
        recipe_json = {**plan.resolved, "hyperparameters": {
            range_.name: {**range_.to_dict(), "value": plan.values.get(range_.name, "inactive")}
            for range_ in plan.ranges.values()
        }}
        write_json(folder / "recipe.json", recipe_json)
        console(f"{recipe.name}: training on {plan.chosen.name} ({_replicas_text(plan.chosen)}); run folder {folder}")
    else:
        folder = resume.folder
        lock = hold_lock(folder)
        env = {key: value for key, value in resume.env.items() if key not in ("error", "finished")}
        env.update(status="running", strategy=plan.chosen.describe(), versions=versions())
        env["resumed"] = [*env.get("resumed", []), resumed_entry(resume, plan.chosen.describe())]
        console(f"{recipe.name}: resuming {folder} on {plan.chosen.name} ({_replicas_text(plan.chosen)}): "
                + (f"{resume.epoch} epoch(s) were done, training continues at epoch {resume.epoch + 1}."
                   if resume.epoch else "no epoch had finished, training starts again at epoch 1."))
    write_json(folder / "env.json", env)
    try:
        result = _train_and_record(plan, folder, env, console, verbose, resume)
    except TrainingDiverged:
        raise  # the run folder is complete and already says "diverged"
    except BaseException as error:
        env.update(status="failed", error=f"{type(error).__name__}: {error}",
                   finished=timestamp())
        write_json(folder / "env.json", env)
        raise
    finally:
        lock.close()
    return result


def _replicas_text(chosen: Chosen) -> str:
    workers = f", {chosen.workers} workers" if chosen.multi_worker else ""
    return f"{chosen.replicas} replica(s){workers}"


def _continue_plan(plan: Plan, resume: Resume) -> None:
    """A resumed run shows the ranges and values its recipe.json recorded, and keeps its replica count."""
    plan.ranges, plan.values = resume.ranges, resume.values
    plan.hyperparameters = _hyperparameters(plan.resolved, plan.values)
    before = resume.env.get("strategy", {}).get("replicas")
    if before is not None and before != plan.chosen.replicas:
        workers = resume.env["strategy"].get("workers", 1)
        raise RecipeError(
            f"{resume.folder} trained on {before} replica(s) and would continue on {plan.chosen.replicas}, which "
            f"changes the global batch. Resume it as it ran: "
            + (f"WORKERS={workers}." if workers > 1 else f"strategy={resume.env['strategy'].get('name')}, "
               "without WORKERS.")
        )


def _loss_name(loss: str | dict) -> str:
    return loss if isinstance(loss, str) else str(loss.get("class_name", ""))


class TrainingDiverged(RuntimeError):
    """Training produced a non-finite or exploding loss; the run folder still records what happened."""


@dataclass
class Trained:
    """What fitting and evaluating left: the epochs' logs, the timer and Keras's test and validation metrics."""

    log: EpochLog
    timer: EpochTimer
    seconds: float
    metrics: dict[str, dict[str, float]]


def _datasets(plan: Plan) -> dict[str, tf.data.Dataset]:
    # The global batch: per-replica batch_size x replicas. The pipeline shards by data, so under
    # a multi-worker strategy each worker keeps its share of every global batch.
    return make_datasets(plan.prepared, plan.resolved["batch_size"] * plan.chosen.replicas, plan.resolved["seed"])


def _fit_and_evaluate(plan: Plan, folder: Path | None, resume: Resume | None, console, verbose: int) -> Trained:
    """Both fit phases (continuing after the backup when resuming), then Keras's evaluation of test and validation.

    Every worker of a cluster runs this alike: fit and evaluate are collective. Only with a
    `folder` (the chief) do TensorBoard, history.csv and the backup get written.
    """
    resolved, chosen = plan.resolved, plan.chosen
    datasets = _datasets(plan)
    timer = EpochTimer()
    log = EpochLog(folder / "history.csv" if folder else None, resume.rows if resume else [])
    rows = resume.rows if resume else []
    backup = EpochBackup(folder, float(rows[0]["loss"]) if rows else None, resume.state if resume else None) \
        if folder else None
    # TerminateOnNaN ends a diverging run at once instead of training on NaN weights. The backup
    # comes last: it commits the epoch (engine.run.resume).
    callbacks = [*plan.callbacks, keras.callbacks.TerminateOnNaN(), timer]
    callbacks += [keras_callback(folder / "logs"), log, backup] if folder else [log]
    phases = [resolved["epochs"]] + ([resolved["fine_tune"]["epochs"]] if resolved.get("fine_tune") else [])
    state = resume.state if resume else None
    started = time.perf_counter()
    epoch = 0
    for phase, length in enumerate(phases, start=1):
        if phase == 2:
            console(f"Fine-tuning: backbone unfrozen, learning rate {resolved['fine_tune']['learning_rate']}, "
                    f"{length} more epochs.")
            unfreeze_for_fine_tuning(plan.model, resolved, chosen.strategy)
        begin = epoch
        if state is not None and state.phase > phase:  # this phase had ended before the run was resumed
            epoch = state.phase_start
            continue
        if state is not None and state.phase == phase:
            restore(plan.model, chosen.strategy, resume.folder, state)
            begin, epoch = state.phase_start, state.epoch
            if state.phase_done:
                continue
        if backup is not None:
            backup.start_phase(phase, begin, epoch)
        plan.model.fit(datasets["train"], validation_data=datasets["validation"], initial_epoch=epoch,
                       epochs=begin + length, callbacks=callbacks, shuffle=False, verbose=verbose)
        epoch = log.epochs
    seconds = time.perf_counter() - started
    metrics = {
        "test": plan.model.evaluate(datasets["test"], return_dict=True, verbose=0),
        "validation": plan.model.evaluate(datasets["validation"], return_dict=True, verbose=0),
    }
    metrics = {split: {name: float(value) for name, value in values.items()} for split, values in metrics.items()}
    _write_final_state(plan, log)
    return Trained(log, timer, seconds, metrics)


def _train_as_worker(plan: Plan, resume: Resume | None) -> None:
    """A worker other than the chief: the same collective fit and evaluate calls, nothing written."""
    _fit_and_evaluate(plan, None, resume, console=lambda line: None, verbose=0)
    _wait_for_every_worker(plan.chosen)


def _wait_for_every_worker(chosen: Chosen) -> None:
    """A barrier: under multi-worker training, return once every worker has called this.

    The chief calls it when the run folder is written, the other workers after their last
    collective op; a worker that ended earlier would be reported as crashed to the chief.
    """
    if chosen.multi_worker:
        chosen.strategy.reduce("SUM", tf.constant(1.0), axis=None)


def _write_final_state(plan: Plan, log: EpochLog) -> None:
    target = os.environ.get(FINAL_STATE_ENV)
    if not target:
        return
    Path(target).mkdir(parents=True, exist_ok=True)
    name = f"task-{plan.chosen.task_index}"
    np.savez(Path(target) / f"{name}.npz", *[np.asarray(weight) for weight in plan.model.get_weights()])
    (Path(target) / f"{name}.json").write_text(json.dumps({"history": log.rows, "chief": plan.chosen.is_chief}))


def _train_and_record(plan: Plan, folder: Path, env: dict, console, verbose: int, resume: Resume | None) -> RunResult:
    resolved, prepared = plan.resolved, plan.prepared
    steps_per_epoch = math.ceil(prepared.sizes()["train"] / (resolved["batch_size"] * plan.chosen.replicas))
    logs = folder / "logs"
    trained = _fit_and_evaluate(plan, folder, resume, console, verbose)
    history, metrics, train_seconds = trained.log.history(), trained.metrics, trained.seconds
    epochs_run = len(history.get("loss", []))
    stopped_by = next(
        (f"stopped early by {type(callback).__name__} after epoch {callback.stopped_epoch + 1}"
         for callback in plan.callbacks if getattr(callback, "stopped_epoch", 0)), ""
    )
    restored_best = any(getattr(callback, "restore_best_weights", False) and getattr(callback, "stopped_epoch", 0)
                        for callback in plan.callbacks)
    epochs_requested = resolved["epochs"] + (resolved.get("fine_tune") or {}).get("epochs", 0)
    assessment = assess(plan.model, prepared, history, epochs_requested, stopped_by, restored_best,
                        trained.timer, train_seconds, folder, loss_name=_loss_name(resolved["loss"]))
    metrics |= assessment.to_metrics()

    metric_names = [key for key in history if not key.startswith(("val_", "learning_rate"))]
    write_run_summaries(logs, folder.name, resolved, plan.hyperparameters, plan.ranges, metric_names,
                        metrics["test"], epochs_run)
    texts = {"classification_report": classification_report_markdown(assessment.evaluation)} \
        if assessment.evaluation is not None and prepared.task == data.CLASSIFICATION else {}
    write_pictures(logs, assessment.pictures, texts, epochs_run)
    with atomic_path(folder / "model.keras") as temporary:
        plan.model.save(temporary)
    if prepared.feature_space is not None:  # a `feature_space` step: also a model that takes the raw columns
        with atomic_path(folder / "inference_model.keras") as temporary:
            end_to_end_model(prepared.feature_space, plan.model).save(temporary)
    trained.log.write(folder / "history.csv")  # again: a resumed run may have had rows past its backup
    write_json(folder / "metrics.json", metrics)
    summary = {
        "run_id": folder.name, "recipe": resolved | {"name": plan.recipe.name, "description": plan.recipe.description},
        "metrics": metrics, "env": env, "epochs_run": epochs_run, "train_seconds": train_seconds,
        "stopped_by": stopped_by, "task": prepared.task, "sizes": prepared.sizes(),
        "class_counts": prepared.class_counts, "steps": prepared.steps, "test_from": prepared.test_from,
        "parameters": plan.model.count_params(), "output": plan.output,
        "hyperparameters": plan.hyperparameters, "assessment": assessment,
    }
    write_text(folder / "report.md", render_report(summary))
    last_good = remove_backup(folder, keep_last_good=assessment.diverged)
    if last_good is not None:
        env["last_good"] = {"epoch": last_good, "weights": LAST_GOOD}
    env.update(status="diverged" if assessment.diverged else "complete",
               finished=timestamp(), train_seconds=train_seconds,
               epochs_run=epochs_run, parameters=plan.model.count_params(), output_layer=plan.output,
               data={"sizes": prepared.sizes(), "class_counts": prepared.class_counts, "steps": prepared.steps,
                     "test_from": prepared.test_from, "global_batch": resolved["batch_size"] * plan.chosen.replicas,
                     "steps_per_epoch": steps_per_epoch})
    write_json(folder / "env.json", env)
    _wait_for_every_worker(plan.chosen)
    _print_summary(plan.recipe.name, folder, metrics, epochs_run, train_seconds, console)
    for finding in assessment.findings:
        console(f"Diagnosis, {finding.kind}: {finding.evidence}. Remedy: {finding.remedy}.")
    if assessment.diverged:
        kept = (f" The weights after epoch {last_good}, the last whose loss had not blown up, are in "
                f"{folder}/{LAST_GOOD} (model.load_weights)." if last_good is not None
                else " No epoch ended before the loss blew up, so no weights are kept.")
        raise TrainingDiverged(
            f"training diverged ({assessment.findings[0].evidence}); {folder}/report.md records the run.{kept} "
            f"Remedy: {assessment.findings[0].remedy}"
        )
    return RunResult(folder, metrics, train_seconds)


def _print_summary(name: str, folder: Path, metrics: dict, epochs: int, seconds: float, console) -> None:
    figures = ", ".join(f"{metric} {value:.4f}" for metric, value in metrics["test"].items()
                        if isinstance(value, float))
    console("")
    console(f"{name}: test {figures} ({epochs} epochs, {seconds:.1f} s of training)")
    console(f"Run folder: {folder}")
    for file, what in (
        ("report.md", "what to read first"),
        ("metrics.json", "test and validation metrics, evaluation, diagnosis, cost"),
        ("model.keras", "the trained model: keras.saving.load_model(...)"),
        *([("inference_model.keras", "the model behind its preprocessing: takes the raw columns")]
          if (folder / "inference_model.keras").exists() else []),
        ("history.csv", "loss and metrics per epoch"),
        ("recipe.json", f"the resolved recipe: make recipe NAME={folder}/recipe.json repeats this run"),
        ("env.json", "versions, strategy, devices, seed"),
        ("logs/", "TensorBoard logs"),
    ):
        console(f"  {file:<22} {what}")
    console(f"TensorBoard: make tensorboard RUNS={folder.parent.parent}, then open http://127.0.0.1:6006")
