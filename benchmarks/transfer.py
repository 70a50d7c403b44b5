"""Transfer study: digits59_finetune (from the digits04_cnn backbone) against the same network from scratch.

    python -m benchmarks.transfer [labels_per_class ...]     # default: 20

Both arms use the same seeds (1, 2, 3), hence the same splits and the same labelled training
images; scratch trains the architecture of the card for the same number of epochs at the same
learning rate. Prints a Markdown table of test accuracy per seed and the mean difference.
"""

from __future__ import annotations

import sys
import tempfile

from common.text import markdown_row, markdown_table
from engine.recipe.loading import load_recipe
from engine.recipe.overrides import apply_overrides
from engine.run.training import run_recipe

SEEDS = (1, 2, 3)
SCRATCH = {"model.pretrained": False, "model.freeze_backbone": False, "fine_tune": {}}
# The same 60-epoch budget in two phases: the head alone on the frozen backbone, then all layers slower.
FROZEN_FIRST = {"model.freeze_backbone": True, "epochs": 30, "fine_tune": {"epochs": 30, "learning_rate": 1e-4}}


def accuracies(overrides: dict, runs_dir: str) -> list[float]:
    scores = []
    for seed in SEEDS:
        recipe = apply_overrides(load_recipe("digits59_finetune"), {**overrides, "seed": seed})
        result = run_recipe(recipe, runs_dir=runs_dir, console=lambda line: None, verbose=0)
        scores.append(result.metrics["test"]["accuracy"])
    return scores


def main(per_class: list[int]) -> int:
    # The table is printed row by row: each row takes minutes of training.
    print("\n".join(markdown_table(["labels per class", "arm", *(f"seed {seed}" for seed in SEEDS), "mean"], [])))
    with tempfile.TemporaryDirectory() as runs_dir:
        for count in per_class:
            arms = {"fine-tuned": accuracies({"data.train_per_class": count}, runs_dir),
                    "fine-tuned, backbone frozen for the first 30 epochs":
                        accuracies({**FROZEN_FIRST, "data.train_per_class": count}, runs_dir),
                    "scratch": accuracies({**SCRATCH, "data.train_per_class": count}, runs_dir)}
            for arm, scores in arms.items():
                print(markdown_row([count, arm, *scores, sum(scores) / len(scores)]), flush=True)
            gain = (sum(arms["fine-tuned"]) - sum(arms["scratch"])) / len(SEEDS)
            print(markdown_row([count, "fine-tuned minus scratch", *[""] * len(SEEDS), f"{100 * gain:+.2f} points"]),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main([int(word) for word in sys.argv[1:]] or [20]))
