"""Transfer study: a fine-tuning recipe against the same network from scratch and an RBF SVM.

    python -m benchmarks.transfer [recipe ...]     # default: mnist1d59_finetune mnist1d_selfsupervised_finetune
                                                   #          digits59_finetune

For each fine-tuning recipe (a pretrained zoo source, few labels per class), over seeds 1, 2, 3 and
so the same labelled samples in every arm:

- fine-tuned: the recipe as it is (all layers train, on a fresh head);
- frozen first: the backbone frozen for the first tenth of the epochs, then everything at the recipe's
  learning rate (batch normalization stays frozen);
- scratch: the same network and epochs with fresh weights, at its own learning rate, chosen from
  `SCRATCH_RATES` by mean validation accuracy;
- RBF SVM: scikit-learn's default SVC on the same labelled samples (flattened).

It then measures the two things transfer is said to save: labels (the fewest labels per class at which
fine-tuning matches scratch's mean test accuracy) and training time (the epochs and seconds fine-tuning
takes to reach the validation accuracy scratch ends with, beside the time scratch takes). A recipe with
a goal in `GOALS` makes the command exit 1 when fine-tuning beats scratch or the SVM by fewer points
on average.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.svm import SVC

from benchmarks.machine import describe_cpu
from common.text import markdown_row, markdown_table
from engine.recipe.loading import load_recipe
from engine.recipe.overrides import apply_overrides
from engine.recipe.resolve import resolve
from engine.report.time_to_target import time_to_target
from engine.run.building import prepare_data
from engine.run.training import run_recipe

SEEDS = (1, 2, 3)
SCRATCH_RATES = (3e-4, 1e-3, 3e-3)
# Points of test accuracy the fine-tuned arm must gain over both scratch and the SVM.
GOALS = {"mnist1d59_finetune": 10.0, "mnist1d_selfsupervised_finetune": 5.0}
FEWER_LABELS = {"mnist1d59_finetune": (2, 5), "mnist1d_selfsupervised_finetune": (5,), "digits59_finetune": ()}
DEFAULT = ("mnist1d59_finetune", "mnist1d_selfsupervised_finetune", "digits59_finetune")


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


def run_arm(name: str, recipe_name: str, overrides: dict, runs_dir: str) -> Arm:
    arm = Arm(name)
    for seed in SEEDS:
        recipe = apply_overrides(load_recipe(recipe_name), {**overrides, "seed": seed})
        result = run_recipe(recipe, runs_dir=runs_dir, console=lambda line: None, verbose=0)
        arm.test.append(result.metrics["test"]["accuracy"])
        arm.validation.append(result.metrics["validation"]["accuracy"])
        with open(Path(result.folder) / "history.csv", newline="") as file:
            arm.histories.append(list(csv.DictReader(file)))
    return arm


def svm_arm(recipe_name: str) -> Arm:
    """scikit-learn's RBF SVM on exactly the labelled training samples each seed's run gets."""
    arm = Arm("RBF SVM")
    for seed in SEEDS:
        prepared = prepare_data(resolve(apply_overrides(load_recipe(recipe_name), {"seed": seed})))
        (train_x, train_y), (test_x, test_y) = prepared.splits["train"], prepared.splits["test"]
        model = SVC(kernel="rbf").fit(train_x.reshape(len(train_x), -1), train_y)
        arm.test.append(float(np.mean(model.predict(test_x.reshape(len(test_x), -1)) == test_y)))
    return arm


def arms_of(recipe_name: str, runs_dir: str) -> tuple[list[Arm], Arm]:
    """Every arm of the study, printed as it finishes; and the scratch arm at its chosen rate."""
    recipe = load_recipe(recipe_name)
    frozen_epochs = max(1, recipe.epochs // 10)
    rate = recipe.optimizer["learning_rate"]
    arms = [run_arm("fine-tuned", recipe_name, {}, runs_dir),
            run_arm(f"frozen for {frozen_epochs} epochs, then fine-tuned", recipe_name, {
                "model.freeze_backbone": True, "epochs": frozen_epochs,
                "fine_tune": {"epochs": recipe.epochs - frozen_epochs, "learning_rate": rate}}, runs_dir)]
    for arm in arms:
        print(markdown_row([recipe.data.train_per_class, arm.name, *arm.test, arm.mean]), flush=True)
    scratch = [run_arm(f"scratch, learning rate {rate:g}", recipe_name, {
        "model.pretrained": False, "model.freeze_backbone": False, "fine_tune": {},
        "optimizer.learning_rate": rate}, runs_dir) for rate in SCRATCH_RATES]
    for arm in scratch:
        print(markdown_row([recipe.data.train_per_class, arm.name, *arm.test, arm.mean]), flush=True)
    chosen = max(scratch, key=lambda arm: np.mean(arm.validation))
    svm = svm_arm(recipe_name)
    print(markdown_row([recipe.data.train_per_class, svm.name, *svm.test, svm.mean]), flush=True)
    return [*arms, chosen, svm], chosen


def fewer_labels(recipe_name: str, scratch: Arm, runs_dir: str) -> str:
    """Fine-tuning with fewer labels per class, until it matches scratch's mean test accuracy."""
    counts = FEWER_LABELS.get(recipe_name, ())
    for count in counts:
        arm = run_arm("fine-tuned", recipe_name, {"data.train_per_class": count}, runs_dir)
        print(markdown_row([count, arm.name, *arm.test, arm.mean]), flush=True)
        if arm.mean >= scratch.mean:
            return f"fine-tuning with {count} labels per class matches scratch ({arm.mean:.4f} >= {scratch.mean:.4f})"
    tried = ", ".join(str(count) for count in counts) or "none tried"
    return f"fine-tuning with fewer labels per class ({tried}) stays below scratch's {scratch.mean:.4f}"


