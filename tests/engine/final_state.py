"""A recipe callback that lets a test compare the processes of a run: each worker's epochs and final weights.

A test recipe lists it as `{"name": "tests.engine.final_state:FinalState"}` and the test sets
FINAL_STATE_ENV to a folder. Every process (each worker of a cluster, task index from TF_CONFIG,
0 without it) then appends one JSON line per finished epoch to task-<index>.jsonl,
`{"epoch": N, "chief": ..., "logs": {...}}`, and saves its weights to task-<index>.npz when
training ends. A killed run and its resumption append to the same file: `history` keeps the
last row of each epoch. Without FINAL_STATE_ENV it does nothing.

It only reads what training already computed (the epoch's logs, the weights, whether the
strategy makes this process the chief): no randomness, no extra ops, so it does not change
training.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras
import numpy as np

FINAL_STATE_ENV = "TEST_FINAL_STATE_DIR"


def task_index() -> int:
    """This process's task index in its cluster (TF_CONFIG), 0 when it is alone."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    return int(config.get("task", {}).get("index", 0))


class FinalState(keras.callbacks.Callback):
    """Appends every epoch's logs to task-<index>.jsonl and saves the final weights to task-<index>.npz."""

    def __init__(self):
        super().__init__()
        target = os.environ.get(FINAL_STATE_ENV)
        self.folder = Path(target) if target else None
        self.stem = f"task-{task_index()}"

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        chief = bool(self.model.distribute_strategy.extended.should_checkpoint)  # as engine's Chosen.is_chief
        row = {"epoch": epoch + 1, "chief": chief, "logs": {key: float(value) for key, value in (logs or {}).items()}}
        # One write of a whole line on an append-only descriptor: a process killed in between leaves no half line.
        handle = os.open(self.folder / f"{self.stem}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(handle, (json.dumps(row) + "\n").encode())
        finally:
            os.close(handle)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        np.savez(self.folder / f"{self.stem}.npz", *[np.asarray(weight) for weight in self.model.get_weights()])


def rows(folder: Path, index: int) -> list[dict]:
    """Every row task `index` appended, in order (a killed run's, then its resumption's)."""
    return [json.loads(line) for line in (folder / f"task-{index}.jsonl").read_text().splitlines()]


def history(folder: Path, index: int) -> list[dict]:
    """Task `index`'s history, one `{"epoch": N, **logs}` per epoch in order, each from the last run of that epoch."""
    last = {row["epoch"]: {"epoch": row["epoch"], **row["logs"]} for row in rows(folder, index)}
    return [last[epoch] for epoch in sorted(last)]


def weights(folder: Path, index: int):
    """Task `index`'s final weights (np.load of its .npz: arrays arr_0, arr_1, ...)."""
    return np.load(folder / f"task-{index}.npz")
