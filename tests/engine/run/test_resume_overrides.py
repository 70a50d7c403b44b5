"""`resume=` with the overrides of the original command: repeating recipe.json is fine, changing it is not."""

import json
from pathlib import Path

import pytest

from engine.errors import RecipeError
from engine.recipe.loading import load_recipe
from engine.recipe.overrides import apply_overrides, parse_assignments
from engine.recipe.resolve import resolve
from engine.run.resume import check_repeats_recorded, check_resume


def _unfinished_run(runs_dir: Path, words: list[str]) -> Path:
    """A failed run of iris_mlp whose recipe.json records the recipe after `words` (its original overrides)."""
    folder = runs_dir / "iris_mlp" / "20260101-000000-abcdef"
    folder.mkdir(parents=True)
    (folder / "env.json").write_text(json.dumps({"status": "failed"}))
    recipe = resolve(apply_overrides(load_recipe("iris_mlp"), parse_assignments(words)))
    (folder / "recipe.json").write_text(json.dumps(recipe.to_dict()))
    return folder


ORIGINAL = ["epochs=7", "optimizer.learning_rate=0.02", "model.args.width=32"]


@pytest.mark.parametrize("words", [ORIGINAL, ORIGINAL[:1], ["model.args.width=32", "epochs=7"], []])
def test_overrides_that_repeat_the_recorded_values_are_accepted(words, tmp_path):
    resume = check_resume(str(_unfinished_run(tmp_path / "runs", ORIGINAL)), tmp_path / "runs", "iris_mlp")
    check_repeats_recorded(resume, parse_assignments(words))


@pytest.mark.parametrize("word, recorded", [("epochs=8", "7"), ("optimizer.learning_rate=0.03", "0.02"),
                                            ("model.args.width=16", "32"), ("seed=1", "42")])
def test_an_override_that_differs_names_the_recorded_value(word, recorded, tmp_path):
    resume = check_resume(str(_unfinished_run(tmp_path / "runs", ORIGINAL)), tmp_path / "runs", "iris_mlp")
    key, _, value = word.partition("=")
    with pytest.raises(RecipeError, match=f"`{key}` was {recorded} there, not {value}"):
        check_repeats_recorded(resume, parse_assignments([word]))


def test_the_command_line_resumes_with_repeated_overrides_and_refuses_changed_ones(tmp_path, capsys):
    from engine.cli import main

    runs_dir = tmp_path / "runs"
    folder = _unfinished_run(runs_dir, ORIGINAL)
    code = main(["recipe", "iris_mlp", f"resume={folder}", "epochs=9", "--runs-dir", str(runs_dir)])
    assert code == 2 and "`epochs` was 7 there, not 9" in capsys.readouterr().err
