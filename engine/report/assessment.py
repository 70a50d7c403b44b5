"""After training: evaluate with scikit-learn, diagnose the history, measure the cost, draw the plots."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras

import data
from engine.report import plots
from engine.report.cost import EpochTimer, measure
from engine.report.diagnosis import Finding, best_epoch, diagnose, uninformed_loss
from engine.report.evaluation import Evaluation, baseline, evaluate_split


@dataclass
class Assessment:
    """Everything a run learned about its model beyond Keras's own metrics."""

    evaluation: Evaluation | None
    evaluation_error: str
    baseline: dict[str, Any]
    findings: list[Finding]
    cost: dict[str, Any]
    best_epoch: int | None
    pictures: dict[str, Path] = field(default_factory=dict)
    # An unsupervised run's figures in place of an evaluation (engine.report.representation).
    representation: dict[str, Any] | None = None

    @property
    def diverged(self) -> bool:
        return any(finding.kind == "divergence" for finding in self.findings)

    def to_metrics(self) -> dict[str, Any]:
        """The sections this adds to metrics.json."""
        evaluation = {"test": self.evaluation.figures} if self.evaluation else {"error": self.evaluation_error}
        return {
            "evaluation": {"test": self.representation} if self.representation is not None else evaluation,
            "baseline": {"test": self.baseline},
            "diagnosis": [finding.to_dict() for finding in self.findings],
            "cost": self.cost,
        }


def assess(
    model: keras.Model,
    prepared: data.Prepared,
    history: dict[str, list[float]],
    epochs_requested: int,
    stopped_by: str,
    restored_best: bool,
    timer: EpochTimer,
    train_seconds: float,
    folder: Path,
    loss_name: str = "",
    missed: str = "",
) -> Assessment:
    """Evaluate, diagnose, measure and draw; PNG files go into `folder`. `missed` says which of the recipe's
    targets the run missed (engine.report.diagnosis.missed_targets), for the diagnosis."""
    evaluation, error = None, ""
    try:
        evaluation = evaluate_split(model, prepared, "test")
    except ValueError as problem:
        error = str(problem)
    train_score = train_baseline = None
    if evaluation is not None:
        train = evaluate_split(model, prepared, "train")
        train_score = train.figures["accuracy" if prepared.task == data.CLASSIFICATION else "r2"]
        if prepared.task == data.CLASSIFICATION:
            train_baseline = baseline(prepared, "test")["train_accuracy"]
    uninformed = uninformed_loss(loss_name, prepared.task, prepared.splits["train"][1])
    findings = diagnose(history, epochs_requested, stopped_by, restored_best, prepared.task, train_score,
                        train_baseline, uninformed, missed)
    best = best_epoch(history)
    cost = measure(model, prepared.input_shape, timer, len(prepared.splits["train"][0]), train_seconds)
    pictures = _draw(history, best, evaluation, prepared.task, folder)
    return Assessment(evaluation, error, baseline(prepared, "test"), findings, cost, best, pictures)


def _draw(history: dict[str, list[float]], best: int | None, evaluation: Evaluation | None, task: str,
          folder: Path) -> dict[str, Path]:
    """The run's PNG files: learning curves, then the task's own plots when the model could be evaluated."""
    pictures = {"learning_curves": plots.learning_curves(history, best, folder / "learning_curves.png")}
    if evaluation is not None and task == data.CLASSIFICATION:
        pictures["confusion_matrix"] = plots.confusion_matrix(evaluation, folder / "confusion_matrix.png")
        if evaluation.curves:
            pictures["roc_pr_curves"] = plots.roc_pr_curves(evaluation, folder / "roc_pr_curves.png")
    elif evaluation is not None:
        pictures["regression"] = plots.regression_plots(evaluation, folder / "regression.png")
    return pictures
