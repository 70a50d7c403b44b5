"""A benchmark's results as a JSON file in benchmarks/results/, with the machine, versions, date and command.

Each benchmark that prints a results table also keeps it here, as `benchmarks/results/<benchmark>.json`:

    {"benchmark": "pipeline", "command": "python -m benchmarks.pipeline", "date": "...", "cpu": "...",
     "versions": {...}, "tables": [{"caption": "...", "header": [...], "rows": [[...], ...]}],
     "lines": ["what the run concluded", ...], "figures": {...every measured value...}}

The tables hold the cells the benchmark printed, so the documentation's results pages (`python -m
benchmarks.pages`) show what a run measured and never a figure typed by hand. A run replaces the file.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from benchmarks.machine import describe_cpu
from common.files import write_text

RESULTS = Path(__file__).resolve().parent / "results"


def table(caption: str, header: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    """One printed table: its caption, its header and its rows of cells (strings or numbers)."""
    return {"caption": caption, "header": list(header), "rows": [list(row) for row in rows]}


def markdown(caption: str, lines: list[str]) -> dict[str, Any]:
    """A table the benchmark printed as Markdown lines already (a helper of the engine wrote it)."""
    return {"caption": caption, "markdown": list(lines)}


def save(benchmark: str, arguments: list[str], tables: list[dict[str, Any]], lines: list[str] | None = None,
         figures: Any = None, folder: Path = RESULTS) -> Path:
    """Write `benchmarks/results/<benchmark>.json` with the CPU and its flags, the package versions, today's date
    and the command that produced it; return its path."""
    from engine.run.plan import versions  # the engine's own list of versions, as env.json records them

    path = folder / f"{benchmark}.json"
    payload = {
        "benchmark": benchmark,
        "command": " ".join([f"python -m benchmarks.{benchmark}", *arguments]),
        "date": datetime.date.today().isoformat(),
        "cpu": describe_cpu(),
        "versions": versions(),
        "tables": tables,
        "lines": list(lines or []),
        "figures": figures,
    }
    folder.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(payload, indent=1, sort_keys=True, default=float) + "\n")
    print(f"Results kept in {path}", flush=True)
    return path


def load(benchmark: str, folder: Path = RESULTS) -> dict[str, Any] | None:
    """The results file of `benchmark`, or None when none has been written yet."""
    path = folder / f"{benchmark}.json"
    return json.loads(path.read_text()) if path.exists() else None
