"""Transfer study: what a pretrained backbone saves in labels and in epochs against the same network from scratch.

    python -m benchmarks.transfer [recipe ...] [--seeds 1 2 3] [--labels 2 3 5 10 20]
        # default recipes: mnist1d59_finetune mnist1d_selfsupervised_finetune digits59_finetune

For each fine-tuning recipe (a pretrained zoo source, few labels per class) and each seed, every arm
trains on the same labelled samples (a seed picks them), is stopped by the recipe's own early stopping
on the same validation split, and is scored on the same test split:

- fine-tuned: the recipe as it is (all layers train, on a fresh head), at its own learning rate;
- scratch: the same network and epochs with fresh weights (`model.pretrained=False`, no frozen backbone,
  no fine-tuning phase), at the learning rate of `SCRATCH_RATES` with the best mean validation accuracy.
  The rate is chosen once, at `REFERENCE_LABELS` labels per class, and reused across the label curve;
- RBF SVM: scikit-learn's default SVC on the recipe's own labelled samples (flattened), as a reference.

Fine-tuning gets no rate search: its rate is the recipe's, set before this study, while scratch picks
the best of three rates (the recipe's own among them). A search could only raise fine-tuning's accuracy,
so leaving it out can only shrink the savings measured here, never inflate them.

It prints the scratch rate search, then a label curve (test accuracy of fine-tuned and scratch at each
count of `--labels` labels per class, `REFERENCE_LABELS` always included), and then the two savings:

- labels: the fewest labels per class on the curve at which fine-tuning's mean test accuracy reaches
  scratch's mean at `REFERENCE_LABELS` per class, as a fraction of `REFERENCE_LABELS`;
- epochs: per seed, at `REFERENCE_LABELS` per class, the first epoch at which fine-tuning's validation
  accuracy reaches the value scratch ends with, over the first epoch at which scratch itself reaches it;
  the worst (largest) ratio over the seeds counts.

A recipe with goals in `GOALS` makes the command exit 1 when either saving falls short, and says by how much.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.svm import SVC

from benchmarks import results_file
from benchmarks.machine import describe_cpu
from common.text import markdown_row, markdown_table
from engine.recipe.loading import load_recipe
from engine.recipe.overrides import apply_overrides
from engine.recipe.resolve import resolve
from engine.report.time_to_target import time_to_target
from engine.run.building import prepare_data
from engine.run.training import run_recipe

DEFAULT_SEEDS = (1, 2, 3)
DEFAULT_LABELS = (2, 3, 5, 10, 20)
DEFAULT_RECIPES = ("mnist1d59_finetune", "mnist1d_selfsupervised_finetune", "digits59_finetune")
# The labels per class of the scratch run both savings are measured against; the issue states them at 10.
REFERENCE_LABELS = 10
SCRATCH_RATES = (3e-4, 1e-3, 3e-3)
SCRATCH = {"model.pretrained": False, "model.freeze_backbone": False, "fine_tune": {}}
# Issue 25 restated the seeds' claim that transfer ends up "significantly reducing training time and data
# requirements" as two upper bounds on fine-tuning's need over scratch's: the labels per class it takes to
# match scratch's test accuracy at REFERENCE_LABELS, and the epochs it takes to reach the validation accuracy
# scratch ends with. Only the recipe the issue names has goals; the others are measured and reported.
GOALS = {"mnist1d59_finetune": {"labels ratio": 1 / 3, "epochs ratio": 1 / 3}}


@dataclass
class Arm:
    """One arm's runs over the seeds: test and validation accuracy, and each run's epoch log."""

    name: str
    test: list[float] = field(default_factory=list)
    validation: list[float] = field(default_factory=list)
    histories: list[list[dict]] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return float(np.mean(self.test))

    @property
    def mean_validation(self) -> float:
        return float(np.mean(self.validation))


def run_arm(name: str, recipe_name: str, overrides: dict, seeds: list[int], runs_dir: str) -> Arm:
    arm = Arm(name)
    for seed in seeds:
        recipe = apply_overrides(load_recipe(recipe_name), {**overrides, "seed": seed})
        result = run_recipe(recipe, runs_dir=runs_dir, console=lambda line: None, verbose=0)
        arm.test.append(result.metrics["test"]["accuracy"])
        arm.validation.append(result.metrics["validation"]["accuracy"])
        with open(Path(result.folder) / "history.csv", newline="") as file:
            arm.histories.append(list(csv.DictReader(file)))
    return arm


def svm_arm(recipe_name: str, seeds: list[int]) -> Arm:
    """scikit-learn's RBF SVM on exactly the labelled training samples each seed's run of the recipe gets."""
    arm = Arm("RBF SVM (reference)")
    for seed in seeds:
        prepared = prepare_data(resolve(apply_overrides(load_recipe(recipe_name), {"seed": seed})))
        (train_x, train_y), (test_x, test_y) = prepared.splits["train"], prepared.splits["test"]
        model = SVC(kernel="rbf").fit(train_x.reshape(len(train_x), -1), train_y)
        arm.test.append(float(np.mean(model.predict(test_x.reshape(len(test_x), -1)) == test_y)))
    return arm


def choose_scratch_rate(recipe_name: str, seeds: list[int], runs_dir: str) -> tuple[float, Arm]:
    """Scratch at each of SCRATCH_RATES with REFERENCE_LABELS per class; the rate with the best mean validation
    accuracy, and its arm (which is also the curve's scratch point at REFERENCE_LABELS)."""
    print(f"\nScratch's learning rate, {REFERENCE_LABELS} labels per class: validation accuracy\n")
    header = ["learning rate", *(f"seed {seed}" for seed in seeds), "mean validation", "mean test"]
    print("\n".join(markdown_table(header, [])), flush=True)
    arms = {}
    for rate in SCRATCH_RATES:
        overrides = {**SCRATCH, "optimizer.learning_rate": rate, "data.train_per_class": REFERENCE_LABELS}
        arm = run_arm(f"scratch, learning rate {rate:g}", recipe_name, overrides, seeds, runs_dir)
        print(markdown_row([f"{rate:g}", *arm.validation, arm.mean_validation, arm.mean]), flush=True)
        arms[rate] = arm
    chosen = max(arms, key=lambda rate: arms[rate].mean_validation)
    print(f"\nChosen by mean validation accuracy: {chosen:g}.")
    return chosen, arms[chosen]


def label_curve(recipe_name: str, seeds: list[int], counts: list[int], rate: float, scratch_reference: Arm,
                runs_dir: str) -> dict[int, dict[str, Arm]]:
    """Fine-tuned and scratch test accuracy at each count of labels per class, each row printed as it finishes.
    Scratch at REFERENCE_LABELS was already run by the rate search, so it is reused rather than trained again."""
    print(f"\n{recipe_name}, seeds {', '.join(map(str, seeds))}: test accuracy\n")
    print("\n".join(markdown_table(["labels per class", "arm", *(f"seed {seed}" for seed in seeds), "mean"], [])))
    curve = {}
    for count in counts:
        fine_tuned = run_arm("fine-tuned", recipe_name, {"data.train_per_class": count}, seeds, runs_dir)
        print(markdown_row([count, fine_tuned.name, *fine_tuned.test, fine_tuned.mean]), flush=True)
        if count == REFERENCE_LABELS:
            scratch = scratch_reference
        else:
            overrides = {**SCRATCH, "optimizer.learning_rate": rate, "data.train_per_class": count}
            scratch = run_arm(f"scratch, learning rate {rate:g}", recipe_name, overrides, seeds, runs_dir)
        print(markdown_row([count, scratch.name, *scratch.test, scratch.mean]), flush=True)
        curve[count] = {"fine-tuned": fine_tuned, "scratch": scratch}
    return curve


def labels_saved(curve: dict[int, dict[str, Arm]]) -> tuple[int | None, float]:
    """The fewest labels per class at which fine-tuning's mean test accuracy reaches scratch's at REFERENCE_LABELS,
    and that count over REFERENCE_LABELS (infinite when no count on the curve reaches it)."""
    reference = curve[REFERENCE_LABELS]["scratch"].mean
    enough = [count for count in sorted(curve) if curve[count]["fine-tuned"].mean >= reference]
    if not enough:
        return None, math.inf
    return enough[0], enough[0] / REFERENCE_LABELS


def epochs_saved(fine_tuned: Arm, scratch: Arm, seeds: list[int]) -> tuple[list[str], float]:
    """Per seed, a line on the epochs and seconds each arm takes to reach the validation accuracy scratch ends with;
    and the worst (largest) ratio of fine-tuning's epochs to scratch's over the seeds (infinite if one never does)."""
    lines, ratios = [], []
    for seed, reached, mine, theirs in zip(seeds, scratch.validation, fine_tuned.histories, scratch.histories,
                                          strict=True):
        # Scratch's final weights are those of one of its epochs, so it reaches its own final value; the small
        # margin keeps the comparison exact whatever rounding the logged and the final figures went through.
        bound = {"accuracy": reached - 1e-9}
        own, fine = time_to_target(theirs, bound)["accuracy"], time_to_target(mine, bound)["accuracy"]
        if fine["epoch"] is None or own["epoch"] is None:
            ratio, fine_text = math.inf, "fine-tuned never"
        else:
            ratio = fine["epoch"] / own["epoch"]
            fine_text = f"fine-tuned at epoch {fine['epoch']} ({fine['seconds']:.1f} s): ratio {ratio:.3f}"
        ratios.append(ratio)
        own_text = f"epoch {own['epoch']} ({own['seconds']:.1f} s)" if own["epoch"] else "never"
        lines.append(f"seed {seed}: validation accuracy {reached:.4f} reached by scratch at {own_text}, {fine_text}")
    return lines, max(ratios)


def goal_lines(recipe_name: str, measured: dict[str, float]) -> tuple[list[str], bool]:
    """One line per goal of the recipe, saying whether it was met and, if not, by how much it was missed."""
    lines, met = [], True
    for name, bound in GOALS.get(recipe_name, {}).items():
        value = measured[name]
        if value <= bound:
            lines.append(f"Goal {name} <= {bound:.3f}: met ({value:.3f}).")
        else:
            met = False
            lines.append(f"Goal {name} <= {bound:.3f}: MISSED ({value:.3f}, over by {value - bound:.3f}).")
    if not lines:
        lines.append("No goal for this recipe: reported only.")
    return lines, met


def study(recipe_name: str, seeds: list[int], counts: list[int], runs_dir: str, kept: dict | None = None) -> bool:
    """Print one recipe's rate search, label curve and savings; False when it misses a goal. `kept` receives its
    label curve as a table and its conclusions as lines, for the results file."""
    rate, scratch_reference = choose_scratch_rate(recipe_name, seeds, runs_dir)
    curve = label_curve(recipe_name, seeds, counts, rate, scratch_reference, runs_dir)
    svm = svm_arm(recipe_name, seeds)
    print(markdown_row([load_recipe(recipe_name).data.train_per_class, svm.name, *svm.test, svm.mean]), flush=True)

    reference = curve[REFERENCE_LABELS]["scratch"].mean
    enough, labels_ratio = labels_saved(curve)
    print(f"\nLabels: scratch reaches {reference:.4f} on average with {REFERENCE_LABELS} labels per class; "
          + (f"fine-tuning reaches it with {enough} ({curve[enough]['fine-tuned'].mean:.4f}): "
             f"labels ratio {labels_ratio:.3f}." if enough else "fine-tuning does not at any count on the curve."))
    lines, epochs_ratio = epochs_saved(curve[REFERENCE_LABELS]["fine-tuned"], scratch_reference, seeds)
    print(f"Epochs, {REFERENCE_LABELS} labels per class, to the validation accuracy scratch ends with:")
    print("\n".join(f"- {line}" for line in lines))
    print(f"Worst epochs ratio over the seeds: {epochs_ratio:.3f}.\n")
    goals, met = goal_lines(recipe_name, {"labels ratio": labels_ratio, "epochs ratio": epochs_ratio})
    print("\n".join(goals), flush=True)
    if kept is not None:
        rows = [[count, arm.name, *arm.test, arm.mean] for count in sorted(curve) for arm in curve[count].values()]
        rows.append([load_recipe(recipe_name).data.train_per_class, svm.name, *svm.test, svm.mean])
        header = ["labels per class", "arm", *(f"seed {seed}" for seed in seeds), "mean"]
        kept["tables"].append(results_file.table(f"{recipe_name}: test accuracy", header, rows))
        kept["lines"] += [f"{recipe_name}: scratch's learning rate {rate:g}, chosen by mean validation accuracy at "
                          f"{REFERENCE_LABELS} labels per class; labels ratio {labels_ratio:.3f}; worst epochs ratio "
                          f"{epochs_ratio:.3f}.", *(f"{recipe_name}: {line}" for line in lines + goals)]
    return met


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transfer", description=__doc__.splitlines()[0])
    parser.add_argument("recipes", nargs="*", default=list(DEFAULT_RECIPES), help="fine-tuning recipes to study")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(DEFAULT_SEEDS), help="seeds of every arm")
    parser.add_argument("--labels", nargs="+", type=int, default=list(DEFAULT_LABELS),
                        help=f"labels per class on the curve ({REFERENCE_LABELS} is always added)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    # Both savings are measured against scratch at REFERENCE_LABELS, so the curve always holds that count.
    counts = sorted(set(arguments.labels) | {REFERENCE_LABELS})
    print(f"CPU: {describe_cpu()}")
    kept = {"tables": [], "lines": []}
    with tempfile.TemporaryDirectory() as runs_dir:
        met = [study(name, arguments.seeds, counts, runs_dir, kept) for name in arguments.recipes]
    results_file.save("transfer", argv, kept["tables"], kept["lines"])
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
