"""Every catalog recipe, trained on its full settings, reaches the targets its docstring states."""

import json

import pytest

from engine.recipe.loading import catalog_names, catalog_test_budget, load_recipe
from tests.conftest import only_run_folder, read_json, run_cli


def test_the_catalog_holds_the_first_four_recipes():
    assert {"digits_cnn", "iris_mlp", "breast_cancer_mlp", "diabetes_regression"} <= set(catalog_names())


@pytest.mark.slow
@pytest.mark.parametrize("name", catalog_names())
def test_catalog_recipe_reaches_its_target(name, runs_dir):
    """A recipe with a `test_budget` trains on its shorter settings here and is held to the targets measured
    on them; `make bench` (benchmarks.catalog) holds it to its full targets."""
    recipe, budget = load_recipe(name), catalog_test_budget(name)
    overrides = [f"{key}={json.dumps(value)}" for key, value in (budget or {}).get("overrides", {}).items()]
    result = run_cli("recipe", name, *overrides, runs_dir=runs_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = only_run_folder(runs_dir, name)
    test_metrics = read_json(folder / "metrics.json")["test"]
    targets = budget["targets"] if budget else recipe.targets
    for bound in [*recipe.targets.values(), *targets.values()]:
        # The docstring states every target a person reads, the shorter budget's too.
        assert f"{bound:.2f}" in recipe.description
    for metric, bound in targets.items():
        assert test_metrics[metric] >= bound, f"{name}: test {metric} {test_metrics[metric]:.4f} < target {bound}"
    if not budget:
        assert "NOT met" not in (folder / "report.md").read_text()
    problems = [finding for finding in read_json(folder / "metrics.json")["diagnosis"] if finding["problem"]]
    assert not problems, f"{name} is diagnosed with {problems}"
