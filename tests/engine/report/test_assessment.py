"""Evaluation, plots, diagnosis and cost of real runs, checked against scikit-learn computed here."""

from __future__ import annotations

import keras
import numpy as np
import pandas
import pytest
from sklearn import metrics as sk
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import data
from engine.recipe.loading import saved_recipe
from engine.run.building import prepare_data
from tests.conftest import only_run_folder, read_json, run_cli

# Its module-scoped fixture trains once: keep the whole file in one test process (make test runs several).
pytestmark = pytest.mark.xdist_group("test_assessment")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Short real runs: a multi-class, a binary and a regression recipe."""
    runs_dir = tmp_path_factory.mktemp("runs")
    for name, epochs in (("digits_cnn", 3), ("breast_cancer_mlp", 5), ("diabetes_regression", 5)):
        result = run_cli("recipe", name, f"epochs={epochs}", runs_dir=runs_dir)
        assert result.returncode == 0, result.stderr[-3000:]
    return runs_dir


def saved_model_outputs(folder):
    """Predictions of the saved model on the test split, made here, independently of the engine."""
    model = keras.saving.load_model(folder / "model.keras", safe_mode=True)
    prepared = prepare_data(saved_recipe(read_json(folder / "recipe.json")))
    features, targets = prepared.splits["test"]
    return np.asarray(model(features, training=False)), targets, prepared


def test_classification_report_and_confusion_matrix_match_scikit_learn(runs):
    folder = only_run_folder(runs, "digits_cnn")
    outputs, labels, prepared = saved_model_outputs(folder)
    predicted = outputs.argmax(axis=1)
    figures = read_json(folder / "metrics.json")["evaluation"]["test"]
    assert figures["confusion_matrix"] == sk.confusion_matrix(labels, predicted).tolist()
    expected = sk.classification_report(labels, predicted, target_names=prepared.class_names, output_dict=True,
                                        zero_division=0)
    for name in [*prepared.class_names, "macro avg", "weighted avg"]:
        for key in ("precision", "recall", "f1-score", "support"):
            assert figures["classification_report"][name][key] == pytest.approx(expected[name][key])
    assert figures["accuracy"] == pytest.approx(sk.accuracy_score(labels, predicted))
    report = (folder / "report.md").read_text()
    macro = expected["macro avg"]
    assert (f"| macro avg | {macro['precision']:.4f} | {macro['recall']:.4f} | {macro['f1-score']:.4f} "
            f"| {int(macro['support'])} |") in report


def test_binary_runs_report_roc_and_pr_auc_with_curves(runs):
    folder = only_run_folder(runs, "breast_cancer_mlp")
    outputs, labels, _ = saved_model_outputs(folder)
    scores = outputs.reshape(-1)
    figures = read_json(folder / "metrics.json")["evaluation"]["test"]
    assert figures["roc_auc"] == pytest.approx(sk.roc_auc_score(labels, scores), abs=1e-6)
    assert figures["pr_auc"] == pytest.approx(sk.average_precision_score(labels, scores), abs=1e-6)
    assert (folder / "roc_pr_curves.png").read_bytes().startswith(PNG_SIGNATURE)
    assert f"ROC AUC {figures['roc_auc']:.4f}" in (folder / "report.md").read_text()


def test_regression_figures_are_in_the_targets_own_units(runs):
    folder = only_run_folder(runs, "diabetes_regression")
    outputs, _, _ = saved_model_outputs(folder)
    recipe = read_json(folder / "recipe.json")
    # Undo the target standardization from the raw data and the split alone.
    raw = data.load("diabetes")
    parts = data.split_indices(raw.targets, recipe["data"]["validation_split"], recipe["data"]["test_split"],
                               recipe["seed"], stratify=False)
    train_targets, truth = raw.targets[parts["train"]], raw.targets[parts["test"]]
    predicted = outputs.reshape(-1) * train_targets.std() + train_targets.mean()
    figures = read_json(folder / "metrics.json")["evaluation"]["test"]
    assert figures["r2"] == pytest.approx(sk.r2_score(truth, predicted), abs=1e-4)
    assert figures["mse"] == pytest.approx(sk.mean_squared_error(truth, predicted), rel=1e-4)
    assert figures["mae"] == pytest.approx(sk.mean_absolute_error(truth, predicted), rel=1e-4)
    assert figures["rmse"] == pytest.approx(np.sqrt(figures["mse"]))
    assert figures["mae"] > 20  # disease-score units, not standard deviations
    baseline = read_json(folder / "metrics.json")["baseline"]["test"]
    assert baseline["mse"] == pytest.approx(sk.mean_squared_error(truth, np.full_like(truth, train_targets.mean())),
                                            rel=1e-4)
    assert (folder / "regression.png").read_bytes().startswith(PNG_SIGNATURE)


def test_plots_are_png_files_and_tensorboard_images(runs):
    folder = only_run_folder(runs, "digits_cnn")
    for name in ("learning_curves", "confusion_matrix"):
        assert (folder / f"{name}.png").read_bytes().startswith(PNG_SIGNATURE)
    accumulator = EventAccumulator(str(folder / "logs"), size_guidance={"tensors": 0})
    accumulator.Reload()
    images = accumulator.PluginTagToContent("images")
    assert {"plots/learning_curves", "plots/confusion_matrix"} <= set(images)
    stored = accumulator.Tensors("plots/confusion_matrix")[0].tensor_proto.string_val
    assert stored[2].startswith(PNG_SIGNATURE)  # width, height, then the encoded image
    assert "classification_report" in accumulator.PluginTagToContent("text")


def test_cost_figures_are_measured(runs):
    folder = only_run_folder(runs, "breast_cancer_mlp")
    cost = read_json(folder / "metrics.json")["cost"]
    model = keras.saving.load_model(folder / "model.keras", safe_mode=True)
    assert cost["parameters"] == model.count_params()
    weights = sum(int(np.prod(layer.kernel.shape)) for layer in model.get_layer("backbone").layers
                  if hasattr(layer, "kernel")) + int(np.prod(model.get_layer("head").kernel.shape))
    # A dense layer costs two FLOPs per weight (multiply, add), plus biases and activations.
    assert 2 * weights <= cost["forward_flops_per_sample"] <= 2.5 * weights
    assert cost["training_flops_per_sample_estimate"] == 3 * cost["forward_flops_per_sample"]
    epochs = read_json(folder / "env.json")["epochs_run"]
    assert len(cost["seconds_per_epoch"]) == epochs and all(seconds > 0 for seconds in cost["seconds_per_epoch"])
    assert cost["train_samples_per_second"] > 0
    assert cost["peak_memory_bytes"] > 100 * 2**20


def test_catalog_settings_are_not_diagnosed_with_problems_in_short_runs_either(runs):
    for name in ("digits_cnn", "breast_cancer_mlp", "diabetes_regression"):
        diagnosis = read_json(only_run_folder(runs, name) / "metrics.json")["diagnosis"]
        assert not [finding for finding in diagnosis if finding["kind"] in ("overfitting", "divergence")], name


def test_overfitting_is_flagged_on_a_run_made_to_overfit(tmp_path):
    """A wide, unregularized MLP on 5% of the digits, trained far past its best epoch at a high rate."""
    runs_dir = tmp_path / "runs"
    result = run_cli("recipe", "digits_cnn", "data.validation_split=0.45", "data.test_split=0.5",
                     'model={"name": "mlp", "args": {"width": 512, "depth": 3}}', "epochs=60", "callbacks=[]",
                     "optimizer.learning_rate=0.005", runs_dir=runs_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = only_run_folder(runs_dir, "digits_cnn")
    findings = {finding["kind"]: finding for finding in read_json(folder / "metrics.json")["diagnosis"]}
    assert findings["overfitting"]["problem"]
    assert "validation loss fell to" in findings["overfitting"]["evidence"]
    assert "Diagnosis, overfitting:" in result.stdout
    assert "**overfitting** (problem)" in (folder / "report.md").read_text()


def test_divergence_is_flagged_and_the_run_exits_1(tmp_path):
    runs_dir = tmp_path / "runs"
    result = run_cli("recipe", "iris_mlp", "optimizer.learning_rate=1e8", runs_dir=runs_dir)
    assert result.returncode == 1
    assert "training diverged" in result.stderr and "Traceback" not in result.stderr
    folder = only_run_folder(runs_dir, "iris_mlp")
    assert read_json(folder / "env.json")["status"] == "diverged"
    kinds = [finding["kind"] for finding in read_json(folder / "metrics.json")["diagnosis"]]
    assert kinds[0] == "divergence"
    assert "lower the learning rate" in (folder / "report.md").read_text()


def test_compare_lists_runs_newest_first_with_settings_and_test_metrics(tmp_path):
    runs_dir = tmp_path / "runs"
    for epochs in (1, 2):
        assert run_cli("recipe", "iris_mlp", f"epochs={epochs}", runs_dir=runs_dir).returncode == 0
    result = run_cli("compare", "iris_mlp", "--runs-dir", str(runs_dir), runs_dir=runs_dir)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("| 2")]
    folders = sorted(path.name for path in (runs_dir / "iris_mlp").iterdir())
    assert [line.split(" | ")[0].strip("| ") for line in lines] == folders[::-1]
    assert "| 2/2 epochs | epochs=2 |" in lines[0] and "| 1/1 epochs | epochs=1 |" in lines[1]
    assert "test accuracy" in result.stdout and "| iris |" in lines[0]
    missing = run_cli("compare", "iris_mpl", "--runs-dir", str(runs_dir), runs_dir=runs_dir)
    assert missing.returncode == 2 and "Did you mean 'iris_mlp'" in missing.stderr


def test_compare_shows_a_reinforcement_runs_environment_steps_of_its_budget(tmp_path, capsys):
    import json
    import shutil

    from engine.cli import main
    from engine.recipe.loading import load_recipe
    from engine.recipe.overrides import apply_overrides
    from engine.run.training import run_recipe

    tiny = {"agent.total_steps": 300, "agent.evaluation_episodes": 2, "agent.args.learning_starts": 100,
            "agent.args.train_frequency": 100, "agent.args.gradient_steps": 2, "agent.args.validation_episodes": 2}
    runs_dir = tmp_path / "runs"
    folder = run_recipe(apply_overrides(load_recipe("cartpole_dqn"), tiny), runs_dir=runs_dir,
                        console=lambda line: None, verbose=0).folder
    # A run stopped part way: env.json has no count nor progress yet, history.csv its finished episodes.
    stopped = shutil.copytree(folder, runs_dir / "cartpole_dqn" / "29991231-000000-stopped")
    env = read_json(stopped / "env.json")
    del env["environment_steps"], env["progress"]
    (stopped / "env.json").write_text(json.dumps({**env, "status": "interrupted"}))
    last_steps = int(pandas.read_csv(stopped / "history.csv")["steps"].iloc[-1])
    assert main(["compare", "cartpole_dqn", "--runs-dir", str(runs_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "| progress |" in lines[0] and "test mean_return" in lines[0]
    assert lines[2].startswith("| 29991231-000000-stopped | interrupted | CartPole-v1 (environment) |")
    assert f"| {last_steps}/300 environment steps |" in lines[2]
    assert lines[3].startswith(f"| {folder.name} | complete | CartPole-v1 (environment) | 300/300 environment steps |")


EXPLODING = '''
from engine import Data, Model, Recipe


# The learning rate doubles at every step: the loss is fine after epoch 1 and explodes in epoch 2.
recipe = Recipe(
    data=Data(source="iris", preprocessing=[{"name": "standardize"}]),
    model=Model("mlp", args={"width": 16}),
    loss="sparse_categorical_crossentropy",
    optimizer={"name": "sgd", "learning_rate": {"class_name": "ExponentialDecay", "config": {
        "initial_learning_rate": 0.01, "decay_steps": 1, "decay_rate": 2.0}}},
    batch_size=16, epochs=6, seed=1,
)
'''


def test_a_diverging_run_keeps_the_weights_of_its_last_good_epoch(tmp_path):
    (tmp_path / "exploding.py").write_text(EXPLODING)
    runs_dir = tmp_path / "runs"
    result = run_cli("recipe", str(tmp_path / "exploding.py"), runs_dir=runs_dir)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    folder = only_run_folder(runs_dir, "exploding")
    env = read_json(folder / "env.json")
    history = pandas.read_csv(folder / "history.csv")
    assert env["status"] == "diverged" and env["last_good"]["epoch"] == 1
    assert history["loss"][0] < 2 and history["loss"][1] > 10 * history["loss"][0]
    assert "last_good.weights.h5" in result.stderr and not (folder / "backup").exists()
    model = keras.saving.load_model(folder / "model.keras", safe_mode=True)
    model.load_weights(folder / "last_good.weights.h5")
    assert all(np.isfinite(weight).all() for weight in model.get_weights())


GROWING = '''
import keras

from engine import Data, Model, Recipe


class TripleTheWeights(keras.callbacks.Callback):
    """Multiplies every weight by 3 after each epoch: a loss that grows while staying finite."""

    def on_epoch_end(self, epoch, logs=None):
        self.model.set_weights([weight * 3.0 for weight in self.model.get_weights()])


def linear(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(inputs))


recipe = Recipe(
    data=Data(source="diabetes", preprocessing=[{"name": "standardize"}]),
    model=Model(builder=linear),
    loss="mse",
    optimizer={"name": "sgd", "learning_rate": 0.01},
    callbacks=[{"name": TripleTheWeights}],
    batch_size=32, epochs=20, seed=1,
)
'''


def test_a_run_whose_loss_blows_up_while_finite_stops_at_the_epoch_the_divergence_rule_fires(tmp_path):
    (tmp_path / "growing.py").write_text(GROWING)
    runs_dir = tmp_path / "runs"
    result = run_cli("recipe", str(tmp_path / "growing.py"), runs_dir=runs_dir)
    assert result.returncode == 1 and "training diverged" in result.stderr, result.stderr[-2000:]
    folder = only_run_folder(runs_dir, "growing")
    losses = list(pandas.read_csv(folder / "history.csv")["loss"])
    assert all(np.isfinite(losses))
    fired = next(epoch for epoch, loss in enumerate(losses, start=1) if loss > 10 * losses[0])
    assert len(losses) == fired < 20  # it stopped at the epoch the rule fired, not at the last epoch
    assert read_json(folder / "env.json")["status"] == "diverged"
    assert read_json(folder / "metrics.json")["diagnosis"][0]["kind"] == "divergence"
