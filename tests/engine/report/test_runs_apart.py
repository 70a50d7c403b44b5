"""Runs you can tell apart (issue 27): TensorBoard's HParams dashboard and `make compare` over several recipes.

One runs folder holds short real runs of four kinds (a classifier, an agent, active learning, an autoencoder)
and a three-trial search. What the HParams dashboard shows is computed by TensorBoard's own plugin code
(`get_experiment` and `list_session_groups`, as its HTTP routes call them) over the event files the runs wrote.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tensorboard import context
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins import base_plugin
from tensorboard.plugins.hparams import api_pb2, backend_context, get_experiment, list_session_groups

from engine.cli import main
from tests.conftest import ROOT, read_json

# Its module-scoped fixture trains once: keep the whole file in one test process (make test runs several).
pytestmark = pytest.mark.xdist_group("runs_apart")

RUNS = {
    "iris_mlp": ["epochs=2"],
    "cartpole_dqn": ["agent.total_steps=1500", "agent.args.learning_starts=500", "agent.args.validation_period=1000",
                     "agent.args.validation_episodes=2", "agent.evaluation_episodes=5"],
    "digits_active": ["active_learning.budget=40", "epochs=2"],
    "digits_autoencoder": ["epochs=2"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    runs_dir = tmp_path_factory.mktemp("runs_apart")
    for name, overrides in RUNS.items():
        assert main(["recipe", name, *overrides, "--runs-dir", str(runs_dir)]) == 0, name
    assert main(["tune", "iris_mlp", "epochs=2", "tuner=random", "max_trials=3", "--runs-dir", str(runs_dir)]) == 0
    return runs_dir


def hparams_dashboard(logdir: Path) -> tuple[api_pb2.Experiment, list[api_pb2.SessionGroup]]:
    """The HParams dashboard's columns and rows for `logdir`, as TensorBoard computes them."""
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(logdir))
    backend = backend_context.Context(base_plugin.TBContext(logdir=str(logdir), multiplexer=multiplexer,
                                                            data_provider=provider))
    request_context = context.RequestContext()
    experiment = get_experiment.Handler(request_context, backend, "",
                                        api_pb2.GetExperimentRequest(include_metrics=True)).run()
    statuses = [api_pb2.STATUS_UNKNOWN, api_pb2.STATUS_SUCCESS, api_pb2.STATUS_FAILURE, api_pb2.STATUS_RUNNING]
    request = api_pb2.ListSessionGroupsRequest(start_index=0, slice_size=100, allowed_statuses=statuses,
                                               include_metrics=True)
    return experiment, list(list_session_groups.Handler(request_context, backend, "", request).run().session_groups)


def test_every_hparams_row_is_named_by_its_recipe_and_says_what_ran(runs):
    experiment, groups = hparams_dashboard(runs)
    rows = {group.name: group for group in groups}
    folders = {name: next(path for path in (runs / name).iterdir() if not path.name.startswith("tune-"))
               for name in RUNS}
    search = next((runs / "iris_mlp").glob("tune-*"))
    expected = {f"{name}/{folder.name}" for name, folder in folders.items()}
    expected |= {f"iris_mlp/{search.name}/trial {number}" for number in (1, 2, 3)}
    assert set(rows) == expected
    kinds = {name: rows[f"{name}/{folders[name].name}"].hparams["kind"].string_value for name in RUNS}
    assert kinds == {"iris_mlp": "supervised", "cartpole_dqn": "reinforcement", "digits_active": "active_learning",
                     "digits_autoencoder": "unsupervised"}
    assert rows[f"cartpole_dqn/{folders['cartpole_dqn'].name}"].hparams["data"].string_value == "CartPole-v1"
    assert rows[f"iris_mlp/{search.name}/trial 1"].hparams["recipe"].string_value == "iris_mlp"
    assert {"recipe", "kind", "data", "algorithm", "width", "strategy"} <= {info.name for info in
                                                                           experiment.hparam_infos}


