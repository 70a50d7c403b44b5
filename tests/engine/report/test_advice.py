"""Advice you can trust: the diagnosis of the short runs a new user tries first (issue 27), on real runs.

Each case trains the exact command of the issue (all four finish within about 15 s on this project's 2-core
machine) and checks the shape of what it recorded before the advice, so a failure says which changed: the run
or the rule. `advice_histories.json` holds the same runs' histories and test figures (how they were produced is
in the file): the rules are also held to them, machine-independently.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.report import returns
from engine.report.diagnosis import diagnose, missed_targets
from tests.conftest import only_run_folder, read_json

RECORDED = json.loads((Path(__file__).parent / "advice_histories.json").read_text())["runs"]


def _history(folder: Path) -> dict[str, list[float]]:
    with open(folder / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    return {key: [float(row[key]) for row in rows] for key in rows[0] if key not in ("epoch", "seconds")}


def _train(runs_dir: Path, capsys, *words: str) -> tuple[Path, str]:
    assert main(["recipe", *words, "--runs-dir", str(runs_dir)]) == 0
    return only_run_folder(runs_dir, words[0]), capsys.readouterr().out


def _advice(folder: Path) -> list[dict]:
    return read_json(folder / "metrics.json")["diagnosis"]


def test_iris_for_5_epochs_is_undertrained_and_told_more_epochs(tmp_path, capsys):
    """`iris_mlp epochs=5`: the target is missed while training accuracy still rises: more epochs, not fewer."""
    folder, out = _train(tmp_path, capsys, "iris_mlp", "epochs=5")
    history, test = _history(folder), read_json(folder / "metrics.json")["test"]
    assert test["accuracy"] < 0.93 and history["accuracy"][-1] > history["accuracy"][-3]  # the shape of the case
    advice = {finding["kind"]: finding for finding in _advice(folder)}
    assert advice["undertrained"]["problem"] and "more epochs (epochs=10" in advice["undertrained"]["remedy"]
    assert "training accuracy rose from" in advice["undertrained"]["evidence"]
    assert not any("fewer epochs" in finding["remedy"] for finding in advice.values())
    assert "Diagnosis, undertrained: still improving" in out
    assert "**undertrained** (problem): still improving" in (folder / "report.md").read_text()


def _moving_average_peak_and_last(folder: Path) -> tuple[float, int, float, int]:
    with open(folder / "history.csv") as handle:
        averages = returns.moving_average([float(row["return"]) for row in csv.DictReader(handle)])
    return float(averages.max()), int(averages.argmax()), float(averages[-1]), len(averages)


def test_ppo_below_its_target_with_returns_at_their_peak_is_still_improving(tmp_path, capsys):
    """`cartpole_ppo agent.total_steps=20000`: far below 475, the 20-episode mean at its peak at the end."""
    folder, out = _train(tmp_path, capsys, "cartpole_ppo", "agent.total_steps=20000")
    peak, peak_at, last, episodes = _moving_average_peak_and_last(folder)
    assert peak_at >= 0.9 * episodes - 1 and read_json(folder / "metrics.json")["test"]["mean_return"] < 475
    kinds = [finding["kind"] for finding in _advice(folder)]
    assert kinds == ["still improving"] and "converged" not in out
    assert "Remedy: more steps (agent.total_steps)" in out
    report = (folder / "report.md").read_text()
    assert "**still improving**" in report and "target network" not in report  # PPO has none


def test_dqn_whose_mean_fell_by_half_from_its_peak_learned_then_collapsed(tmp_path, capsys):
    """`cartpole_dqn agent.total_steps=12000`: the 20-episode mean rose to about 200, then fell below 80."""
    folder, out = _train(tmp_path, capsys, "cartpole_dqn", "agent.total_steps=12000")
    peak, _, last, _ = _moving_average_peak_and_last(folder)
    random_mean = read_json(folder / "metrics.json")["baseline"]["test"]["mean_return"]
    assert last - random_mean < 0.5 * (peak - random_mean)  # the shape of the case
    kinds = [finding["kind"] for finding in _advice(folder)]
    assert "learned then collapsed" in kinds and "converged" not in kinds and "rose and held" not in out
    assert "target network less often (agent.args.target_update_period)" in out
    assert "the target network, a copy, is not counted" in (folder / "report.md").read_text()


def test_a_clustering_phase_the_epochs_never_reach_is_said_before_training(tmp_path, capsys):
    """`digits_autoencoder epochs=20`: clustering starts at epoch 150, so it never runs; said before epoch 1."""
    folder, out = _train(tmp_path, capsys, "digits_autoencoder", "epochs=20")
    note = out.index("Note: the clustering phase starts at epoch 150")
    assert note < out.index("Epoch 1/20")  # Keras's progress lines (stdout is not a terminal here)
    assert "model.args.clustering_from_epoch=10" in out[note:out.index("Epoch 1/20")]
    advice = _advice(folder)
    assert advice[0]["kind"] == "phase never reached" and advice[0]["problem"]
    assert "**phase never reached** (problem): the clustering phase starts at epoch 150" in \
        (folder / "report.md").read_text()


def test_a_budget_that_reaches_the_clustering_phase_says_nothing_of_it(tmp_path, capsys):
    folder, out = _train(tmp_path, capsys, "digits_autoencoder", "epochs=3", "model.args.clustering_from_epoch=3")
    assert "Note:" not in out and "phase never reached" not in (folder / "report.md").read_text()


# The training split's score and easy baseline as the runs' assessments gave them (None: an autoencoder has none).
TRAIN_SCORES = {"iris_mlp": ("classification", 0.9556, 0.3333), "digits_autoencoder": ("regression", None, None)}


@pytest.mark.parametrize("name", list(TRAIN_SCORES))
def test_the_convergence_rule_on_the_recorded_histories(name):
    recorded = RECORDED[name]
    epochs, scores = len(recorded["history"]["loss"]), TRAIN_SCORES[name]
    missed = missed_targets(recorded["targets"], recorded["test"])
    findings = diagnose(recorded["history"], epochs, "", False, *scores, missed=missed)
    assert [(finding.kind, finding.problem) for finding in findings] == [("undertrained", True)]
    # The same history with its target met: still improving, not a problem, and never "fewer epochs".
    met = diagnose(recorded["history"], epochs, "", False, *scores)
    assert [(finding.kind, finding.problem) for finding in met] == [("convergence", False)]
    assert "still improving" in met[0].evidence and "train longer" in met[0].remedy


@pytest.mark.parametrize(("name", "kind"), [("cartpole_ppo", "still improving"),
                                            ("cartpole_dqn", "learned then collapsed")])
def test_the_return_rules_on_the_recorded_returns(name, kind):
    recorded = RECORDED[name]
    findings = returns.diagnose(recorded["returns"], recorded["test_mean_return"], recorded["random_mean_return"],
                                recorded["threshold"])
    assert [finding.kind for finding in findings] == [kind]


def test_a_long_plateau_saves_time_when_the_target_is_met_and_says_so_when_it_is_missed():
    falling_then_flat = [1.0 / (epoch + 1) for epoch in range(5)] + [0.2] * 10
    history = {"loss": [value * 0.9 for value in falling_then_flat], "val_loss": falling_then_flat}
    met = diagnose(history, 15, "", False, "classification", 0.95, 0.34)
    assert met[0].kind == "convergence" and "fewer epochs" in met[0].remedy
    missed = diagnose(history, 15, "", False, "classification", 0.95, 0.34,
                      missed=missed_targets({"accuracy": 0.99}, {"accuracy": 0.9}))
    assert missed[0].kind == "plateau" and missed[0].problem and "fewer epochs" not in missed[0].remedy
    assert "more epochs alone will not reach the target" in missed[0].remedy


def test_returns_that_levelled_off_below_the_threshold_plateaued_and_at_it_converged():
    flat = list(np.linspace(20, 200, 60)) + [200.0] * 140
    assert [(f.kind, f.problem) for f in returns.diagnose(flat, 200.0, 20.0, 475.0)] == [("plateaued", True)]
    solved = list(np.linspace(20, 500, 60)) + [500.0] * 140
    assert [f.kind for f in returns.diagnose(solved, 500.0, 20.0, 475.0)] == ["converged"]


def test_a_budget_shorter_than_an_agents_first_update_is_named_with_its_remedy():
    from engine.learning.reinforcement.agents import dqn, ppo

    assert "never learns" in dqn.unreached(dqn.Settings(learning_starts=5000), 2000)[0][0]
    assert "copy of its starting weights" in dqn.unreached(dqn.Settings(target_update_period=5000), 4000)[0][0]
    assert dqn.unreached(dqn.Settings(), 12000) == []
    assert "no rollout is collected" in ppo.unreached(ppo.Settings(environments=8, rollout_steps=256), 1000)[0][0]
    assert ppo.unreached(ppo.Settings(), 20000) == []
