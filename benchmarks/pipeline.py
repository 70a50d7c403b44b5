"""Does the input pipeline keep up? Batches per second of the pipeline alone against training steps.

    python -m benchmarks.pipeline [recipe ...]      # default: digits_cnn penguins_tabular

For each recipe, in the same process and on the same training pipeline (the recipe's own
batch size, shuffling and augmentation): first the pipeline is drained alone for several
epochs in one pass inside TensorFlow (`Dataset.repeat(epochs).reduce`: no Python loop per batch),
then `model.fit` runs the same number of epochs on it. One epoch of each is run
first and not timed (the cache fills, the training function is traced). The ratio is
pipeline batches per second over training steps per second; the pipeline keeps the model fed
when it is well above 1. Exit status 1 when a ratio is below 10.
"""

from __future__ import annotations

import sys
import time

from benchmarks import results_file
from common.text import markdown_table
from engine.recipe.loading import load_recipe
from engine.run.building import make_datasets
from engine.run.plan import build, plan_recipe

DEFAULT = ("digits_cnn", "penguins_tabular")
EPOCHS = 5
PIPELINE_BATCHES = 2000
REQUIRED_RATIO = 10.0


def drain(dataset, epochs: int) -> tuple[int, float]:
    started = time.perf_counter()
    batches = int(dataset.repeat(epochs).reduce(0, lambda count, _: count + 1))
    return batches, time.perf_counter() - started


def measure(name: str) -> dict:
    plan = build(plan_recipe(load_recipe(name)))
    train = make_datasets(plan.prepared, plan.global_batch, plan.recipe.seed)["train"]
    per_epoch, _ = drain(train, 1)
    # Enough epochs for a couple of thousand batches, so starting the pass is not what gets timed.
    batches, pipeline_seconds = drain(train, max(EPOCHS, -(-PIPELINE_BATCHES // per_epoch)))
    plan.model.fit(train, epochs=1, verbose=0)
    started = time.perf_counter()
    plan.model.fit(train, epochs=EPOCHS, verbose=0)
    training_seconds = time.perf_counter() - started
    pipeline_rate, training_rate = batches / pipeline_seconds, per_epoch * EPOCHS / training_seconds
    return {"recipe": name, "batch": plan.recipe.batch_size, "batches": per_epoch,
            "pipeline": pipeline_rate, "training": training_rate, "ratio": pipeline_rate / training_rate}


def main(names: list[str]) -> int:
    rows = [measure(name) for name in names or DEFAULT]
    header = ["recipe", "batch size", "pipeline alone, batches/s", "training, steps/s", "ratio"]
    cells = [[f"`{row['recipe']}`", row["batch"], f"{row['pipeline']:,.0f}", f"{row['training']:,.0f}",
              f"{row['ratio']:.1f}x"] for row in rows]
    print("\n".join(markdown_table(header, cells)))
    caption = "The pipeline alone against training on it"
    results_file.save("pipeline", names, [results_file.table(caption, header, cells)],
                      [f"Goal: the pipeline delivers at least {REQUIRED_RATIO:g} times the batches training consumes."],
                      rows)
    return 0 if all(row["ratio"] >= REQUIRED_RATIO for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
