"""Every bound the catalog test holds a recipe to is backed by a measured spread over seeds and numeric paths.

The figures come from `python -m benchmarks.spread` (committed as benchmarks/results/spread-test.json): each
catalog recipe, on the settings `make test` trains it with, over at least 3 seeds and at least 2 numeric paths
(benchmarks.numeric_paths). A bound must sit at or below the worst of them less the stated margin, so that a
machine whose kernels land elsewhere still passes, and the figures must be of the settings in force today.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.spread import RESULTS, allowed_bound, budget_of, held_figures
from engine.recipe.loading import catalog_names, load_recipe

SPREAD = json.loads((RESULTS / "spread-test.json").read_text())


@pytest.mark.parametrize("name", catalog_names())
def test_each_catalog_bound_sits_below_the_worst_measured_figure_less_its_margin(name):
    assert name in SPREAD["recipes"], f"{name}: no spread measured; run python -m benchmarks.spread {name}"
    measured = SPREAD["recipes"][name]
    overrides, targets = budget_of(name, "test")
    assert measured["overrides"] == overrides, f"{name}: the spread was measured on other settings; measure again"
    runs = [run for run in measured["runs"] if not run["failed"]]
    assert len(runs) == len(measured["runs"]), f"{name}: a measured run failed"
    assert len({run["seed"] for run in runs}) >= 3 and len({run["path"] for run in runs}) >= 2
    for metric, bound in targets.items():
        figures = held_figures(name, runs, metric)
        assert len(figures) >= 2, f"{name}: fewer than two numeric paths ran every seed the test trains"
        baselines = [run["baseline"] for run in runs if "baseline" in run]
        allowed = allowed_bound(metric, figures, max(baselines) if baselines else None)
        assert bound <= allowed, f"{name}: bound {bound} on {metric} is above {allowed}, what {figures} allow"


@pytest.mark.parametrize("name", catalog_names())
def test_each_recipe_docstring_states_the_measured_spread(name):
    """The docstring gives the spread (worst to best over the measured seeds and paths), not one run's figure."""
    description = " ".join(load_recipe(name).description.split())  # as read, whatever the line breaks
    measured = SPREAD["recipes"][name]
    for metric in measured["targets"]:
        figures = [run["test"][metric] for run in measured["runs"]]
        digits = 1 if metric == "mean_return" else 3
        spread = f"{min(figures):.{digits}f} to {max(figures):.{digits}f}"
        assert spread in description, f"{name}: the docstring should state the spread {spread} of {metric}"
