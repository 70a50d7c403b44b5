"""The reinforcement kind: refusals, resume after SIGKILL, reproduction, greedy evaluation on seeds of its own."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from engine.cli import main
from engine.errors import RecipeError
from engine.learning.reinforcement import evaluation
from engine.recipe.loading import load_recipe
from engine.recipe.overrides import apply_overrides
from engine.recipe.schema import Recipe, check_kind_fields
from engine.run.training import run_recipe
from tests.conftest import ROOT, only_run_folder, read_json, run_cli

# A budget of a few seconds: enough steps for gradient steps, a validation and a handful of episodes.
SHORT = {"agent.total_steps": 2000, "agent.args.learning_starts": 500, "agent.args.train_frequency": 50,
         "agent.args.gradient_steps": 10, "agent.args.buffer_size": 5000, "agent.args.validation_period": 1000,
         "agent.args.validation_episodes": 3, "agent.evaluation_episodes": 10}


def short_run(runs_dir: Path, recipe: Recipe | None = None, **overrides):
    recipe = recipe or apply_overrides(load_recipe("cartpole_dqn"), {**SHORT, **overrides})
    return run_recipe(recipe, runs_dir=runs_dir, console=lambda line: None, verbose=0)


def history(folder: Path) -> list[dict[str, str]]:
    with open(folder / "history.csv") as handle:
        return list(csv.DictReader(handle))


def without_seconds(metrics: dict) -> dict:
    kept = {key: value for key, value in metrics.items() if key not in ("cost", "time_to_target")}
    kept["validation"] = {key: value for key, value in kept["validation"].items() if key != "seconds"}
    kept["validation"]["curve"] = [{key: value for key, value in entry.items() if key != "seconds"}
                                   for entry in kept["validation"]["curve"]]
    return kept


@pytest.mark.parametrize("override, message", [
    ("environment.id=CartPol-v1", "No Gymnasium environment named 'CartPol-v1'. Did you mean 'CartPole-v1'"),
    ("environment.id=Pendulum-v1", "DQN chooses among discrete actions, but Pendulum-v1 has the continuous"),
    ("agent.gamma=-0.5", "`agent.gamma` must be a number in [0, 1]. Received: -0.5."),
    ("agent.gamma=1.5", "`agent.gamma` must be a number in [0, 1]. Received: 1.5."),
    ("agent.args.buffer_size=32", "`agent.args.buffer_size` (32) must hold at least one batch (`batch_size` 64)"),
    ("agent.args.bufer_size=32", "Did you mean 'buffer_size'"),
    ("agent.algorithm=dqm", "`agent.algorithm` must be one of dqn, ppo. Received: 'dqm'. Did you mean 'dqn'"),
    ("epochs=5", "`epochs` has no place in a reinforcement recipe"),
    ("metrics=[\"accuracy\"]", "`metrics` has no place in a reinforcement recipe"),
    ('environment.args={"render_mode": "human"}', "needs a package that is not installed once it runs"),
])
def test_bad_inputs_exit_2_and_write_nothing(override, message, tmp_path, capsys):
    runs_dir = tmp_path / "runs"
    assert main(["recipe", "cartpole_dqn", override, "--runs-dir", str(runs_dir)]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error, error
    assert not runs_dir.exists()


def test_a_recipe_mixing_the_fields_of_two_kinds_is_refused(tmp_path, capsys):
    config = load_recipe("cartpole_dqn").to_dict()
    with pytest.raises(RecipeError, match="`data` has no place in a reinforcement recipe .* belongs to the "
                                          "supervised kind"):
        check_kind_fields(Recipe.from_dict({**config, "data": {"source": "iris"}}))
    supervised = load_recipe("iris_mlp").to_dict()
    with pytest.raises(RecipeError, match="`environment` has no place in a supervised recipe"):
        check_kind_fields(Recipe.from_dict({**supervised, "environment": {"id": "CartPole-v1"}}))
    with pytest.raises(RecipeError, match="missing the required field `agent`"):
        check_kind_fields(Recipe.from_dict({**config, "agent": None}))
    runs_dir = tmp_path / "runs"
    assert main(["recipe", "cartpole_dqn", "data={\"source\": \"iris\"}", "--runs-dir", str(runs_dir)]) == 2
    assert "`data` has no place in a reinforcement recipe" in capsys.readouterr().err and not runs_dir.exists()


def test_seed_streams_are_apart():
    training = evaluation.seeds(42, "training", 64)
    validation = evaluation.seeds(42, "validation", 100)
    test = evaluation.seeds(42, "test", 1000)
    assert len(set(training)) == 64 and len(set(test)) == 1000
    assert not set(test) & (set(training) | set(validation)) and not set(validation) & set(training)
    assert evaluation.seeds(42, "test", 10) == test[:10]  # the first seeds do not depend on how many are asked


def test_a_killed_run_resumes_counting_each_episode_once_and_its_recipe_json_reproduces_it(tmp_path):
    """SIGKILL after a backup, resume= in a new process; then the run's recipe.json, run whole in this process,
    gives the same episodes and metrics: every state (networks, optimizer, replay, generators) was restored."""
    runs_dir = tmp_path / "runs"
    overrides = [f"{key}={value}" for key, value in SHORT.items()]
    overrides.append("backup_interval=0")  # a backup at every episode end, so the kill comes after several
    command = [sys.executable, "-m", "engine", "recipe", "cartpole_dqn", *overrides, "--runs-dir", str(runs_dir)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        state = _wait_for_steps(runs_dir / "cartpole_dqn", 800, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    folder = only_run_folder(runs_dir, "cartpole_dqn")
    assert read_json(folder / "env.json")["status"] == "running" and not (folder / "metrics.json").exists()
    result = run_cli("recipe", "cartpole_dqn", *overrides, f"resume={folder}", runs_dir=runs_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Continuing after step" in result.stdout
    rows = history(folder)
    assert [int(row["episode"]) for row in rows] == list(range(1, len(rows) + 1)) and len(rows) > 10
    steps = [int(row["steps"]) for row in rows]
    assert steps == sorted(steps) and sum(int(row["length"]) for row in rows) == steps[-1] <= SHORT["agent.total_steps"]
    metrics = read_json(folder / "metrics.json")
    assert metrics["cost"]["environment_steps"] == SHORT["agent.total_steps"] > state["steps"]
    env = read_json(folder / "env.json")
    assert env["status"] == "complete" and len(env["resumed"]) == 1 and not (folder / "backup").exists()
    whole = short_run(tmp_path / "whole", recipe=load_recipe(str(folder / "recipe.json"))).folder
    assert history(whole) == rows
    assert without_seconds(read_json(whole / "metrics.json")) == without_seconds(metrics)
    check_greedy_evaluation_on_test_seeds(whole)


def check_greedy_evaluation_on_test_seeds(folder: Path) -> None:
    """The test return is model.keras's greedy policy on the test seeds, none of them training's or validation's."""
    metrics = read_json(folder / "metrics.json")
    seeds = metrics["evaluation"]["test"]["seeds"]
    assert seeds == evaluation.seeds(42, "test", SHORT["agent.evaluation_episodes"])
    assert not set(seeds) & set(evaluation.seeds(42, "training", 1) + evaluation.seeds(42, "validation", 3))
    model = keras.saving.load_model(folder / "model.keras")
    returns = evaluation.run_episodes(lambda observations: np.argmax(model(observations), axis=1), "CartPole-v1", {},
                                      seeds)
    assert metrics["test"]["mean_return"] == pytest.approx(float(np.mean(returns)))
    assert metrics["test"]["std_return"] == pytest.approx(float(np.std(returns)))
    assert metrics["baseline"]["test"]["mean_return"] == pytest.approx(
        float(np.mean(evaluation.run_episodes(None, "CartPole-v1", {}, seeds))))
    assert list(history(folder)[0]) == ["episode", "steps", "return", "length", "loss", "q_mean", "exploration_rate"]
    assert (folder / "learning_curves.png").is_file() and (folder / "logs" / "train").is_dir()
    assert "## Diagnosis" in (folder / "report.md").read_text()


