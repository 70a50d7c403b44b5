"""The run's pictures, drawn with matplotlib without a display and written atomically as PNG."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from common.files import atomic_path  # noqa: E402
from engine.report.evaluation import Evaluation  # noqa: E402


def save_figure(figure, path: Path) -> Path:
    """Lay out, write atomically as PNG and close a matplotlib figure; returns `path`."""
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=110)
    plt.close(figure)
    return path


def learning_curves(history: dict[str, list[float]], best_epoch: int | None, path: Path) -> Path:
    """Loss and each metric per epoch, training against validation, with the best epoch marked."""
    names = [key for key in history if not key.startswith("val_") and key != "learning_rate"]
    columns = min(3, len(names))
    rows = math.ceil(len(names) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.6 * rows), squeeze=False)
    epochs = np.arange(1, len(history[names[0]]) + 1)
    for axis, name in zip(axes.flat, names, strict=False):
        axis.plot(epochs, history[name], label="training", color="tab:blue")
        if f"val_{name}" in history:
            axis.plot(epochs, history[f"val_{name}"], label="validation", color="tab:orange")
        if best_epoch is not None:
            axis.axvline(best_epoch, color="tab:green", linestyle="--", label=f"best epoch ({best_epoch})")
        if name == "loss" and min(history[name]) > 0 and max(history[name]) / min(history[name]) > 100:
            axis.set_yscale("log")  # losses falling over decades read better on a log scale
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
        axis.set_title(name)
        axis.grid(alpha=0.3)
        axis.legend()
    for axis in list(axes.flat)[len(names):]:
        axis.set_visible(False)
    figure.suptitle("Learning curves")
    return save_figure(figure, path)


def confusion_matrix(evaluation: Evaluation, path: Path) -> Path:
    """Counts of true class (rows) against predicted class (columns), with the counts written in."""
    matrix = np.asarray(evaluation.figures["confusion_matrix"])
    names = evaluation.figures["class_names"]
    size = max(4.5, 0.55 * len(names) + 2.5)
    figure, axis = plt.subplots(figsize=(size + 1, size))
    image = axis.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04)
    ticks = np.arange(len(names))
    axis.set_xticks(ticks, names, rotation=45 if max(map(len, names)) > 3 else 0, ha="right")
    axis.set_yticks(ticks, names)
    threshold = matrix.max() / 2 if matrix.size else 0
    for row in range(matrix.shape[0]):
        for column in range(matrix.shape[1]):
            axis.text(column, row, str(matrix[row, column]), ha="center", va="center",
                      color="white" if matrix[row, column] > threshold else "black")
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    axis.set_title(f"Confusion matrix (test, accuracy {evaluation.figures['accuracy']:.4f})")
    return save_figure(figure, path)


def roc_pr_curves(evaluation: Evaluation, path: Path) -> Path:
    """ROC and precision-recall curves of a binary classifier."""
    figure, (roc_axis, pr_axis) = plt.subplots(1, 2, figsize=(10, 4.2))
    false_positive, true_positive = evaluation.curves["roc"]
    roc_axis.plot(false_positive, true_positive, label=f"ROC AUC {evaluation.figures['roc_auc']:.4f}")
    roc_axis.plot([0, 1], [0, 1], color="grey", linestyle=":", label="chance")
    roc_axis.set_xlabel("false positive rate")
    roc_axis.set_ylabel("true positive rate")
    roc_axis.set_title("ROC curve (test)")
    recall, precision = evaluation.curves["pr"]
    pr_axis.plot(recall, precision, label=f"PR AUC (average precision) {evaluation.figures['pr_auc']:.4f}")
    pr_axis.axhline(float(np.mean(evaluation.truth)), color="grey", linestyle=":", label="chance")
    pr_axis.set_xlabel("recall")
    pr_axis.set_ylabel("precision")
    pr_axis.set_title("Precision-recall curve (test)")
    for axis in (roc_axis, pr_axis):
        axis.grid(alpha=0.3)
        axis.legend(loc="lower right" if axis is roc_axis else "lower left")
    return save_figure(figure, path)


def regression_plots(evaluation: Evaluation, path: Path) -> Path:
    """Predicted against true values, and residuals against predictions (first target)."""
    truth, predicted = evaluation.truth[:, 0], evaluation.predicted[:, 0]
    figure, (scatter_axis, residual_axis) = plt.subplots(1, 2, figsize=(10, 4.2))
    scatter_axis.scatter(truth, predicted, alpha=0.6)
    low, high = float(min(truth.min(), predicted.min())), float(max(truth.max(), predicted.max()))
    scatter_axis.plot([low, high], [low, high], color="grey", linestyle=":", label="perfect prediction")
    scatter_axis.set_xlabel("true value")
    scatter_axis.set_ylabel("predicted value")
    scatter_axis.set_title(f"Predicted against true (test, R^2 {evaluation.figures['r2']:.3f})")
    scatter_axis.legend()
    residual_axis.scatter(predicted, truth - predicted, alpha=0.6)
    residual_axis.axhline(0.0, color="grey", linestyle=":")
    residual_axis.set_xlabel("predicted value")
    residual_axis.set_ylabel("residual (true - predicted)")
    residual_axis.set_title("Residuals (test)")
    for axis in (scatter_axis, residual_axis):
        axis.grid(alpha=0.3)
    return save_figure(figure, path)
