"""Reinforcement recipes on their full budgets: mean return, environment steps and wall time.

    python -m benchmarks.rl [recipe ...]      # default: every catalog recipe of kind "reinforcement"

Each recipe runs as a user runs it, `python -m engine recipe NAME` in a fresh process, timed from
start to exit. Prints a Markdown table in the manner of RL Baselines3 Zoo's benchmark.md (budget,
steps, wall time, mean return of 100 greedy test episodes and the random policy's on the same seeds),
and exits 1 when a recipe misses its target or takes longer than WALL_LIMIT seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import describe_cpu
from common.text import markdown_table
from engine.recipe.loading import catalog_names, load_recipe

# The goal: each CartPole agent solves it within 10 minutes of wall time on the 2-core machine.
WALL_LIMIT = 600.0


def reinforcement_recipes() -> list[str]:
    return [name for name in catalog_names() if load_recipe(name).kind == "reinforcement"]


def run(name: str, runs_dir: Path) -> dict:
    """One full run in a fresh process: its metrics.json and wall seconds."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "engine", "recipe", name, "--runs-dir", str(runs_dir)],  # noqa: S603
                            capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
        return {"failed": True, "wall": wall}
    folder = sorted((runs_dir / name).iterdir())[-1]
    return {"metrics": json.loads((folder / "metrics.json").read_text()), "wall": wall, "failed": False}


def main(names: list[str]) -> int:
    rows, met = [], True
    with tempfile.TemporaryDirectory() as runs_dir:
        for name in names or reinforcement_recipes():
            recipe = load_recipe(name)
            outcome = run(name, Path(runs_dir))
            target = recipe.targets["mean_return"]
            if outcome["failed"]:
                rows.append([f"`{name}`", recipe.environment.id, recipe.agent.algorithm, "failed", "", "", "", "",
                             f"{outcome['wall']:.0f}", f">= {target}"])
                met = False
                continue
            metrics = outcome["metrics"]
            test, baseline, cost = metrics["test"], metrics["baseline"]["test"], metrics["cost"]
            met &= test["mean_return"] >= target and outcome["wall"] <= WALL_LIMIT
            rows.append([f"`{name}`", recipe.environment.id, recipe.agent.algorithm, f"{recipe.agent.total_steps:,}",
                         f"{cost['environment_steps']:,}", f"{test['mean_return']:.1f} +- {test['std_return']:.1f}",
                         f"{baseline['mean_return']:.1f}", f"{cost['train_seconds']:.0f}", f"{outcome['wall']:.0f}",
                         f">= {target}"])
            print(f"{name}: mean return {test['mean_return']:.1f} (target {target}), wall {outcome['wall']:.0f} s",
                  file=sys.stderr, flush=True)
    header = ["recipe", "environment", "algorithm", "budget (steps)", "steps run", "test mean return (100 episodes)",
              "random policy", "train s", "wall s", "target"]
    print(f"Machine: {describe_cpu()}")
    print("\n".join(markdown_table(header, rows)))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
