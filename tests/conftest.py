"""Shared fixtures: a scratch runs/ folder and a way to run the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*arguments: str, runs_dir: Path, cwd: Path = ROOT, env: dict | None = None,
            timeout: int = 600) -> subprocess.CompletedProcess:
    """`python -m engine recipe ...` in a fresh process, exactly as `make recipe` runs it."""
    command = [sys.executable, "-m", "engine", *arguments]
    if arguments and arguments[0] == "recipe":
        command += ["--runs-dir", str(runs_dir)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout)


def only_run_folder(runs_dir: Path, recipe: str) -> Path:
    folders = sorted((runs_dir / recipe).iterdir())
    assert len(folders) == 1, folders
    return folders[0]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def without_cost(metrics: dict) -> dict:
    """metrics.json less its timings and memory, which differ between identical runs (the epoch at which
    each target was reached stays)."""
    kept = {key: value for key, value in metrics.items() if key not in ("cost", "time_to_target")}
    kept["epoch_of_target"] = {name: entry["epoch"] for name, entry in metrics.get("time_to_target", {}).items()}
    return kept


def reload_in_a_fresh_interpreter(model_path: Path, inputs, scratch: Path, predict_only: bool = False):
    """The outputs of `model_path` on `inputs` (an array or a dict of columns), loaded with
    `keras.saving.load_model` in a fresh interpreter that imports only Keras, NumPy and `data, zoo`
    (tests/recipes/reload.py)."""
    import numpy as np

    np.savez(scratch / "inputs.npz", **(inputs if isinstance(inputs, dict) else {"inputs": inputs}))
    command = [sys.executable, str(ROOT / "tests" / "recipes" / "reload.py"), str(model_path),
               str(scratch / "inputs.npz"), str(scratch / "outputs.npy"), *(["--predict-only"] if predict_only else [])]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    return np.load(scratch / "outputs.npy")


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return tmp_path / "runs"
