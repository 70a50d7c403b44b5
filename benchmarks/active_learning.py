"""Active learning on digits: margin and entropy sampling against random choice, on the same seeds.

    python -m benchmarks.active_learning [--figure PATH]

Runs `digits_active` once per seed (1 to 5) and per query strategy. Within a seed every arm has the same
splits, the same seed set of 2 labelled images per class, the same network and initial weights, budget,
optimizer and early stopping on the same clean validation split; only the strategy differs (checked: the
resolved recipes must be equal but for it). Prints, per checkpoint of labels, each arm's mean test accuracy
over the seeds and its gain over random, then each arm's area under the label-efficiency curve and the labels
its mean curve needed to reach the recipe's target, and draws the mean curves (default
runs/benchmarks/active_learning.png).

Goal, for the recipe's own strategy (margin): >= 3 points over random at 150 labels, above random at every
round from 50 labels on, and test accuracy >= 0.95 within 200 labels (means over the seeds). The command
exits 1 below it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import results_file
from benchmarks.machine import describe_cpu
from common.text import markdown_table
from engine.recipe.loading import load_recipe
from engine.recipe.overrides import apply_overrides
from engine.recipe.resolve import resolve
from engine.report import label_efficiency
from engine.run.training import run_recipe

RECIPE = "digits_active"
SEEDS = (1, 2, 3, 4, 5)
ARMS = ("margin", "entropy", "random")
CHECKPOINTS = (50, 100, 150, 200)
GAIN_AT, GAIN_POINTS, FROM_LABELS, TARGET, WITHIN = 150, 3.0, 50, 0.95, 200


def recipe_for(seed: int, strategy: str):
    return resolve(apply_overrides(load_recipe(RECIPE), {"seed": seed, "active_learning.strategy": strategy}))


def check_equal_care() -> None:
    """The arms' recipes differ only in the query strategy (a control trained otherwise is no control)."""
    for seed in SEEDS:
        plain = [recipe_for(seed, arm).to_dict() for arm in ARMS]
        for config in plain:
            config["active_learning"].pop("strategy")
        if any(config != plain[0] for config in plain):
            raise SystemExit(f"seed {seed}: the arms' recipes differ in more than the strategy; not a fair comparison")
        if not plain[0]["data"]["validation_split"] or not any(
                callback.get("name") == "EarlyStopping" and callback.get("restore_best_weights")
                for callback in plain[0]["callbacks"]):
            raise SystemExit("every arm must stop early on the validation split, restoring the best weights")


def run_arms(runs_dir: str) -> tuple[dict[str, dict[int, list[float]]], dict[str, float]]:
    """Per arm: labels -> test accuracy of each seed; and each arm's wall seconds in all."""
    curves: dict[str, dict[int, list[float]]] = {arm: {} for arm in ARMS}
    seconds = dict.fromkeys(ARMS, 0.0)
    for seed in SEEDS:
        for arm in ARMS:
            started = time.perf_counter()
            result = run_recipe(recipe_for(seed, arm), runs_dir=runs_dir, console=lambda line: None, verbose=0)
            seconds[arm] += time.perf_counter() - started
            found = result.metrics["active_learning"]
            for labels, accuracy in zip(found["labels"], found["test_accuracy"], strict=True):
                curves[arm].setdefault(labels, []).append(accuracy)
            print(f"seed {seed}, {arm}: " + ", ".join(
                f"{labels} labels {accuracy:.4f}" for labels, accuracy in zip(found["labels"], found["test_accuracy"],
                                                                              strict=True) if labels in CHECKPOINTS)
                  + f" ({time.perf_counter() - started:.0f} s)", flush=True)
    return curves, seconds


def mean_curve(curve: dict[int, list[float]]) -> tuple[list[int], list[float]]:
    labels = sorted(curve)
    return labels, [float(np.mean(curve[count])) for count in labels]


def verdict(curves: dict[str, dict[int, list[float]]], arm: str) -> tuple[bool, list[str]]:
    """Whether `arm` met the goal against random, and why, in words."""
    labels, mine = mean_curve(curves[arm])
    _, random = mean_curve(curves["random"])
    gain = 100 * (mine[labels.index(GAIN_AT)] - random[labels.index(GAIN_AT)])
    below = [count for count, own, theirs in zip(labels, mine, random, strict=True)
             if count >= FROM_LABELS and own <= theirs]
    reached = label_efficiency.labels_to_reach(labels, mine, TARGET)
    lines = [f"{arm} minus random at {GAIN_AT} labels: {gain:+.2f} points (goal >= {GAIN_POINTS:+.0f})",
             f"{arm} above random at every round from {FROM_LABELS} labels on: "
             + ("yes" if not below else f"no (not above at {', '.join(map(str, below))} labels)"),
             f"{arm} reaches test accuracy {TARGET} " + (f"with {reached} labels" if reached else "never")
             + f" (goal: within {WITHIN})"]
    return gain >= GAIN_POINTS and not below and reached is not None and reached <= WITHIN, lines


def report(curves: dict[str, dict[int, list[float]]], seconds: dict[str, float], figure: Path,
           arguments: list[str] | None = None) -> bool:
    means = {arm: mean_curve(curves[arm]) for arm in ARMS}
    rows = []
    for count in CHECKPOINTS:
        random = float(np.mean(curves["random"][count]))
        row = [count, random]
        for arm in ARMS[:-1]:
            own = float(np.mean(curves[arm][count]))
            row += [own, f"{100 * (own - random):+.2f}"]
        rows.append(row)
    caption = f"{RECIPE}, seeds {', '.join(map(str, SEEDS))}: mean test accuracy"
    header = ["labels", "random", "margin", "margin gain (points)", "entropy", "entropy gain (points)"]
    print(f"\n{caption}\n")
    print("\n".join(markdown_table(header, rows)))
    print()
    summary = label_efficiency.summary_lines({arm: means[arm] for arm in ARMS}, TARGET)
    print("\n".join(summary))
    print("\nWall time per arm (5 seeds, runs with their reports): "
          + ", ".join(f"{arm} {seconds[arm]:.0f} s" for arm in ARMS))
    label_efficiency.plot_curves(means, figure, TARGET, title=f"{RECIPE}: mean of seeds {SEEDS[0]}-{SEEDS[-1]}")
    print(f"Figure: {figure}\n")
    met = {}
    for arm in ARMS[:-1]:
        met[arm], lines = verdict(curves, arm)
        print("\n".join(f"- {line}" for line in lines))
    strategy = load_recipe(RECIPE).to_dict()["active_learning"]["strategy"]["default"]
    print(f"\nGoal for the recipe's strategy ({strategy}): {'met' if met[strategy] else 'NOT met'}.")
    verdicts = [line for arm in ARMS[:-1] for line in verdict(curves, arm)[1]]
    goal = f"Goal for the recipe's strategy ({strategy}): {'met' if met[strategy] else 'NOT met'}."
    results_file.save("active_learning", arguments or [],
                      [results_file.table(caption, header, rows), results_file.markdown("Label efficiency", summary)],
                      [*verdicts, goal],
                      {arm: {str(labels): values for labels, values in curve.items()} for arm, curve in curves.items()})
    return met[strategy]


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figure", type=Path, default=Path("runs/benchmarks/active_learning.png"))
    options = parser.parse_args(arguments)
    print(f"CPU: {describe_cpu()}")
    check_equal_care()
    options.figure.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as runs_dir:
        curves, seconds = run_arms(runs_dir)
    met = report(curves, seconds, options.figure, arguments)
    print(f"Wall time: {time.perf_counter() - started:.0f} s")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
