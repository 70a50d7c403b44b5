"""Backing up an agent while it trains, and reading the backup back when a killed run resumes.

    backup/agent_state.json    counters, episodes done, validation scores, random generators' states, and
                               the name of the arrays file it goes with; written last, so it is the commit point
    backup/agent-<steps>.npz   every array: the networks' weights, the optimizer's variables, the best
                               network kept so far, the replay buffer

The arrays file is written under a temporary name and renamed, then agent_state.json (also renamed into
place) names it, then older arrays files are removed: a kill at any moment leaves one consistent pair.
The lock file of engine.run.resume lives in the same folder and is not touched here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from common.files import write_json
from engine.run.resume import BACKUP

STATE = "agent_state.json"


def save(folder: Path, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write `arrays` and then `state` (JSON-ready) to `folder`/backup, atomically as a pair."""
    directory = folder / BACKUP
    directory.mkdir(exist_ok=True)
    name = f"agent-{state['steps']:09d}.npz"
    partial = directory / f".partial-{os.getpid()}.npz"
    with open(partial, "wb") as handle:
        np.savez(handle, **arrays)
    os.replace(partial, directory / name)
    write_json(directory / STATE, {**state, "arrays": name})
    for old in directory.glob("agent-*.npz"):
        if old.name != name:
            old.unlink(missing_ok=True)


def load(folder: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
    """The last backup's state and arrays, or None when the run had not backed up yet."""
    path = folder / BACKUP / STATE
    if not path.is_file():
        return None
    state = json.loads(path.read_text())
    with np.load(folder / BACKUP / state["arrays"], allow_pickle=False) as saved:
        arrays = {key: saved[key] for key in saved.files}
    return state, arrays


def weights_to_arrays(prefix: str, variables) -> dict[str, np.ndarray]:
    """`{"<prefix>/0": ..., "<prefix>/1": ...}` from Keras variables (or arrays), in order."""
    return {f"{prefix}/{index}": np.asarray(variable) for index, variable in enumerate(variables)}


def arrays_to_weights(prefix: str, arrays: dict[str, np.ndarray]) -> list[np.ndarray]:
    count = sum(1 for key in arrays if key.startswith(prefix + "/"))
    return [arrays[f"{prefix}/{index}"] for index in range(count)]


def assign(variables, values: list[np.ndarray]) -> None:
    """Set Keras variables to saved values, refusing a mismatch (the backup of another network)."""
    variables = list(variables)
    if len(variables) != len(values):
        raise ValueError(f"the backup holds {len(values)} arrays for {len(variables)} variables")
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)
