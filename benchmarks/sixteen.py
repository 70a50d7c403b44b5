"""Which zoo models keep their test metric in 16 bits: the catalog's recipes in bfloat16 against their float32 spread.

    python -m benchmarks.sixteen [recipe ...]      # in make bench

Each recipe (default: the catalog's supervised recipes whose runs take under a minute) runs with
`precision="mixed_bfloat16"` on the seeds its float32 figures in benchmarks/results/catalog.json came from,
on its full settings. Its model keeps its test metric when the bfloat16 mean differs from the float32 mean
by no more than the float32 seed spread (max less min): what one seed can give, not a change of arithmetic.
`speed="auto"` considers 16 bits only for the models listed in `engine.run.auto_speed.SIXTEEN_BIT_CHECKED`,
and a test holds that list to the models this benchmark kept. The same arithmetic runs on every CPU (without
AVX-512 BF16 or AMX, oneDNN emulates it, slower), so the verdict holds beyond this machine up to the last bits.
Exit status 1 when a listed model was not kept.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from benchmarks import results_file
from benchmarks.machine import describe_cpu
from common.text import markdown_table
from engine.recipe.loading import load_recipe
from engine.run.auto_speed import SIXTEEN_BIT_CHECKED
from engine.run.training import run_recipe

CATALOG = Path(__file__).resolve().parent / "results" / "catalog.json"
DEFAULT = ("breast_cancer_mlp", "digits_cnn", "mnist1d_cnn", "mnist1d_gru", "penguins_tabular", "wine_mlp")
PRECISION = "mixed_bfloat16"


def measure(name: str, float32: dict, runs: str) -> dict:
    recipe = load_recipe(name)
    metric = float32["metric"]
    seeds = list(range(1, len(float32["scores"]) + 1))  # benchmarks.catalog's seeds, in its order
    scores = []
    for seed in seeds:
        result = run_recipe(dataclasses.replace(recipe, seed=seed, precision=PRECISION), runs_dir=runs,
                            console=lambda line: None, verbose=0)
        scores.append(float(result.metrics["test"][metric]))
        print(f"{name} seed {seed}: {PRECISION} test {metric} {scores[-1]:.4f}", file=sys.stderr, flush=True)
    spread = max(float32["scores"]) - min(float32["scores"])
    mean = sum(scores) / len(scores)
    difference = mean - sum(float32["scores"]) / len(float32["scores"])
    return {"recipe": name, "model": recipe.model.name, "metric": metric, "seeds": seeds,
            "float32": float32["scores"], "sixteen": scores, "mean": mean, "difference": difference,
            "spread": spread, "kept": abs(difference) <= spread + 1e-9}


def main(arguments: list[str]) -> int:
    names = arguments or list(DEFAULT)
    catalog = json.loads(CATALOG.read_text())["recipes"]
    missing = [name for name in names if name not in catalog]
    if missing:
        print(f"No float32 figures for {', '.join(missing)} in {CATALOG.name}: run python -m benchmarks.catalog "
              f"{' '.join(missing)} first.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as runs:
        rows = [measure(name, catalog[name], runs) for name in names]
    header = ["recipe", "zoo model", "seeds", "float32 mean (min to max)", f"{PRECISION} mean (min to max)",
              "difference of means", "kept"]

    def shown(values: list[float]) -> str:
        return f"{sum(values) / len(values):.4f} ({min(values):.4f} to {max(values):.4f})"

    cells = [[row["recipe"], row["model"], str(len(row["seeds"])), shown(row["float32"]), shown(row["sixteen"]),
              f"{row['difference']:+.4f}", "yes" if row["kept"] else "no"] for row in rows]
    models: dict[str, bool] = {}
    for row in rows:
        models[row["model"]] = models.get(row["model"], True) and row["kept"]
    unkept = sorted(name for name in SIXTEEN_BIT_CHECKED if not models.get(name, False))
    lines = [f"Models that kept their test metric: {', '.join(sorted(n for n, ok in models.items() if ok)) or 'none'}.",
             f"Listed in SIXTEEN_BIT_CHECKED: {', '.join(sorted(SIXTEEN_BIT_CHECKED)) or 'none'}"
             + (f"; not kept here: {', '.join(unkept)}." if unkept else ".")]
    print(f"CPU: {describe_cpu()}\n")
    print("\n".join(markdown_table(header, cells)))
    print("\n".join(lines))
    results_file.save("sixteen", arguments, [results_file.table(
        f"Test metric in {PRECISION} against float32's seed spread (catalog.json)", header, cells)], lines,
        {"rows": rows, "kept": sorted(name for name, ok in models.items() if ok)})
    return 1 if unkept else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
