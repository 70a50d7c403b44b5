"""The Markdown that reports are made of, on hand-made figures: tables, counted nouns, report.md's sections."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from common.text import markdown_row, markdown_table, plural, significant
from engine.report.compare import format_table, number
from engine.report.diagnosis import Finding
from engine.report.run_report import classification_report_markdown, render_report
from engine.tune.report import render_tune_report


def test_counted_nouns_are_singular_only_for_one():
    assert [plural(count, "epoch") for count in (0, 1, 2)] == ["0 epochs", "1 epoch", "2 epochs"]
    assert plural(3, "replica") == "3 replicas" and plural(2, "process", "processes") == "2 processes"


def test_table_cells_keep_strings_and_write_floats_with_decimals_or_significant_figures():
    assert markdown_table(["a", "b"], [[0.5, None], ["x", 3]]) == ["| a | b |", "|---|---|", "| 0.5000 |  |",
                                                                   "| x | 3 |"]
    assert markdown_row(["seed", 0.123456], digits=2) == "| seed | 0.12 |"
    assert [significant(value) for value in (0.001234567, 12345.678, 3, None)] == ["0.001235", "1.235e+04", "3", ""]


def evaluation() -> SimpleNamespace:
    report = {"cat": {"precision": 0.5, "recall": 0.25, "f1-score": 1 / 3, "support": 4.0},
              "dog": {"precision": 0.5714, "recall": 1.0, "f1-score": 0.7273, "support": 4.0},
              "accuracy": 0.625,
              "macro avg": {"precision": 0.5357, "recall": 0.625, "f1-score": 0.5303, "support": 8.0}}
    return SimpleNamespace(figures={"classification_report": report, "confusion_matrix": [[1, 3], [0, 4]],
                                    "roc_auc": 0.875, "pr_auc": 0.8})


def test_classification_report_has_a_row_per_class_then_accuracy_over_all_samples():
    lines = classification_report_markdown(evaluation()).splitlines()
    assert lines[:3] == ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|",
                         "| cat | 0.5000 | 0.2500 | 0.3333 | 4 |"]
    assert lines[-2] == "| macro avg | 0.5357 | 0.6250 | 0.5303 | 8 |"
    assert lines[-1].split("|")[1:-1] == [" accuracy ", "  ", "  ", " 0.6250 ", " 8 "]


def summary(epochs: int) -> dict:
    """What engine.run.record hands render_report, for a binary classifier."""
    assessment = SimpleNamespace(
        evaluation=evaluation(), evaluation_error="", baseline={"kind": "always predict cat", "accuracy": 0.5},
        findings=[Finding("overfitting", True, "validation loss rose", "add regularization")],
        cost={"parameters": 1234, "trainable_parameters": 1234, "forward_flops_per_sample": 2000,
              "training_flops_per_sample_estimate": 6000, "mean_seconds_per_epoch": 0.25,
              "train_samples_per_second": 800.0, "peak_memory_bytes": 400 * 2**20},
        pictures={"learning_curves": Path("learning_curves.png")}, representation=None)
    recipe = {"name": "pets", "description": "Cats or dogs.\nMore.", "targets": {"accuracy": 0.6}, "epochs": epochs,
              "data": {"source": "pets", "augmentation": []}, "seed": 7, "model": {"name": "mlp", "builder": None},
              "loss": "binary_crossentropy", "optimizer": {"name": "adam"}, "batch_size": 4}
    return {"run_id": "20260101-000000", "recipe": recipe, "task": "classification", "assessment": assessment,
            "metrics": {"test": {"loss": 0.5, "accuracy": 0.625}, "validation": {"loss": 0.4, "accuracy": 0.75}},
            "env": {"strategy": {"name": "cpu", "replicas": 1, "devices": ["CPU:0"]}},
            "epochs_run": 1, "train_seconds": 1.25, "stopped_by": "",
            "sizes": {"train": 10, "validation": 3, "test": 8},
            "class_counts": {"train": [5, 5], "validation": [2, 1], "test": [4, 4]}, "test_from": "split",
            "steps": [{"name": "standardize", "mean": [0.5]}], "parameters": 1234,
            "output": {"units": 1, "activation": "sigmoid"}, "hyperparameters": {"width": 8}}


def test_report_md_has_its_sections_in_order_with_tables_from_one_helper():
    report = render_report(summary(epochs=1))
    headings = [line for line in report.splitlines() if line.startswith("#")]
    assert headings == ["# pets: run 20260101-000000", "## Results", "## Evaluation on the test split (scikit-learn)",
                        "## Diagnosis", "## Cost", "## Plots", "## Data", "## Model and training", "## Files"]
    assert "| metric | validation | test |\n|---|---|---|\n| loss | 0.4000 | 0.5000 |\n| accuracy | 0.7500 |" in report
    assert "Targets: test accuracy >= 0.6: met (0.6250)." in report
    assert "Trained 1 of 1 epoch in 1.2 s (ran every epoch)." in report
    assert "ROC AUC 0.8750; PR AUC (average precision) 0.8000." in report
    assert "- **overfitting** (problem): validation loss rose. Remedy: add regularization." in report
    assert "| split | samples | samples per class |\n|---|---|---|\n| train | 10 | [5, 5] |" in report
    assert '- `standardize`: mean [0.5]' in report and "![learning_curves](learning_curves.png)" in report
    assert "Trained 1 of 5 epochs" in render_report(summary(epochs=5))


def test_compare_writes_every_number_one_way_settings_and_metrics_alike():
    rows = [{"run": "20260102-000000", "status": "complete", "data": "iris", "progress": "2/2 epochs",
             "changed": {"epochs": 2, "optimizer.learning_rate": 0.000123456, "model.args.activation": "relu"},
             "test": {"accuracy": 0.987654, "mean_return": 12000.0}},
            {"run": "20260101-000000", "status": "diverged", "data": "csv my.csv", "progress": "1/1 epochs",
             "changed": {}, "test": {}}]
    assert format_table(rows).splitlines() == [
        "| run | status | data | progress | settings changed from the recipe | test accuracy | test mean_return |",
        "|---|---|---|---|---|---|---|",
        '| 20260102-000000 | complete | iris | 2/2 epochs | epochs=2, optimizer.learning_rate=0.0001235, '
        'model.args.activation="relu" | 0.9877 | 12,000 |',
        "| 20260101-000000 | diverged | csv my.csv | 1/1 epochs | none |  |  |"]
    assert [number(value) for value in (0.9, 188.66, 999.96, 20000, 1.2e-5, None)] == \
        ["0.9", "188.7", "1,000", "20,000", "1.2e-05", ""]


def test_tune_report_lists_trials_best_first_with_one_based_best_epochs():
    search = SimpleNamespace(ranges=[SimpleNamespace(name="width"), SimpleNamespace(name="learning_rate")],
                             objective=SimpleNamespace(name="val_accuracy", direction="max"),
                             recipe=SimpleNamespace(name="pets"), folder="runs/x",
                             resolved=SimpleNamespace(tuner=SimpleNamespace(name="random")))
    rows = [{"trial_id": "1", "trial": 2, "status": "COMPLETED", "score": 0.912345, "best_step": 2,
             "values": {"width": 8, "learning_rate": 0.00123456}, "reason": ""},
            {"trial_id": "0", "trial": 1, "status": "FAILED", "score": None, "best_step": None, "values": {"width": 16},
             "reason": "FailedTrialError: the loss became nan"}]
    best = {"trial_id": "1", "trial": 2, "score": 0.912345,
            "hyperparameters": {"width": 8, "learning_rate": 0.00123456}}
    report = render_tune_report(search, rows, best, None, {"COMPLETED": 1, "FAILED": 1})
    assert ("| rank | trial | status | val_accuracy | best epoch | width | learning_rate |\n"
            "|---|---|---|---|---|---|---|\n"
            "| 1 | 2 | completed | 0.9123 | 3 | 8 | 0.001235 |\n"
            "| 2 | 1 | failed |  |  | 16 | - |") in report
    assert "- trial 1 (failed): FailedTrialError: the loss became nan" in report and "Best: trial 2," in report