def time_saved(fine_tuned: Arm, scratch: Arm) -> list[str]:
    """Per seed: epochs and seconds until validation accuracy reaches the value scratch ends with."""
    lines = []
    for seed, reached, mine, theirs in zip(SEEDS, scratch.validation, fine_tuned.histories, scratch.histories,
                                          strict=True):
        bound = {"accuracy": reached - 1e-9}  # scratch's final weights are those of its best epoch
        own, fine = time_to_target(theirs, bound)["accuracy"], time_to_target(mine, bound)["accuracy"]
        fine_text = (f"fine-tuned at epoch {fine['epoch']} ({fine['seconds']:.1f} s)" if fine["epoch"]
                     else "fine-tuned never")
        lines.append(f"seed {seed}: validation accuracy {reached:.4f} reached by scratch at epoch {own['epoch']} "
                     f"({own['seconds']:.1f} s), {fine_text}")
    return lines


def study(recipe_name: str, runs_dir: str) -> bool:
    """Print one recipe's table and findings; False when it misses its goal."""
    print(f"\n{recipe_name}, seeds {', '.join(map(str, SEEDS))}: test accuracy\n")
    print("\n".join(markdown_table(["labels per class", "arm", *(f"seed {seed}" for seed in SEEDS), "mean"], [])))
    arms, scratch = arms_of(recipe_name, runs_dir)
    labels = fewer_labels(recipe_name, scratch, runs_dir)
    gain, over_svm = 100 * (arms[0].mean - scratch.mean), 100 * (arms[0].mean - arms[-1].mean)
    goal = GOALS.get(recipe_name)
    print(f"\nScratch's learning rate, chosen by mean validation accuracy: {scratch.name.rpartition(' ')[2]}.")
    print(f"Fine-tuned minus scratch: {gain:+.2f} points" + (f" (goal >= {goal:+.0f})" if goal else "")
          + f"; minus the SVM: {over_svm:+.2f} points.")
    print(f"Labels: {labels}.")
    print("Training time to scratch's final validation accuracy:")
    print("\n".join(f"- {line}" for line in time_saved(arms[0], scratch)), flush=True)
    return goal is None or min(gain, over_svm) >= goal


def main(names: list[str]) -> int:
    print(f"CPU: {describe_cpu()}")
    with tempfile.TemporaryDirectory() as runs_dir:
        met = [study(name, runs_dir) for name in names or DEFAULT]
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
