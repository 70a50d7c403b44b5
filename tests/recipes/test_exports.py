"""Every exportable catalog recipe exports to every format with parity on its test split and on generated raw rows
(engine.serve.probes), or is refused before converting with the reason."""

from __future__ import annotations

import json

import pytest

from engine.cli import main
from engine.recipe.loading import catalog_names, load_recipe
from engine.recipe.overrides import apply_overrides
from engine.run.training import run_recipe
from engine.serve.export import FORMATS, TABLE_LIMITS

pytest.importorskip("tf2onnx", reason="the `export` extra is not installed: pip install -e \".[export]\"")
pytest.importorskip("ai_edge_litert", reason="the `export` extra is not installed: pip install -e \".[export]\"")

# predict and export serve supervised models; other kinds are refused by load_served (tests/engine/serve/test_predict).
EXPORTABLE = [name for name in catalog_names() if load_recipe(name).kind == "supervised"]
# One epoch is enough: parity compares the artifact with make predict on the same weights, trained or not.
SHORT = {"epochs": 1}


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPORTABLE)
def test_a_catalog_recipe_exports_to_every_format_with_parity_on_generated_rows(name, tmp_path, capsys):
    recipe = load_recipe(name)
    overrides = {**SHORT, **({"active_learning.budget": 30} if recipe.active_learning else {})}
    folder = run_recipe(apply_overrides(recipe, overrides), runs_dir=tmp_path, console=lambda line: None,
                        verbose=0).folder
    table = any(step.get("name") == "feature_space" for step in recipe.data.preprocessing)
    for format_name in FORMATS:
        code = main(["export", str(folder), "--format", format_name])
        error = capsys.readouterr().err
        if table and format_name in TABLE_LIMITS:
            assert code == 2 and "cannot be exported to" in error, error
            continue
        assert code == 0, error
        parity = json.loads((folder / "export" / "exports.json").read_text())[format_name]["parity"]
        assert parity["passed"] and parity["max_scaled_diff"] <= parity["tolerance"]
        assert parity["cases"]["test split"] > 0 and len(parity["cases"]) >= 4, parity["cases"]
