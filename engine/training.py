"""Running a recipe end to end: check, prepare, build, fit, evaluate, and write the run folder.

Everything that can be refused (overrides, names, data, model arguments, strategy) is checked
before the run folder is created, so a bad recipe leaves nothing behind.
"""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import keras
import pandas
import tensorflow as tf

import data
from engine import hp
from engine.assessment import assess
from engine.building import (
    build_model,
    check_fine_tune,
    check_resolved,
    make_datasets,
    prepare_data,
    unfreeze_for_fine_tuning,
)
from engine.cost import EpochTimer
from engine.keras_objects import build_callbacks
from engine.recipe import Recipe, collect_ranges, resolve
from engine.report import classification_report_markdown, render_report
from engine.run_folder import atomic_path, check_recipe_name, create_run_folder, write_json, write_text
from engine.strategy import Chosen, choose_strategy
from engine.tensorboard_logging import keras_callback, write_pictures, write_run_summaries

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
) -> RunResult:
    """Train `recipe` and write its run folder; returns where it is and what it measured.

    `console` receives the lines of the summary; `verbose` is Keras's fit verbosity (by
    default a progress bar on a terminal and one line per epoch otherwise). `values` sets
    ranges by name instead of their defaults; `values_from` says where they came from (a
    search folder), and is recorded in env.json and report.md.
    """
    plan = plan_run(recipe, values)
    folder = create_run_folder(runs_dir, recipe.name)
    env = {
        "status": "running",
        "versions": versions(),
        "platform": platform.platform(),
        "strategy": plan.chosen.describe(),
        "seed": plan.resolved["seed"],
        "hyperparameters_from": values_from or "recipe defaults",
        "command": sys.argv,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    recipe_json = {**plan.resolved, "hyperparameters": {
        range_.name: {**range_.to_dict(), "value": plan.values.get(range_.name, "inactive")}
        for range_ in plan.ranges.values()
    }}
    write_json(folder / "recipe.json", recipe_json)
    write_json(folder / "env.json", env)
    console(f"{recipe.name}: training on {plan.chosen.name} ({plan.chosen.replicas} replica(s)); run folder {folder}")
    try:
        if verbose is None:
            verbose = 1 if sys.stdout.isatty() else 2
        result = _train_and_record(plan, folder, env, console, verbose)
    except TrainingDiverged:
        raise  # the run folder is complete and already says "diverged"
    except BaseException as error:
        env.update(status="failed", error=f"{type(error).__name__}: {error}",
                   finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        write_json(folder / "env.json", env)
        raise
    return result


def _loss_name(loss: str | dict) -> str:
    return loss if isinstance(loss, str) else str(loss.get("class_name", ""))


class TrainingDiverged(RuntimeError):
    """Training produced a non-finite or exploding loss; the run folder still records what happened."""


def _train_and_record(plan: Plan, folder: Path, env: dict, console, verbose: int) -> RunResult:
    resolved, prepared, replicas = plan.resolved, plan.prepared, plan.chosen.replicas
    datasets = make_datasets(prepared, resolved["batch_size"] * replicas, resolved["seed"])
    logs = folder / "logs"
    timer = EpochTimer()
    started = time.perf_counter()
    # TerminateOnNaN ends a diverging run at once instead of training on NaN weights.
    callbacks = [*plan.callbacks, keras.callbacks.TerminateOnNaN(), timer, keras_callback(logs)]
    history = plan.model.fit(datasets["train"], validation_data=datasets["validation"], epochs=resolved["epochs"],
                             callbacks=callbacks, shuffle=False, verbose=verbose)
    if resolved.get("fine_tune"):
        first = len(history.history.get("loss", []))
        console(f"Fine-tuning: backbone unfrozen, learning rate {resolved['fine_tune']['learning_rate']}, "
                f"{resolved['fine_tune']['epochs']} more epochs.")
        unfreeze_for_fine_tuning(plan.model, resolved, plan.chosen.strategy)
        second = plan.model.fit(datasets["train"], validation_data=datasets["validation"], initial_epoch=first,
                                epochs=first + resolved["fine_tune"]["epochs"], callbacks=callbacks, shuffle=False,
                                verbose=verbose)
        for key, values in second.history.items():
            history.history.setdefault(key, []).extend(values)
    train_seconds = time.perf_counter() - started
    metrics = {
        "test": plan.model.evaluate(datasets["test"], return_dict=True, verbose=0),
        "validation": plan.model.evaluate(datasets["validation"], return_dict=True, verbose=0),
    }
    metrics = {split: {name: float(value) for name, value in values.items()} for split, values in metrics.items()}
    epochs_run = len(history.history.get("loss", []))
    stopped_by = next(
        (f"stopped early by {type(callback).__name__} after epoch {callback.stopped_epoch + 1}"
         for callback in plan.callbacks if getattr(callback, "stopped_epoch", 0)), ""
    )
    restored_best = any(getattr(callback, "restore_best_weights", False) and getattr(callback, "stopped_epoch", 0)
                        for callback in plan.callbacks)
    epochs_requested = resolved["epochs"] + (resolved.get("fine_tune") or {}).get("epochs", 0)
    assessment = assess(plan.model, prepared, history.history, epochs_requested, stopped_by, restored_best,
                        timer, train_seconds, folder, loss_name=_loss_name(resolved["loss"]))
    metrics |= assessment.to_metrics()

    metric_names = [key for key in history.history if not key.startswith(("val_", "learning_rate"))]
    write_run_summaries(logs, folder.name, resolved, plan.hyperparameters, plan.ranges, metric_names,
                        metrics["test"], epochs_run)
    texts = {"classification_report": classification_report_markdown(assessment.evaluation)} \
        if assessment.evaluation is not None and prepared.task == data.CLASSIFICATION else {}
    write_pictures(logs, assessment.pictures, texts, epochs_run)
    with atomic_path(folder / "model.keras") as temporary:
        plan.model.save(temporary)
    table = pandas.DataFrame(history.history)
    table.insert(0, "epoch", range(1, len(table) + 1))
    with atomic_path(folder / "history.csv") as temporary:
        table.to_csv(temporary, index=False)
    write_json(folder / "metrics.json", metrics)
    summary = {
        "run_id": folder.name, "recipe": resolved | {"name": plan.recipe.name, "description": plan.recipe.description},
        "metrics": metrics, "env": env, "epochs_run": epochs_run, "train_seconds": train_seconds,
        "stopped_by": stopped_by, "task": prepared.task, "sizes": prepared.sizes(),
        "class_counts": prepared.class_counts, "parameters": plan.model.count_params(), "output": plan.output,
        "hyperparameters": plan.hyperparameters, "assessment": assessment,
    }
    write_text(folder / "report.md", render_report(summary))
    env.update(status="diverged" if assessment.diverged else "complete",
               finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"), train_seconds=train_seconds,
               epochs_run=epochs_run, parameters=plan.model.count_params(), output_layer=plan.output,
               data={"sizes": prepared.sizes(), "class_counts": prepared.class_counts, "steps": prepared.steps})
    write_json(folder / "env.json", env)
    _print_summary(plan.recipe.name, folder, metrics, epochs_run, train_seconds, console)
    for finding in assessment.findings:
        console(f"Diagnosis, {finding.kind}: {finding.evidence}. Remedy: {finding.remedy}.")
    if assessment.diverged:
        raise TrainingDiverged(
            f"training diverged ({assessment.findings[0].evidence}); {folder}/report.md records the run. "
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
        ("history.csv", "loss and metrics per epoch"),
        ("recipe.json", f"the resolved recipe: make recipe NAME={folder}/recipe.json repeats this run"),
        ("env.json", "versions, strategy, devices, seed"),
        ("logs/", "TensorBoard logs"),
    ):
        console(f"  {file:<13} {what}")
    console(f"TensorBoard: make tensorboard RUNS={folder.parent.parent}, then open http://127.0.0.1:6006")
