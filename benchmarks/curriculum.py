"""Curriculum learning on MNIST-1D: the recipe's curriculum against its controls, on clean and noisy labels.

    python -m benchmarks.curriculum

For each of seeds 1, 2 and 3, on clean labels and with 40% of the training labels flipped (symmetric noise,
training split only), `mnist1d_curriculum` runs as:

- standard: no curriculum (every epoch a shuffled pass over the whole training split);
- curriculum: the recipe's (cross-fitted teacher loss, linear pace from the easiest 20% to the easiest 55% at
  mid-training, then kept there);
- random order, same pace; and anti-curriculum (hardest first), same pace: the issue's controls;
- the issue's plain curriculum (linear from 20% to all of it at mid-training);
- a short budget of 6 epochs: standard and the recipe's curriculum, both cut to it (Wu, Dyer & Neyshabur
  2021 report that curricula help most when the budget is short).

Every arm has the same network, optimizer, epochs (per budget), batch and early stopping on the same clean
validation split restoring the best weights: checked before anything runs, and the command exits 1 if the
arms differ in anything but the curriculum. The teachers are trained once per seed and condition (in the
curriculum arm); the other arms that need scores read that arm's `difficulty.npy`, which is what their own
teachers would compute (same seed, data and settings). It prints each arm's test accuracy per seed, its mean,
its gain over standard, and whether some curriculum beat standard by the goal of 2 points on average.
"""

from __future__ import annotations

import shutil
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
from engine.run.training import run_recipe

RECIPE = "mnist1d_curriculum"
SEEDS = (1, 2, 3)
CONDITIONS = {"clean labels": 0.0, "40% noisy labels": 0.4}
SHORT_EPOCHS = 6
GOAL_POINTS = 2.0
# Arm name -> (changes to the recipe's curriculum, or None for no curriculum; epochs, or None for the recipe's).
ARMS = {
    "standard": (None, None),
    "curriculum (recipe)": ({}, None),
    "random order, same pace": ({"order": "random"}, None),
    "anti-curriculum, same pace": ({"order": "anti"}, None),
    "curriculum, plain pace to 100%": ({"end_fraction": 1.0}, None),
    f"standard, {SHORT_EPOCHS} epochs": (None, SHORT_EPOCHS),
    f"curriculum (recipe), {SHORT_EPOCHS} epochs": ({}, SHORT_EPOCHS),
}


def arm_recipe(arm: str, seed: int, noise: float, scores: Path | None = None):
    """The resolved recipe of one arm; `scores` replaces the teachers by the scores they gave in an earlier arm."""
    changes, epochs = ARMS[arm]
    base = load_recipe(RECIPE)
    overrides = {"seed": seed, "data.label_noise": noise}
    if epochs is not None:
        overrides["epochs"] = epochs
    if changes is None:
        overrides["curriculum"] = {}
    else:
        overrides["curriculum"] = {**base.curriculum, **changes,
                                   **({"difficulty": str(scores)} if scores is not None else {})}
    return resolve(apply_overrides(base, overrides))


def check_equal_care() -> None:
    """Arms of one budget differ only in their curriculum, and all stop early on a clean validation split."""
    for seed in SEEDS:
        for noise in CONDITIONS.values():
            by_budget: dict[int, list[dict]] = {}
            for arm in ARMS:
                config = arm_recipe(arm, seed, noise).to_dict()
                config.pop("curriculum")
                by_budget.setdefault(config["epochs"], []).append(config)
                stops = [callback for callback in config["callbacks"] if callback.get("name") == "EarlyStopping"]
                if not config["data"]["validation_split"] or not stops or not stops[0].get("restore_best_weights"):
                    print(f"{arm}: no early stopping on a validation split restoring the best weights; "
                          "the arms were not run with equal care.")
                    raise SystemExit(1)
            for configs in by_budget.values():
                if any(config != configs[0] for config in configs):
                    print("The arms of one budget differ in more than the curriculum; not a fair comparison.")
                    raise SystemExit(1)


def run_condition(noise: float, seed: int, runs_dir: str, scores_dir: Path) -> dict[str, float]:
    """Every arm's test accuracy for one seed and condition."""
    accuracy, scores = {}, None
    for arm in ARMS:
        needs_scores = ARMS[arm][0] is not None and ARMS[arm][0].get("order") != "random"
        recipe = arm_recipe(arm, seed, noise, scores if needs_scores else None)
        result = run_recipe(recipe, runs_dir=runs_dir, console=lambda line: None, verbose=0)
        accuracy[arm] = result.metrics["test"]["accuracy"]
        if needs_scores and scores is None:
            scores = scores_dir / f"scores-{seed}-{noise}.npy"
            shutil.copy(Path(result.folder) / "difficulty.npy", scores)
    return accuracy


def main() -> int:
    print(f"CPU: {describe_cpu()}")
    check_equal_care()
    started = time.perf_counter()
    results: dict[str, dict[str, list[float]]] = {name: {arm: [] for arm in ARMS} for name in CONDITIONS}
    with tempfile.TemporaryDirectory() as runs_dir:
        for name, noise in CONDITIONS.items():
            for seed in SEEDS:
                for arm, value in run_condition(noise, seed, runs_dir, Path(runs_dir)).items():
                    results[name][arm].append(value)
                print(f"{name}, seed {seed}: " + ", ".join(f"{arm} {values[-1]:.4f}"
                                                           for arm, values in results[name].items()), flush=True)
    met, tables = [], []
    for name, arms in results.items():
        caption = f"{RECIPE}, {name}, seeds {', '.join(map(str, SEEDS))}: test accuracy"
        print(f"\n{caption}\n")
        rows = []
        for arm, values in arms.items():
            standard = "standard" if ARMS[arm][1] is None else f"standard, {SHORT_EPOCHS} epochs"
            gain = 100 * (np.mean(values) - np.mean(arms[standard]))
            rows.append([arm, *values, float(np.mean(values)), "" if arm == standard else f"{gain:+.2f}"])
            if ARMS[arm][0] is not None and ARMS[arm][0].get("order") is None and gain >= GOAL_POINTS:
                met.append(f"{arm} on {name} ({gain:+.2f} points)")
        header = ["arm", *(f"seed {seed}" for seed in SEEDS), "mean", "minus standard of its budget (points)"]
        print("\n".join(markdown_table(header, rows)))
        tables.append(results_file.table(caption, header, rows))
    print(f"\nWall time: {time.perf_counter() - started:.0f} s")
    goal = (f"Goal (a curriculum >= {GOAL_POINTS:.0f} points over the early-stopped standard arm, mean of 3 seeds): "
            + (f"met by {'; '.join(met)}." if met else "NOT met by any setting tried."))
    print(goal)
    results_file.save("curriculum", [], tables, [goal], results)
    print("Mind the cost: a budget counts the student's epochs only. The teachers of a curriculum arm (2, each up to "
          f"{load_recipe(RECIPE).epochs} epochs on half the training split) come on top, so at the short budget "
          "the curriculum arm used more compute than its standard arm.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
