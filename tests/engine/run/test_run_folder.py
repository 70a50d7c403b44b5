"""A real run of digits_cnn (two epochs) through the command line, and what it leaves behind."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import keras
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.hparams import plugin_data_pb2

from tests.conftest import ROOT, only_run_folder, read_json, run_cli, without_cost

# Its module-scoped fixture trains once: keep the whole file in one test process (make test runs several).
pytestmark = pytest.mark.xdist_group("test_run_folder")

ARTIFACTS = ("recipe.json", "env.json", "model.keras", "metrics.json", "history.csv", "report.md")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    runs_dir = tmp_path_factory.mktemp("runs")
    result = run_cli("recipe", "digits_cnn", "epochs=2", runs_dir=runs_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    return runs_dir, only_run_folder(runs_dir, "digits_cnn"), result


def test_the_run_folder_holds_every_artifact_and_no_temporary_file(finished_run):
    _, folder, _ = finished_run
    for name in ARTIFACTS:
        assert (folder / name).is_file(), name
    assert (folder / "logs" / "train").is_dir() and (folder / "logs" / "validation").is_dir()
    assert not [path.name for path in folder.iterdir() if path.name.startswith(".")]
    assert folder.name[:8].isdigit() and folder.name[8] == "-"


def test_the_console_summary_names_the_test_accuracy_and_the_folder(finished_run):
    _, folder, result = finished_run
    accuracy = read_json(folder / "metrics.json")["test"]["accuracy"]
    assert f"digits_cnn: test accuracy {accuracy:.4f}" in result.stdout
    assert f"Run folder: {folder}" in result.stdout
    assert "make tensorboard" in result.stdout


def test_metrics_history_and_env_describe_the_run(finished_run):
    _, folder, _ = finished_run
    metrics = read_json(folder / "metrics.json")
    assert set(metrics) == {"test", "validation", "evaluation", "baseline", "diagnosis", "cost", "time_to_target"}
    assert set(metrics["test"]) == {"loss", "accuracy"}
    with open(folder / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["epoch"] for row in rows] == ["1", "2"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(rows[0])
    env = read_json(folder / "env.json")
    assert env["status"] == "complete"
    assert env["seed"] == 42
    assert env["strategy"]["name"] == "cpu" and env["strategy"]["replicas"] == 1
    assert {"python", "keras", "tensorboard", "scikit-learn"} <= set(env["versions"])
    # 1,797 digits: 20% test (sklearn rounds up: 360), then 15% of all for validation (270).
    assert env["data"]["sizes"] == {"train": 1167, "validation": 270, "test": 360}
    report = (folder / "report.md").read_text()
    assert f"| accuracy | {metrics['validation']['accuracy']:.4f} | {metrics['test']['accuracy']:.4f} |" in report


def test_the_saved_model_loads_in_safe_mode_and_reproduces_the_test_metric(finished_run):
    _, folder, _ = finished_run
    model = keras.saving.load_model(folder / "model.keras", safe_mode=True)
    assert model.get_layer("backbone") is not None and model.get_layer("head").units == 10
    from engine.recipe.loading import saved_recipe
    from engine.run.building import prepare_data

    prepared = prepare_data(saved_recipe(read_json(folder / "recipe.json")))
    features, labels = prepared.splits["test"]
    predictions = model.predict(features, verbose=0).argmax(axis=1)
    accuracy = float((predictions == labels).mean())
    assert accuracy == pytest.approx(read_json(folder / "metrics.json")["test"]["accuracy"], abs=1e-6)


def test_recipe_json_is_resolved_and_keeps_the_ranges_it_came_from(finished_run):
    _, folder, _ = finished_run
    resolved = read_json(folder / "recipe.json")
    assert resolved["epochs"] == 2
    assert resolved["optimizer"]["learning_rate"] == 2e-3
    assert resolved["hyperparameters"]["learning_rate"]["value"] == 2e-3
    assert resolved["hyperparameters"]["learning_rate"]["min_value"] == 1e-4
    assert "hp" not in json.dumps({key: value for key, value in resolved.items() if key != "hyperparameters"})


def _accumulator(path):
    accumulator = EventAccumulator(str(path), size_guidance={"tensors": 0, "scalars": 0})
    accumulator.Reload()
    return accumulator


def test_tensorboard_logs_hold_scalars_recipe_text_and_hparams(finished_run):
    _, folder, _ = finished_run
    logs = folder / "logs"
    for split in ("train", "validation"):
        tags = _accumulator(logs / split).Tags()["tensors"]
        assert "epoch_loss" in tags and "epoch_accuracy" in tags, (split, tags)
    train_tags = _accumulator(logs / "train").Tags()["tensors"]
    assert "epoch_learning_rate" in train_tags
    losses = _accumulator(logs / "train").Tensors("epoch_loss")
    assert [event.step for event in losses] == [0, 1]
    # Each value under its own tag and step (all of an epoch's scalars go out in one compiled call).
    with open(folder / "history.csv") as handle:
        history = list(csv.DictReader(handle))
    validation = _accumulator(logs / "validation")
    for accumulator, tag, column in ((_accumulator(logs / "train"), "epoch_loss", "loss"),
                                     (_accumulator(logs / "train"), "epoch_learning_rate", "learning_rate"),
                                     (validation, "epoch_accuracy", "val_accuracy"),
                                     (validation, "evaluation_loss_vs_iterations", "val_loss")):
        logged = [float(tf.make_ndarray(event.tensor_proto)) for event in accumulator.Tensors(tag)]
        assert logged == pytest.approx([float(row[column]) for row in history], rel=1e-6), tag
    iterations = [event.step for event in validation.Tensors("evaluation_loss_vs_iterations")]
    assert iterations[0] > 0 and iterations[1] == 2 * iterations[0], "steps: the optimizer's iterations"

    top = _accumulator(logs)
    assert "recipe" in top.PluginTagToContent("text")
    recipe_text = top.Tensors("recipe")[0].tensor_proto.string_val[0].decode()
    assert '"source": "digits"' in recipe_text
    assert "test_accuracy" in top.Tags()["tensors"]

    plugin = top.PluginTagToContent(hparams_metadata.PLUGIN_NAME)
    session = plugin_data_pb2.HParamsPluginData.FromString(plugin[hparams_metadata.SESSION_START_INFO_TAG])
    values = session.session_start_info.hparams
    assert values["learning_rate"].number_value == pytest.approx(2e-3)
    assert values["filters"].number_value == 32
    assert values["optimizer"].string_value == "adam"
    # The row is named by recipe and run, and says what ran (tests/engine/report/test_runs_apart.py: across recipes).
    assert session.session_start_info.group_name == f"digits_cnn/{folder.name}"
    assert (values["recipe"].string_value, values["kind"].string_value, values["data"].string_value) == \
        ("digits_cnn", "supervised", "digits")
    # No experiment configuration: TensorBoard would take the first one it finds for every run under runs/.
    assert hparams_metadata.EXPERIMENT_TAG not in plugin


def test_rerunning_recipe_json_reproduces_the_test_metrics(finished_run):
    runs_dir, folder, _ = finished_run
    again = run_cli("recipe", str(folder / "recipe.json"), runs_dir=runs_dir)
    assert again.returncode == 0, again.stderr[-3000:]
    folders = sorted((runs_dir / "digits_cnn").iterdir())
    assert len(folders) == 2
    second = next(path for path in folders if path != folder)
    assert without_cost(read_json(second / "metrics.json")) == without_cost(read_json(folder / "metrics.json"))


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_real_tensorboard_server_on_127_0_0_1_lists_the_run(finished_run):
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    runs_dir, folder, _ = finished_run
    port = _free_port()
    tensorboard = Path(sys.executable).with_name("tensorboard")
    server = subprocess.Popen(
        [str(tensorboard), "--logdir", str(runs_dir), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        runs: list = []
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/runs", timeout=5) as response:
                    runs = json.loads(response.read())
                if any(run.endswith(f"{folder.name}/logs/train") for run in runs):
                    break
            except OSError:
                pass
            time.sleep(1)
        assert any(run.endswith(f"{folder.name}/logs/validation") for run in runs), runs
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_two_runs_of_one_recipe_started_together_get_their_own_complete_folders(tmp_path):
    runs_dir = tmp_path / "runs"
    command = [sys.executable, "-m", "engine", "recipe", "iris_mlp", "epochs=2", "--runs-dir", str(runs_dir)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read()[-2000:]
    folders = sorted((runs_dir / "iris_mlp").iterdir())
    assert len(folders) == 2
    for folder in folders:
        assert read_json(folder / "env.json")["status"] == "complete"
        assert (folder / "metrics.json").is_file() and (folder / "model.keras").is_file()