def _wait_for_steps(parent: Path, steps: int, process: subprocess.Popen, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before the test could kill it"
        for path in parent.glob("*/backup/agent_state.json"):
            try:
                state = read_json(path)
            except ValueError:
                continue
            if state["steps"] >= steps:
                return state
        time.sleep(0.2)
    raise AssertionError(f"no backup past step {steps} within {timeout} s")


@pytest.mark.parametrize("returns, test_mean, kind, problem", [
    ([20.0] * 200, 21.0, "not learning", True),
    ([20.0] * 50 + [450.0] * 100 + [30.0] * 50, 30.0, "learned then collapsed", True),
    ([20.0] * 50 + [450.0] * 100 + [30.0] * 50, 500.0, "learned then collapsed", False),  # the kept network held
    (list(np.linspace(20, 300, 200)), 300.0, "still improving", False),
    ([20.0] * 50 + [500.0] * 150, 500.0, "converged", False),
])
def test_the_diagnosis_reads_the_returns(returns, test_mean, kind, problem):
    from engine.report.returns import diagnose

    findings = diagnose(returns, test_mean, 20.0, 475.0)
    assert [(finding.kind, finding.problem) for finding in findings] == [(kind, problem)]


@pytest.mark.figures
def test_make_evaluate_scores_a_shipped_policy_greedily_and_refuses_a_classifier(tmp_path, capsys):
    assert main(["evaluate", "cartpole_ppo", "--episodes", "5"]) == 0
    out = capsys.readouterr().out
    assert "greedy policy: mean return 500.00" in out and "random policy: mean return" in out
    assert main(["evaluate", "digits_cnn"]) == 2
    assert "only the policy of a reinforcement run can be evaluated" in capsys.readouterr().err


@pytest.mark.parametrize("option, value, message", [
    ("--episodes", "0", "`episodes` must be an integer in [1, 1000]. Received: 0."),
    ("--seed", "-1", "`seed` must be an integer in [0, 2147483647]. Received: -1."),
])
def test_make_evaluate_refuses_a_number_out_of_range_before_loading_anything(option, value, message, capsys):
    assert main(["evaluate", "cartpole_ppo", option, value]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def test_make_tune_searches_an_agent_on_its_mean_return(tmp_path):
    from engine.tune.search import plan_search, run_search

    recipe = apply_overrides(load_recipe("cartpole_dqn"), {**SHORT, "agent.total_steps": 1000,
                                                           "tuner.max_trials": 2})
    search = plan_search(recipe, tmp_path / "runs")
    assert (search.objective.name, search.objective.direction) == ("mean_return", "max")
    best = run_search(search, console=lambda line: None)
    assert best["trials"] == {"COMPLETED": 2} and -1 < best["score"] <= 500
    with pytest.raises(RecipeError, match="must be a metric this recipe logs, one of mean_return"):
        plan_search(apply_overrides(recipe, {"tuner.objective": "val_loss"}), tmp_path / "runs")
