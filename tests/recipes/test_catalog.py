"""Every catalog recipe, trained on its full settings, reaches the targets its docstring states."""

import pytest

from engine.recipe.loading import catalog_names, load_recipe
from tests.conftest import only_run_folder, read_json, run_cli


def test_the_catalog_holds_the_first_four_recipes():
    assert {"digits_cnn", "iris_mlp", "breast_cancer_mlp", "diabetes_regression"} <= set(catalog_names())


@pytest.mark.slow
@pytest.mark.parametrize("name", catalog_names())
def test_catalog_recipe_reaches_its_target(name, runs_dir):
    recipe = load_recipe(name)
    result = run_cli("recipe", name, runs_dir=runs_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = only_run_folder(runs_dir, name)
    test_metrics = read_json(folder / "metrics.json")["test"]
    for metric, bound in recipe.targets.items():
        assert test_metrics[metric] >= bound, f"{name}: test {metric} {test_metrics[metric]:.4f} < target {bound}"
        # The docstring states the same target a person reads.
        assert f"{bound:.2f}" in recipe.description
    assert "NOT met" not in (folder / "report.md").read_text()
    problems = [finding for finding in read_json(folder / "metrics.json")["diagnosis"] if finding["problem"]]
    assert not problems, f"{name} is diagnosed with {problems}"
