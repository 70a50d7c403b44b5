"""The spread of each catalog recipe's headline figure over seeds and numeric paths, and the bounds it allows.

    python -m benchmarks.spread [--budget test|full] [--seeds 42 1 2] [--paths native no_onednn avx2]
                                [--output FILE] [recipe ...]

Each (recipe, seed, path) is one `python -m engine recipe NAME seed=S ...` in a fresh process under that
numeric path (benchmarks.numeric_paths). `--budget test` (the default) trains on the settings `make test`
uses (a recipe's `test_budget` overrides, or its full settings when it has none); `--budget full` on the
recipe's own. Writes every figure, with the CPU, its flags and the versions, to a JSON file
(`benchmarks/results/spread-<budget>.json` by default; `tests/recipes/test_bounds.py` reads the committed
test-budget file) and prints, per recipe and metric, the worst, mean and best figure, the bound in force
and the highest bound the spread allows (the worst less the margin of MARGINS).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import describe_cpu
from benchmarks.numeric_paths import PATHS, environment
from common.text import markdown_table
from engine.recipe.loading import catalog_names, catalog_test_budget, load_recipe
from engine.run.plan import versions

RESULTS = Path(__file__).resolve().parent / "results"

# The margin below the worst measured figure that a bound keeps, by metric: a fraction of the metric's
# scale. Accuracies and scores in [0, 1] keep 0.02; a mean return keeps 10% of the span between the worst
# figure and the random policy's return on the same episodes (kept as the spread's `baseline`).
MARGIN_SCORE = 0.02
MARGIN_RETURN_FRACTION = 0.10


def allowed_bound(metric: str, figures: list[float], baseline: float | None = None) -> float:
    """The highest bound the measured figures allow: the worst less the margin, rounded down to 2 decimals
    (to a whole number for a return)."""
    worst = min(figures)
    if metric == "mean_return":
        span = abs(worst - baseline) if baseline is not None else abs(worst)
        return float(math.floor(worst - MARGIN_RETURN_FRACTION * span))
    return math.floor((worst - MARGIN_SCORE) * 100) / 100


def budget_of(name: str, budget: str) -> tuple[list[str], dict[str, float]]:
    """The command-line overrides and the targets of `name` on `budget`."""
    recipe = load_recipe(name)
    short = catalog_test_budget(name) if budget == "test" else None
    if short is None:
        return [], dict(recipe.targets)
    return [f"{key}={json.dumps(value)}" for key, value in short["overrides"].items()], dict(short["targets"])


def held_figures(name: str, runs: list[dict], metric: str) -> list[float]:
    """The figures a bound of `name` is held against: each run's, or, for a test budget that holds the mean
    over its `seeds`, that mean on each numeric path (only paths where every one of those seeds ran)."""
    short = catalog_test_budget(name) or {}
    if "seeds" not in short:
        return [run["test"][metric] for run in runs]
    means = []
    for path in sorted({run["path"] for run in runs}):
        by_seed = {run["seed"]: run["test"][metric] for run in runs if run["path"] == path}
        if all(seed in by_seed for seed in short["seeds"]):
            means.append(sum(by_seed[seed] for seed in short["seeds"]) / len(short["seeds"]))
    return means


def run_one(name: str, overrides: list[str], seed: int, path: str, runs_dir: Path) -> dict:
    """One run in a fresh process under numeric path `path`: its test metrics and wall seconds."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "engine", "recipe", name, f"seed={seed}", *overrides, "--runs-dir", str(runs_dir)]
    result = subprocess.run(command, capture_output=True, text=True, env=environment(path))  # noqa: S603
    wall = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
        return {"seed": seed, "path": path, "failed": True, "wall": wall}
    folder = sorted((runs_dir / name).iterdir())[-1]
    metrics = json.loads((folder / "metrics.json").read_text())
    entry = {"seed": seed, "path": path, "failed": False, "wall": round(wall, 1), "test": metrics["test"]}
    if "baseline" in metrics and "mean_return" in metrics["test"]:
        entry["baseline"] = metrics["baseline"]["test"]["mean_return"]
    return entry


def summary_rows(results: dict) -> list[list]:
    rows = []
    for name, entry in results["recipes"].items():
        for metric, bound in entry["targets"].items():
            runs = [run for run in entry["runs"] if not run["failed"]]
            figures = [run["test"][metric] for run in runs]
            failed = len(entry["runs"]) - len(runs)
            if not figures:
                rows.append([f"`{name}`", metric, "", "", "", "", bound, "", f"{failed} failed"])
                continue
            baselines = [run["baseline"] for run in runs if "baseline" in run]
            baseline = max(baselines) if baselines else None
            worst_run = min(runs, key=lambda run: run["test"][metric])
            held = held_figures(name, runs, metric)
            shown = ", ".join(f"{figure:.1f}" for figure in held)
            note = "" if held == figures else f"; held as the mean over seeds per path: {shown}"
            rows.append([f"`{name}`", metric, min(figures), sum(figures) / len(figures), max(figures),
                         f"seed {worst_run['seed']}, {worst_run['path']}", bound,
                         allowed_bound(metric, held, baseline) if held else "", f"{len(figures)} runs" + (
                             f", {failed} failed" if failed else "") + note])
    return rows


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spread")
    parser.add_argument("recipes", nargs="*")
    parser.add_argument("--budget", choices=("test", "full"), default="test")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS))
    parser.add_argument("--output", type=Path)
    options = parser.parse_args(arguments)
    output = options.output or RESULTS / f"spread-{options.budget}.json"
    results = json.loads(output.read_text()) if output.exists() else {"recipes": {}}
    results.update({"cpu": describe_cpu(), "versions": versions(), "budget": options.budget,
                    "date": datetime.date.today().isoformat(),
                    "command": "python -m benchmarks.spread " + " ".join(arguments)})
    names = options.recipes or catalog_names()
    with tempfile.TemporaryDirectory() as runs_dir:
        for name in names:
            overrides, targets = budget_of(name, options.budget)
            runs = []
            for path in options.paths:
                for seed in options.seeds:
                    run = run_one(name, overrides, seed, path, Path(runs_dir))
                    runs.append(run)
                    shown = {metric: run.get("test", {}).get(metric) for metric in targets}
                    print(f"{name} seed {seed} {path}: {shown} ({run['wall']:.0f} s)", file=sys.stderr, flush=True)
            # Runs of the same settings measured before on other seeds or paths are kept beside the new ones.
            before = results["recipes"].get(name, {})
            measured = {(run["seed"], run["path"]) for run in runs}
            kept = [run for run in before.get("runs", [])
                    if before.get("overrides") == overrides and (run["seed"], run["path"]) not in measured]
            results["recipes"][name] = {"overrides": overrides, "targets": targets, "runs": kept + runs}
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    print(f"{results['cpu']}; {results['versions']}")
    header = ["recipe", "metric", "worst", "mean", "best", "worst run", "bound", "allowed bound", "runs"]
    print("\n".join(markdown_table(header, summary_rows(results))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
