"""Report defects a new user met (issue 27), each on real runs or real data: what reports, `make predict` and
`make export` say and write. (The PPO report's target network is checked in test_advice.py, the trial numbers
and the importance caveat of a real search in test_runs_apart.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pandas
import pytest
from sklearn.datasets import load_digits

from engine.cli import main
from engine.report.representation import pixel_grid, reconstruction_figure
from engine.tune.report import render_tune_report, trial_number
from tests.conftest import only_run_folder


def _train(runs_dir: Path, name: str, *overrides: str) -> Path:
    assert main(["recipe", name, *overrides, "--runs-dir", str(runs_dir)]) == 0
    return only_run_folder(runs_dir, name)


def test_flat_8x8_digits_are_drawn_as_images_and_sequences_as_lines():
    digits = load_digits()
    shape = pixel_grid(digits.feature_names)
    assert shape == (8, 8, 1)
    images = reconstruction_figure(digits.data[:8], digits.data[:8] * 0.9, image_shape=shape)
    assert images.texts[0].get_text() == "Test samples and their reconstructions"
    assert all(len(axis.images) == 1 and not axis.lines for axis in images.axes)
    # Features not named by pixel (mnist1d's 40 points) stay a sequence: lines, no image.
    assert pixel_grid([f"x{index}" for index in range(64)]) is None
    sequences = reconstruction_figure(digits.data[:4], digits.data[:4], image_shape=None)
    assert sequences.texts[0].get_text().startswith("Test sequences")
    assert all(not axis.images for axis in sequences.axes)


def test_an_autoencoders_report_draws_images_and_names_its_output_by_shape(tmp_path):
    from PIL import Image

    folder = _train(tmp_path, "digits_autoencoder", "epochs=2")
    report = (folder / "report.md").read_text()
    assert "None units" not in report
    assert "output of shape (64,) (no class or target layer: it learns without labels), sigmoid." in report
    width, height = Image.open(folder / "reconstructions.png").size
    assert width > 3 * height  # two rows of 8 images; 8 line panels would be 4 by 2, under 3 times as wide
    assert json.loads((folder / "env.json").read_text())["output_layer"]["shape"] == [64]


def test_trials_are_numbered_from_1_and_few_trials_carry_a_caveat():
    from types import SimpleNamespace

    assert [trial_number(trial_id) for trial_id in ("0", "00", "09", "x")] == [1, 1, 10, "x"]
    search = SimpleNamespace(ranges=[SimpleNamespace(name="width")], folder="runs/x",
                             objective=SimpleNamespace(name="val_accuracy", direction="max"),
                             recipe=SimpleNamespace(name="pets"), resolved=SimpleNamespace(tuner=SimpleNamespace(
                                 name="random")))

    def report(count: int) -> str:
        rows = [{"trial_id": str(index), "trial": index + 1, "status": "COMPLETED", "score": 0.5 + index / 100,
                 "best_step": 0, "values": {"width": 8 * (index + 1)}, "reason": ""} for index in range(count)]
        best = {"trial": count, "score": rows[-1]["score"], "hyperparameters": rows[-1]["values"]}
        return render_tune_report(search, rows, best, {"width": 1.0}, {"COMPLETED": count})

    assert "over the 3 completed trials" in report(3) and "These rest on 3 trials only" in report(3)
    assert "over the 12 completed trials" in report(12) and "These rest on" not in report(12)
    assert "Best: trial 3," in report(3) and "trial 1 is `keras_tuner/trial_0`" in report(3)


@pytest.fixture(scope="module")
def small_runs(tmp_path_factory) -> dict[str, Path]:
    """A table run (penguins: target `species`) and an array run (iris: scikit-learn's `target`), one epoch each."""
    runs_dir = tmp_path_factory.mktemp("defects")
    return {name: _train(runs_dir, name, "epochs=1") for name in ("penguins_tabular", "iris_mlp")}


def _held_out_rows(folder: Path) -> pandas.DataFrame:
    """The run's test split as a user's held-out file has it: the features and the target column."""
    from engine.serve.state import raw_test_split

    recipe = json.loads((folder / "recipe.json").read_text())
    features, targets = raw_test_split(recipe)
    if isinstance(features, pandas.DataFrame):
        return features.assign(species=list(targets))
    names = json.loads((folder / "preprocessing.json").read_text())["raw_inputs"]["names"]
    return pandas.DataFrame(features, columns=names).assign(target=targets)


@pytest.mark.parametrize(("name", "target"), [("penguins_tabular", "species"), ("iris_mlp", "target")])
def test_predict_ignores_the_target_column_says_so_and_writes_into_the_run_folder(small_runs, name, target,
                                                                                   tmp_path, monkeypatch, capsys):
    folder = small_runs[name]
    rows = _held_out_rows(folder)
    rows.to_csv(tmp_path / "held_out.csv", index=False)
    monkeypatch.chdir(tmp_path)
    assert main(["predict", str(folder), "held_out.csv"]) == 0
    out = capsys.readouterr().out
    assert f"Note: the input's column {target!r} is the target the model was trained to predict; it is ignored" \
        in out
    written = folder / "predictions" / "held_out.csv"
    assert f"Predictions written to {written}" in out
    assert len(pandas.read_csv(written)) == len(rows)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["held_out.csv"]  # nothing in the current folder
    # A column that is neither a feature nor the target is still refused, and nothing is written.
    rows.assign(colour="blue").to_csv(tmp_path / "extra.csv", index=False)
    assert main(["predict", str(folder), "extra.csv"]) == 2
    assert "['colour'] that the model was not trained on" in capsys.readouterr().err
    assert not (folder / "predictions" / "extra.csv").exists()


def test_an_unknown_export_format_is_worded_for_make_and_for_python_users(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--format", "onxx"]) == 2
    message = capsys.readouterr().err
    assert "FORMAT= with make export, --format with python -m engine export" in message
    assert "Did you mean 'onnx'" in message and list(tmp_path.iterdir()) == []
