"""How long the commands that train nothing take, beside `python -c pass` and an import of TensorFlow.

    python -m benchmarks.cli [REPEATS]

Each command runs as a user runs it, `python -m engine ...` in a fresh process, REPEATS times (default 5);
the median wall time is printed with the machine, and kept in benchmarks/results/cli.json. The goal is under
1 s for each; a command that imports TensorFlow cannot meet it on a 2-core machine, and the table says which do.
Exits 1 when a command misses the goal.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import results_file
from benchmarks.machine import describe_cpu
from common.text import markdown_table

GOAL_SECONDS = 1.0
ROOT = Path(__file__).resolve().parents[1]


def commands(scratch: Path) -> list[tuple[str, list[str]]]:
    """(what a user types, the argv after `python`) for each command that trains nothing."""
    engine = ["-m", "engine"]
    return [
        ("python -c pass (the floor)", ["-c", "pass"]),
        ("python -c 'import tensorflow' (for scale)", ["-c", "import tensorflow"]),
        ("make recipe ... --help", [*engine, "recipe", "--help"]),
        ("a misspelt override (epocs=5)", [*engine, "recipe", "digits_cnn", "epocs=5", "--runs-dir", str(scratch)]),
        ("a nested key typed bare (total_steps=5)", [*engine, "recipe", "cartpole_ppo", "total_steps=5",
                                                     "--runs-dir", str(scratch)]),
        ("an unknown recipe name", [*engine, "recipe", "digits_cnnn", "--runs-dir", str(scratch)]),
        ("make compare, no runs yet", [*engine, "compare", "digits_cnn", "--runs-dir", str(scratch)]),
        ("make list", [*engine, "list"]),
        ("make show NAME=digits_cnn", [*engine, "show", "digits_cnn"]),
    ]


def median_seconds(argv: list[str], repeats: int) -> tuple[float, bool]:
    """The median wall time of `python argv` over `repeats` fresh processes, and whether it imported TensorFlow."""
    probe = ("import runpy, sys, atexit\nflag = sys.argv[1]\n"
             "atexit.register(lambda: open(flag, 'w').write(str('tensorflow' in sys.modules)))\n")
    walls = []
    with tempfile.TemporaryDirectory() as folder:
        flag = Path(folder) / "imported"
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=300,  # noqa: S603
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
            walls.append(time.perf_counter() - started)
        wrapped = [sys.executable, "-c", probe + _runner(argv), str(flag)]
        subprocess.run(wrapped, cwd=ROOT, capture_output=True, text=True, timeout=300,  # noqa: S603 - our own commands
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        imported = flag.exists() and flag.read_text() == "True"
    return statistics.median(walls), imported


def _runner(argv: list[str]) -> str:
    """The same command run inside the probe, so that it can tell whether TensorFlow was imported."""
    if argv[0] == "-c":
        return f"exec({argv[1]!r})\n"
    return f"sys.argv = [{argv[1]!r}, *{argv[2:]!r}]\ntry:\n runpy.run_module({argv[1]!r}, run_name='__main__')\n" \
           "except SystemExit:\n pass\n"


def main(arguments: list[str]) -> int:
    repeats = int(arguments[0]) if arguments else 5
    rows, missed = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for what, argv in commands(Path(scratch) / "runs"):
            seconds, imported = median_seconds(argv, repeats)
            judged = what.startswith("python -c")
            rows.append([what, f"{seconds:.2f}", "yes" if imported else "no",
                         "" if judged else ("met" if seconds < GOAL_SECONDS else "missed")])
            if not judged and seconds >= GOAL_SECONDS:
                missed.append(what)
    print(f"Machine: {describe_cpu()}; median of {repeats} fresh processes each")
    header = ["command", "median s", "imports TensorFlow", f"goal < {GOAL_SECONDS:g} s"]
    print("\n".join(markdown_table(header, rows)))
    lines = [f"{what}: misses the goal of {GOAL_SECONDS:g} s" for what in missed]
    for line in lines:
        print(line)
    results_file.save("cli", arguments, [results_file.table("Commands that train nothing", header, rows)], lines,
                      figures={row[0]: float(row[1]) for row in rows})
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
