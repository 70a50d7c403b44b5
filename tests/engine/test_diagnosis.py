"""The diagnosis on hand-made histories, one per finding."""

import math

import pytest

from engine.report.diagnosis import diagnose, uninformed_loss


def kinds(history, **keywords):
    arguments = {"epochs_requested": len(history["loss"]), "stopped_by": "", "restored_best": False,
                 "task": "classification", "train_score": 0.99, "train_baseline": 0.1, **keywords}
    return {finding.kind: finding for finding in diagnose(history, **arguments)}


def test_rising_validation_loss_with_falling_training_loss_is_overfitting():
    history = {"loss": [1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01],
               "val_loss": [1.0, 0.6, 0.5, 0.55, 0.65, 0.75, 0.85, 0.95]}
    finding = kinds(history)["overfitting"]
    assert finding.problem and "epoch 3" in finding.evidence


def test_small_noisy_validation_loss_is_not_overfitting():
    history = {"loss": [0.5, 0.1, 0.01, 0.005, 0.002, 0.001, 0.001, 0.0005],
               "val_loss": [0.3, 0.05, 0.02, 0.0094, 0.015, 0.02, 0.013, 0.0133]}
    assert "overfitting" not in kinds(history)


def test_non_finite_or_exploding_loss_is_divergence():
    assert "divergence" in kinds({"loss": [2.0, math.nan], "val_loss": [2.0, math.nan]})
    assert "divergence" in kinds({"loss": [2.0, 30.0], "val_loss": [2.0, 40.0]})
    assert "divergence" in kinds({"loss": [5e8, 4e8], "val_loss": [5e8, 4e8]}, uninformed=1.1)


def test_training_score_near_the_easy_baseline_is_underfitting():
    history = {"loss": [2.3, 2.2, 2.1], "val_loss": [2.3, 2.2, 2.1]}
    assert kinds(history, train_score=0.3, train_baseline=0.1)["underfitting"].problem
    assert "underfitting" not in kinds(history, train_score=0.9, train_baseline=0.1)
    assert "underfitting" in kinds(history, task="regression", train_score=0.1)


def test_convergence_says_which_callback_stopped_or_whether_more_epochs_would_help():
    falling = [1.0 / (epoch + 1) for epoch in range(10)]
    steady = {"loss": falling, "val_loss": falling}
    assert "still falling" in kinds(steady)["convergence"].evidence
    stopped = kinds(steady, stopped_by="stopped early by EarlyStopping after epoch 7")["convergence"]
    assert not stopped.problem and "EarlyStopping" in stopped.evidence


def test_uninformed_loss_is_the_entropy_of_the_classes_or_the_variance_of_the_targets():
    expected = pytest.approx(math.log(3))
    assert uninformed_loss("sparse_categorical_crossentropy", "classification", [0, 1, 2] * 5) == expected
    assert uninformed_loss("mse", "regression", [1.0, 3.0]) == 1.0
    assert uninformed_loss("hinge", "classification", [0, 1]) is None