def test_each_kinds_headline_is_an_hparams_metric_of_its_row(runs):
    experiment, groups = hparams_dashboard(runs)
    columns = {(info.name.group, info.name.tag) for info in experiment.metric_infos}
    headlines = {"iris_mlp": "test_accuracy", "cartpole_dqn": "test_mean_return",
                 "digits_active": "test_label_efficiency_area", "digits_autoencoder": "test_nmi"}
    assert {("", tag) for tag in headlines.values()} | {("", "test_linear_probe_accuracy")} <= columns
    for name, tag in headlines.items():
        (group,) = [group for group in groups if group.name.startswith(f"{name}/") and "tune-" not in group.name]
        values = {metric.name.tag: metric.value for metric in group.metric_values if metric.name.group == ""}
        assert values[tag] == pytest.approx(read_json(next((runs / name).glob("2*")) / "metrics.json")["test"][
            tag.removeprefix("test_")], rel=1e-6), name


def _scalar_tags(path: Path) -> set[str]:
    accumulator = EventAccumulator(str(path), size_guidance={"tensors": 0})
    accumulator.Reload()
    return set(accumulator.Tags()["tensors"])


def test_curves_against_labels_or_environment_steps_carry_their_axis_in_the_tag(runs):
    active = next((runs / "digits_active").glob("2*")) / "logs"
    assert _scalar_tags(active / "active_learning") == {"test_accuracy_vs_labels", "validation_accuracy_vs_labels",
                                                        "test_loss_vs_labels", "validation_loss_vs_labels"}
    assert "test_accuracy" in _scalar_tags(active)  # the single end-of-run point keeps its own chart
    agent = next((runs / "cartpole_dqn").glob("2*")) / "logs"
    assert "episode_return_vs_environment_steps" in _scalar_tags(agent / "train")
    assert _scalar_tags(agent / "validation") == {"mean_return_vs_environment_steps",
                                                  "std_return_vs_environment_steps"}


def test_compare_without_a_name_tables_every_recipe_with_data_and_changed_settings(runs, capsys):
    assert main(["compare", "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    headings = [line for line in out.splitlines() if line.startswith("## ")]
    assert headings == ["## cartpole_dqn (1 run)", "## digits_active (1 run)", "## digits_autoencoder (1 run)",
                        "## iris_mlp (1 run)"]  # the search folder is not a run
    assert "| CartPole-v1 (environment) | 1,500/1,500 environment steps |" in out
    # Every override, not only ranges (digits_active's `strategy` range is at its default, so not shown).
    assert "| agent.total_steps=1,500, agent.evaluation_episodes=5, agent.args.learning_starts=500, " in out
    assert "| iris | 2/2 epochs | epochs=2 |" in out and "active_learning.budget=40" in out
    assert "| test mean_return |" in out and "| test label_efficiency_area |" in out


def test_compare_says_how_to_make_a_run_when_there_is_none_and_refuses_an_unknown_name(tmp_path, capsys):
    assert main(["compare", "--runs-dir", str(tmp_path / "runs")]) == 0
    assert "No runs under" in capsys.readouterr().out
    assert main(["compare", "digits_cnn", "--runs-dir", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert "No runs of 'digits_cnn'" in out and "`make recipe NAME=digits_cnn` makes one" in out
    assert main(["compare", "digits_cnm", "--runs-dir", str(tmp_path / "runs")]) == 2
    assert "Did you mean 'digits_cnn'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_compare_of_finished_runs_does_not_import_tensorflow(runs):
    script = ("import sys\nfrom engine.cli import main\n"
              f"code = main(['compare', '--runs-dir', {str(runs)!r}])\n"
              "print(code, 'tensorflow' in sys.modules)\n")
    found = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert found.stdout.strip().splitlines()[-1] == "0 False", found.stdout[-2000:] + found.stderr[-2000:]


def test_a_search_numbers_its_trials_from_1_everywhere_a_person_reads(runs, capsys):
    search = next((runs / "iris_mlp").glob("tune-*"))
    best, report = read_json(search / "best.json"), (search / "report.md").read_text()
    assert best["trial"] == int(best["trial_id"]) + 1 and f"Best: trial {best['trial']}," in report
    numbers = [line.split(" | ")[1] for line in report.splitlines() if line.startswith("| ") and
               line.split(" | ")[0].strip("| ").isdigit()]
    assert sorted(numbers) == ["1", "2", "3"]
    # Three trials: any importance is said to rest on them.
    assert "These rest on 3 trials only: read them as rough." in report
