"""What a finished run writes: TensorBoard summaries, the models, history, metrics, report.md, env.json.

The one record step of every kind (`record`): the kind gives what differs (engine.kinds.Learning's `metrics`,
`save`, `report`, `finished` and `summary`) and adds its own entries of metrics.json, its section of report.md
and its console lines through `recorded`; no file is written twice. The `fitted_*` functions are what the
kinds that fit a compiled model on a dataset give (engine.learning.supervised).

Every file goes through `engine.run.run_folder`'s atomic writes. The backup is removed last (a
diverged run keeps its last good weights), then the console gets the summary and the diagnosis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import tensorflow as tf

import data
from common.files import atomic_path, write_json, write_text
from common.text import plural, timestamp
from data.fitted_state import save_state
from data.tabular import end_to_end_model
from engine.distribute.strategy import Chosen
from engine.kinds import Trained
from engine.report.assessment import Assessment
from engine.report.run_report import classification_report_markdown, render_report
from engine.report.tensorboard_logs import write_pictures, write_run_summaries
from engine.report.time_to_target import time_to_target
from engine.run.plan import Plan
from engine.run.resume import LAST_GOOD, remove_backup


@dataclass
class RunResult:
    """Where a finished run lives and what it measured."""

    folder: Path
    metrics: dict[str, dict[str, float]]
    train_seconds: float


class TrainingDiverged(RuntimeError):
    """Training produced a non-finite or exploding loss; the run folder still records what happened."""


def wait_for_every_worker(chosen: Chosen) -> None:
    """A barrier: under multi-worker training, return once every worker has called this.

    The chief calls it when the run folder is written, the other workers after their last
    collective op; a worker that ended earlier would be reported as crashed to the chief.
    """
    if chosen.multi_worker:
        chosen.strategy.reduce("SUM", tf.constant(1.0), axis=None)


def record(plan: Plan, trained: Trained, assessment, folder: Path, env: dict, console) -> RunResult:
    """The one record step of every kind: write everything a finished run leaves, tell the console, and raise
    TrainingDiverged if it diverged. The kind gives what differs (its `metrics`, what it `save`s, its `report`,
    its `finished` fields of env.json, its `summary` lines) and adds its own through `recorded`; each file is
    written once."""
    kind = plan.kind
    added = kind.recorded(plan, trained)
    metrics = {**kind.metrics(plan, trained, assessment), **added.metrics}
    kind.save(plan, trained, assessment, folder, metrics)
    write_json(folder / "metrics.json", metrics)
    write_text(folder / "report.md", kind.report(plan, trained, assessment, metrics, folder, env, added.report))
    last_good = remove_backup(folder, keep_last_good=assessment.diverged)
    if last_good is not None:
        env["last_good"] = {"epoch": last_good, "weights": LAST_GOOD}
    env.update(status="diverged" if assessment.diverged else "complete", finished=timestamp(),
               train_seconds=trained.seconds, **kind.finished(plan, trained, assessment))
    env["progress"] = kind.progress(plan.recipe.to_dict(), env, lambda: trained.log.rows)  # for make compare
    write_json(folder / "env.json", env)
    wait_for_every_worker(plan.chosen)
    for line in kind.summary(plan, trained, assessment, folder, metrics):
        console(line)
    for finding in assessment.findings:
        console(f"Diagnosis, {finding.kind}: {finding.evidence}. Remedy: {finding.remedy}.")
    for line in added.console:
        console(line)
    if assessment.diverged:
        kept = (f" The weights after epoch {last_good}, the last whose loss had not blown up, are in "
                f"{folder}/{LAST_GOOD} (model.load_weights)." if last_good is not None
                else " No epoch ended before the loss blew up, so no weights are kept.")
        raise TrainingDiverged(
            f"training diverged ({assessment.findings[0].evidence}); {folder}/report.md records the run.{kept} "
            f"Remedy: {assessment.findings[0].remedy}"
        )
    return RunResult(folder, metrics, trained.seconds)


# What differs for the kinds that fit a compiled model on a dataset (engine.learning.supervised's methods).

def fitted_metrics(plan: Plan, trained: Trained, assessment: Assessment) -> dict:
    """Keras's test and validation metrics, scikit-learn's assessment and the time to each target."""
    return {**trained.metrics, **assessment.to_metrics(),
            "time_to_target": time_to_target(trained.log.rows, plan.recipe.targets)}


def save_fitted(plan: Plan, trained: Trained, assessment: Assessment, folder: Path, metrics: dict) -> None:
    """TensorBoard's summaries, the models (and what predict and export need), history.csv."""
    history = trained.log.history()
    _write_tensorboard(plan, assessment, folder, history, metrics, len(history.get("loss", [])))
    _save_models(plan, folder)
    trained.log.write(folder / "history.csv")  # again: a resumed run may have had rows past its backup


