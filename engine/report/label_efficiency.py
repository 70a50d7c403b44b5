"""Label efficiency: test accuracy against the labels an active-learning loop used.

One curve per query strategy: `(labels, accuracies)` in the order the rounds ran. The area under a
curve is its mean accuracy over the labels it covers (the trapezoid rule divided by the span of
labels), so curves over the same labels compare on one number; `labels_to_reach` is the fewest labels
at which a curve first reached a target.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from common.text import markdown_table
from engine.report import plots


def area_under_curve(labels: Sequence[int], accuracies: Sequence[float]) -> float:
    """Mean accuracy over the span of labels (trapezoid rule); the accuracy itself for a single point."""
    labels, accuracies = np.asarray(labels, dtype=float), np.asarray(accuracies, dtype=float)
    if len(labels) < 2:
        return float(accuracies[0]) if len(accuracies) else float("nan")
    widths = np.diff(labels)
    return float(np.sum(widths * (accuracies[1:] + accuracies[:-1]) / 2) / (labels[-1] - labels[0]))


def labels_to_reach(labels: Sequence[int], accuracies: Sequence[float], target: float | None) -> int | None:
    """The fewest labels at which the accuracy first reached `target`; None when it never did (or no target)."""
    if target is None:
        return None
    return next((int(count) for count, accuracy in zip(labels, accuracies, strict=True) if accuracy >= target), None)


def plot_curves(curves: dict[str, tuple[Sequence[int], Sequence[float]]], path: Path,
                target: float | None = None, title: str = "Label efficiency") -> Path:
    """Test accuracy against labels used, one line per curve, with the target as a dashed line."""
    figure, axis = plots.plt.subplots(figsize=(6.4, 4.2))
    for name, (labels, accuracies) in curves.items():
        axis.plot(labels, accuracies, marker="o", markersize=3, label=name)
    if target is not None:
        axis.axhline(target, color="grey", linestyle="--", linewidth=1, label=f"target {target:g}")
    axis.set_xlabel("labels used")
    axis.set_ylabel("test accuracy")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    return plots.save_figure(figure, path)


def summary_lines(curves: dict[str, tuple[Sequence[int], Sequence[float]]], target: float | None) -> list[str]:
    """A Markdown table: per curve, its final accuracy, area under the curve and labels to reach the target."""
    rows = []
    for name, (labels, accuracies) in curves.items():
        reached = labels_to_reach(labels, accuracies, target)
        rows.append([name, int(labels[-1]), accuracies[-1], area_under_curve(labels, accuracies),
                     "never" if reached is None and target is not None else reached if target is not None else "n/a"])
    header = ["curve", "labels", "final test accuracy", "area under curve (mean accuracy)",
              f"labels to reach {target:g}" if target is not None else "labels to target"]
    return markdown_table(header, rows)
