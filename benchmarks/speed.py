"""What each speed setting does on this machine: precision, XLA and steps per execution against float32.

    python -m benchmarks.speed [recipe] [--epochs N]      # in make bench; default digits_cnn, 15 epochs

The recipe trains once per setting, in this process, one after the other: float32 with one step per
execution (`speed="off"`, the baseline), then the recipe as a user runs it (`speed="auto"`, what it chose
beside it), `precision=mixed_float16`, `precision=mixed_bfloat16`,
`jit_compile=true` and `steps_per_execution=8`. Steady-state seconds per epoch are the median period
from one epoch's start to the next over epochs 2 to N (benchmarks.overhead's clock); each setting's
ratio is against the baseline of the same run. Test accuracy shows what the setting costs in quality.
The CPU's name and its AVX-512 / BF16 / AMX flags are printed beside the table: 16-bit arithmetic is
fast only where the hardware has it, so these figures hold for this CPU and no other.

Exit status 1 when a setting did not take effect (the compiled model's dtype policy or XLA flag is
not what was asked for).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from benchmarks import results_file
from benchmarks.clock import BUILT, EngineClock, steady
from benchmarks.machine import describe_cpu
from common.text import markdown_table
from engine.recipe.loading import load_recipe
from engine.run.training import run_recipe

# Each setting alone: the other speed fields as speed="off" leaves them (float32, one step per execution).
SETTINGS = {
    "float32 (baseline)": {"speed": "off"},
    "speed=auto (the default)": {},
    "precision=mixed_float16": {"speed": "off", "precision": "mixed_float16"},
    "precision=mixed_bfloat16": {"speed": "off", "precision": "mixed_bfloat16"},
    "jit_compile=true": {"speed": "off", "jit_compile": True},
    "steps_per_execution=8": {"speed": "off", "steps_per_execution": 8},
}


def measure(name: str, epochs: int, changes: dict, runs: str) -> dict:
    recipe = load_recipe(name)
    recipe = dataclasses.replace(recipe, epochs=epochs, callbacks=[EngineClock, *recipe.callbacks], **changes)
    result = run_recipe(recipe, runs_dir=runs, console=lambda line: None, verbose=0)
    used = json.loads((Path(result.folder) / "env.json").read_text())["speed"]
    asked = recipe.precision or used["precision"]  # unset: what speed="auto" chose, recorded beside it
    took = (used["precision"] == asked and used["dtype_policy"] == asked
            and (recipe.jit_compile is not True or used["jit_compile"])
            and used["steps_per_execution"] == (recipe.steps_per_execution or used["steps_per_execution"]))
    return {"seconds": steady(BUILT[-1].periods()), "test": result.metrics["test"], "used": used,
            "took_effect": took}


def _chosen(used: dict) -> str:
    auto = used.get("auto", {})
    return f"{auto['chosen']} ({auto['chosen_by']})" if auto.get("mode") == "auto" and "chosen" in auto else ""


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.splitlines()[0])
    parser.add_argument("recipe", nargs="?", default="digits_cnn")
    parser.add_argument("--epochs", type=int, default=15)
    options = parser.parse_args(arguments)
    with tempfile.TemporaryDirectory() as runs:
        rows = {label: measure(options.recipe, options.epochs, changes, runs) for label, changes in SETTINGS.items()}
    base = rows["float32 (baseline)"]["seconds"]
    metric = next(key for key in rows["float32 (baseline)"]["test"] if key != "loss")
    print(f"CPU: {describe_cpu()}; recipe {options.recipe}, {options.epochs} epochs\n")
    cells = [[label, f"{row['seconds']:.4f}", f"{row['seconds'] / base:.2f}x", f"{row['test'][metric]:.4f}",
              "yes" if row["took_effect"] else "NO", _chosen(row["used"])] for label, row in rows.items()]
    header = ["setting", "s/epoch", "time vs float32", f"test {metric}", "took effect", "speed=auto's choice"]
    print("\n".join(markdown_table(header, cells)))
    results_file.save("speed", arguments, [results_file.table(f"{options.recipe}, {options.epochs} epochs per setting",
                                                              header, cells)], figures=rows)
    return 0 if all(row["took_effect"] for row in rows.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