def fitted_report(plan: Plan, trained: Trained, assessment: Assessment, metrics: dict, folder: Path, env: dict,
                  sections: list[str]) -> str:
    return render_report(_summary(plan, trained, assessment, folder, env, metrics), sections)


def fitted_finished(plan: Plan, trained: Trained) -> dict:
    """env.json's fields of a finished fit: epochs, parameters, the output layer and the data's sizes."""
    steps_per_epoch = math.ceil(plan.prepared.sizes()["train"] / plan.global_batch)
    return {"epochs_run": len(trained.log.history().get("loss", [])), "parameters": plan.model.count_params(),
            "output_layer": plan.output,
            "data": {**_data_record(plan), "global_batch": plan.global_batch, "steps_per_epoch": steps_per_epoch}}


def fitted_summary(plan: Plan, trained: Trained, folder: Path, metrics: dict) -> list[str]:
    return _summary_lines(plan.recipe.name, folder, metrics, len(trained.log.history().get("loss", [])),
                          trained.seconds)


def _write_tensorboard(plan: Plan, assessment: Assessment, folder: Path, history: dict, metrics: dict,
                       epochs_run: int) -> None:
    logs = folder / "logs"
    write_run_summaries(logs, folder.name, plan.recipe.to_dict(), plan.hyperparameters, metrics["test"], epochs_run)
    texts = {"classification_report": classification_report_markdown(assessment.evaluation)} \
        if assessment.evaluation is not None and plan.prepared.task == data.CLASSIFICATION else {}
    write_pictures(logs, assessment.pictures, texts, epochs_run)


def _save_models(plan: Plan, folder: Path) -> None:
    with atomic_path(folder / "model.keras") as temporary:
        plan.model.save(temporary)
    if plan.prepared.feature_space is not None:  # a `feature_space` step: also a model that takes the raw columns
        with atomic_path(folder / "inference_model.keras") as temporary:
            end_to_end_model(plan.prepared.feature_space, plan.model).save(temporary)
    if plan.kind.labelled:  # what make predict and make export need to apply the preprocessing
        save_state(folder, plan.prepared, plan.recipe.to_dict()["data"], plan.output)


def _data_record(plan: Plan) -> dict:
    prepared = plan.prepared
    return {"sizes": prepared.sizes(), "class_counts": prepared.class_counts, "steps": prepared.steps,
            "test_from": prepared.test_from}


def _summary(plan: Plan, trained: Trained, assessment: Assessment, folder: Path, env: dict, metrics: dict) -> dict:
    """What report.md is rendered from."""
    return {
        "run_id": folder.name, "recipe": plan.recipe.to_dict(), "metrics": metrics, "env": env,
        "epochs_run": len(trained.log.rows), "train_seconds": trained.seconds, "stopped_by": trained.stopped_by,
        "task": plan.prepared.task, **_data_record(plan), "parameters": plan.model.count_params(),
        "output": plan.output, "hyperparameters": plan.hyperparameters, "assessment": assessment,
    }


def _summary_lines(name: str, folder: Path, metrics: dict, epochs: int, seconds: float) -> list[str]:
    figures = ", ".join(f"{metric} {value:.4f}" for metric, value in metrics["test"].items()
                        if isinstance(value, float))
    lines = ["", f"{name}: test {figures} ({plural(epochs, 'epoch')}, {seconds:.1f} s of training)",
             f"Run folder: {folder}"]
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
        lines.append(f"  {file:<22} {what}")
    return [*lines, f"TensorBoard: make tensorboard RUNS={folder.parent.parent}, then open http://127.0.0.1:6006"]
