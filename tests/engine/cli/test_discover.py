"""Finding one's way: make show, "did you mean" across nested keys, the target line, a quiet and quick refusal."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from common.declared import field_docs
from engine.cli import main
from engine.recipe.loading import catalog_names, load_recipe
from engine.recipe.overrides import CLASS_AT, apply_overrides
from engine.recipe.show import render, rows
from engine.run.training import run_recipe, target_line
from tests.conftest import ROOT, run_cli


@pytest.mark.parametrize("cls", sorted(set(CLASS_AT.values()), key=lambda cls: cls.__name__))
def test_every_field_of_the_recipe_schema_says_what_it_means(cls):
    undocumented = [field.name for field in dataclasses.fields(cls) if not field_docs(cls).get(field.name)]
    assert not undocumented, f"{cls.__name__}: write a comment beside or above {undocumented}"


@pytest.mark.parametrize("name", catalog_names())
def test_every_key_make_show_lists_is_one_an_override_can_set(name):
    recipe = load_recipe(name)
    table = rows(recipe)
    assert table and len({row.key for row in table}) == len(table)
    for row in table:
        if isinstance(row.raw, (int, float, str, bool)) and not isinstance(row.raw, dict):
            apply_overrides(recipe, {row.key: row.raw})  # raises RecipeError for a key overrides do not know


def test_make_show_gives_each_setting_its_value_range_and_meaning():
    by_key = {row.key: row for row in rows(load_recipe("digits_cnn"))}
    rate = by_key["optimizer.learning_rate"]
    assert "range 'learning_rate'" in rate.value and rate.accepts.startswith("a number in (0, inf)")
    assert "samples per step" in by_key["batch_size"].meaning and by_key["epochs"].accepts == "an integer in [1, inf)"
    assert not by_key["model.args.kernel_size"].set_here  # a builder argument the recipe leaves at its default
    agent = {row.key: row for row in rows(load_recipe("cartpole_ppo"))}
    assert agent["agent.total_steps"].meaning and agent["agent.args.clip_range"].meaning
    active = {row.key: row for row in rows(load_recipe("digits_active"))}
    assert "Labels asked for in each round" in active["active_learning.query_size"].meaning
    assert render(load_recipe("digits_active"))[0].startswith("digits_active (supervised, active_learning): ")


def test_make_show_on_the_command_line_and_its_refusals(capsys):
    assert main(["show", "iris_mlp", "epochs=7"]) == 0
    shown = capsys.readouterr().out
    assert "\n  epochs " in shown and " 7\n" in shown and "optimizer.momentum" in shown
    assert main(["show", "no_such_recipe"]) == 2
    assert "No recipe named 'no_such_recipe'" in capsys.readouterr().err


@pytest.mark.parametrize(("typed", "meant"), [
    ("total_steps=5000", "`agent.total_steps`"),
    ("clip_range=0.1", "`agent.args.clip_range`"),
    ("learning_rate=0.1", "`optimizer.learning_rate`"),
])
def test_an_unknown_key_is_answered_with_the_nested_key_of_that_name(typed, meant, tmp_path, capsys):
    runs_dir = tmp_path / "runs"
    assert main(["recipe", "cartpole_ppo", typed, "--runs-dir", str(runs_dir)]) == 2
    error = capsys.readouterr().err
    assert f"Did you mean {meant}?" in error and "Traceback" not in error
    assert not runs_dir.exists()


def test_commands_that_train_nothing_refuse_without_importing_tensorflow(tmp_path):
    script = (
        "import sys\nfrom engine.cli import main\n"
        f"codes = [main(words) for words in {json.dumps(_REFUSED)}]\n"
        "print(codes, 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    found = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert found.stdout.split("\n")[-2] == f"{[2] * len(_REFUSED)} False False", found.stdout + found.stderr
    helped = ("import sys\nfrom engine.cli import main\ntry:\n main(['--help'])\n"
              "except SystemExit:\n print('tensorflow' in sys.modules)")
    help_run = subprocess.run([sys.executable, "-c", helped], cwd=ROOT, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert help_run.stdout.strip().endswith("False"), help_run.stdout + help_run.stderr


_REFUSED = [["recipe", "digits_cnn", "epocs=5", "--runs-dir", "/nonexistent/runs"],
            ["recipe", "cartpole_ppo", "total_steps=5", "--runs-dir", "/nonexistent/runs"],
            ["recipe", "no_such_recipe"], ["recipe", "digits_cnn", "epochs"],
            # A recipe with no runs is answered, not refused (exit 0); a name that is no recipe is refused.
            ["compare", "no_such_recipe", "--runs-dir", "/nonexistent/runs"]]


def test_tensorflows_native_log_lines_stay_off_the_console(tmp_path):
    log = tmp_path / "native.log"
    # epochs=0 is refused by the check phase, after TensorFlow is imported: its start-up lines are written by then.
    found = run_cli("recipe", "digits_cnn", "epochs=0", runs_dir=tmp_path / "runs", env={"ENGINE_NATIVE_LOG": str(log)})
    assert found.returncode == 2
    assert found.stderr.strip().splitlines() == ["error: `epochs` must be an integer in [1, inf). Received: 0."]
    assert log.exists() and not (tmp_path / "runs").exists()


def test_target_line_says_met_or_missed_with_each_figure():
    assert target_line({"accuracy": 0.9}, {"accuracy": 0.95}) == "Target met: test accuracy 0.9500 >= 0.9."
    assert target_line({"accuracy": 0.9, "auc": 0.8}, {"accuracy": 0.95, "auc": 0.5}) == \
        "Target missed: test accuracy 0.9500 >= 0.9; test auc 0.5000 < 0.8."
    assert target_line({"nmi": 0.8}, {}) == "Target missed: test nmi was not measured (target >= 0.8)."


def test_a_run_ends_its_console_with_whether_its_target_was_met(tmp_path):
    lines: list[str] = []
    result = run_recipe(apply_overrides(load_recipe("iris_mlp"), {"epochs": 3}), runs_dir=tmp_path,
                        console=lines.append, verbose=0)
    accuracy = result.metrics["test"]["accuracy"]
    verdict = "met" if accuracy >= 0.93 else "missed"
    assert lines[-1] == f"Target {verdict}: test accuracy {accuracy:.4f} {'>=' if verdict == 'met' else '<'} 0.93."


def test_an_agent_says_how_it_is_doing_at_each_validation_and_ends_with_its_target(tmp_path):
    lines: list[str] = []
    recipe = apply_overrides(load_recipe("cartpole_ppo"), {
        "agent.total_steps": 2048, "agent.evaluation_episodes": 3, "agent.args.validation_period": 1024,
        "agent.args.validation_episodes": 2})
    run_recipe(recipe, runs_dir=tmp_path, console=lines.append, verbose=0)
    validations = [line for line in lines if "greedy validation mean return" in line]
    assert [line.split(":")[0].strip() for line in validations] == ["step 1,024/2,048", "step 2,048/2,048"]
    assert lines[-1].startswith("Target missed: test mean_return ") or lines[-1].startswith("Target met: ")
