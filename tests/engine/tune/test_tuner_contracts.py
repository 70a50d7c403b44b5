"""The contract every tuner in `engine.tune.search.TUNERS` keeps, on a real tiny search.

Each tuner searches the catalog recipe iris_mlp for two trials of two epochs through the
command line, and must finish with exit code 0, a best.json holding a finite score and a
report.md. A new tuner is covered with no new test code; one that needs settings of its own
gets them in EXTRA_OVERRIDES.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from engine.cli import main
from engine.tune.search import TUNERS
from tests.conftest import read_json

RECIPE = "iris_mlp"
# What a tuner needs besides `tuner=<name>`. Grid search enumerates every range, so the recipe's
# log-scaled learning rate is declared again with a step (x10: 0.001, 0.01, 0.1). Hyperband takes its
# max_epochs from `epochs` and needs nothing more.
GRID_LEARNING_RATE = ('{"hp": "Float", "name": "learning_rate", "min_value": 0.001, "max_value": 0.1, "step": 10, '
                      '"log": true, "default": 0.01}')
EXTRA_OVERRIDES: dict[str, list[str]] = {
    "grid": [f"optimizer.learning_rate={GRID_LEARNING_RATE}"],
}


@pytest.mark.parametrize("tuner", list(TUNERS))
def test_a_tiny_search_finishes_with_a_finite_best_score_and_a_report(tuner, tmp_path, capsys):
    runs_dir = tmp_path / "runs"
    arguments = ["tune", RECIPE, f"tuner={tuner}", "max_trials=2", "epochs=2", *EXTRA_OVERRIDES.get(tuner, []),
                 "--runs-dir", str(runs_dir)]
    code = main(arguments)
    output = capsys.readouterr()
    assert code == 0, output.err[-3000:]
    (folder,) = (runs_dir / RECIPE).glob("tune-*")
    best = read_json(Path(folder) / "best.json")
    assert best["tuner"] == tuner and best["recipe"] == RECIPE
    assert isinstance(best["score"], float) and math.isfinite(best["score"]), best["score"]
    assert best["trials"].get("COMPLETED", 0) >= 1, best["trials"]
    if tuner != "hyperband":  # Hyperband sets its own number of trials from max_epochs
        assert sum(best["trials"].values()) == 2, best["trials"]
    assert (folder / "report.md").stat().st_size > 0
