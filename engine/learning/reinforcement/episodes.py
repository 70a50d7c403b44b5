"""Episode bookkeeping every agent shares: one row per finished episode, history.csv and TensorBoard.

A row says the episode's number, the environment steps taken when it ended (all environments
together), its return and length, and what the agent reported at that moment (its last losses, its
exploration rate or entropy). Rows are written to history.csv and to TensorBoard (`logs/train`, each figure as
`episode_<name>_vs_environment_steps`, the axis in the tag) when the run backs up and when it ends, never in
between: the backup is the commit point, so a resumed run continues after the last row written and no episode
is counted twice.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas
import tensorflow as tf

from common.files import atomic_path
from engine.report.tensorboard_logs import write_scalars

# The columns every agent writes first; an agent's own figures follow.
COLUMNS = ("episode", "steps", "return", "length")
# Episodes in the moving average the console, the plot and the diagnosis read.
WINDOW = 20


class EpisodeLog:
    """Finished episodes in order, written to `folder`/history.csv and `folder`/logs/train on `commit`."""

    def __init__(self, folder: Path | None, rows: list[dict[str, Any]] | None = None):
        self.folder = folder
        self.rows: list[dict[str, Any]] = list(rows or [])
        self.written = len(self.rows)  # rows already on disk and in TensorBoard
        self._writer = None

    @property
    def count(self) -> int:
        return len(self.rows)

    def add(self, steps: int, episode_return: float, length: int, figures: dict[str, float]) -> None:
        self.rows.append({"episode": self.count + 1, "steps": int(steps), "return": float(episode_return),
                          "length": int(length), **{key: float(value) for key, value in figures.items()}})

    def recent_mean(self, window: int = WINDOW) -> float | None:
        returns = [row["return"] for row in self.rows[-window:]]
        return float(np.mean(returns)) if returns else None

    def commit(self) -> None:
        """Write history.csv whole and the new rows to TensorBoard, then flush."""
        if self.folder is None:
            return
        self.write(self.folder / "history.csv")
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.folder / "logs" / "train"))
        for row in self.rows[self.written:]:
            names = tuple(f"episode_{key}_vs_environment_steps" for key in row if key not in ("episode", "steps"))
            values = [value for key, value in row.items() if key not in ("episode", "steps")]
            write_scalars(self._writer, names, values, row["steps"])
        self._writer.flush()
        self.written = len(self.rows)

    def write(self, path: Path) -> None:
        names = list(dict.fromkeys(key for row in self.rows for key in row)) or list(COLUMNS)
        with atomic_path(path) as temporary, open(temporary, "w", newline="") as handle:
            table = csv.DictWriter(handle, fieldnames=names)
            table.writeheader()
            table.writerows({key: repr(value) if isinstance(value, float) else value for key, value in row.items()}
                            for row in self.rows)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def read_rows(path: Path, episodes: int) -> list[dict[str, Any]]:
    """The first `episodes` rows of a history.csv, as the log holds them; ValueError when they are not all there."""
    if not episodes:
        return []
    table = pandas.read_csv(path)
    rows = [{key: (int(value) if key in ("episode", "steps", "length") else float(value))
             for key, value in row.items()} for row in table.to_dict("records") if row["episode"] <= episodes]
    if [row["episode"] for row in rows] != list(range(1, episodes + 1)):
        raise ValueError(f"history.csv does not hold episodes 1 to {episodes}")
    return rows
