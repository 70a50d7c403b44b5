"""The diagnosis on hand-made histories, one per finding, and DivergenceStop on tiny real fits."""

import math

import keras
import numpy as np
import pytest

from engine.report.diagnosis import (
    EXPLODING_FACTOR,
    DivergenceStop,
    StopOnNaN,
    best_epoch,
    diagnose,
    divergence,
    divergence_at,
    uninformed_loss,
)


def kinds(history, **keywords):
    arguments = {"epochs_requested": len(history["loss"]), "stopped_by": "", "restored_best": False,
                 "task": "classification", "train_score": 0.99, "train_baseline": 0.1, **keywords}
    return {finding.kind: finding for finding in diagnose(history, **arguments)}


def test_rising_validation_loss_with_falling_training_loss_is_overfitting():
    history = {"loss": [1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01],
               "val_loss": [1.0, 0.6, 0.5, 0.55, 0.65, 0.75, 0.85, 0.95]}
    finding = kinds(history)["overfitting"]
    assert finding.problem and "epoch 3" in finding.evidence
    # Early stopping that put back epoch 3's weights leaves a model from before the rise: said, not a problem.
    restored = kinds(history, restored_best=True)["overfitting"]
    assert not restored.problem and "holds epoch 3's weights" in restored.evidence and "patience" in restored.remedy


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


def test_best_epoch_is_one_based_and_none_without_a_finite_validation_loss():
    assert best_epoch({"loss": [3.0, 2.0, 1.0], "val_loss": [2.0, 1.0, 1.5]}) == 2
    assert best_epoch({"loss": [3.0, 2.0]}) is None
    assert best_epoch({"loss": [3.0, 2.0], "val_loss": [2.0, math.nan]}) is None


def test_divergence_of_a_history_is_the_rule_at_its_first_non_finite_or_its_last_epoch():
    assert divergence([2.0, 3.0, 2.5]) is None
    assert "became nan at epoch 2" in divergence([2.0, math.nan, 50.0]).evidence
    grown = divergence([2.0, 5.0, 30.0])
    assert grown.evidence == divergence_at(3, 30.0, 2.0).evidence
    assert "in epoch 3" in grown.evidence
    assert divergence([5e8, 4e8], uninformed=1.1).kind == "divergence"


def tiny_model(learning_rate: float) -> keras.Model:
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


def test_divergence_stop_ends_a_run_whose_loss_grows_tenfold():
    keras.utils.set_random_seed(1)
    features = np.linspace(-1, 1, 64, dtype="float32").reshape(-1, 1)
    # One full batch per epoch; at this learning rate each SGD step overshoots, and the MSE
    # grows about 2.4 times per epoch while staying finite.
    stop = DivergenceStop(uninformed=None)
    losses = tiny_model(3.7).fit(features, 1000 * features, batch_size=64, epochs=30, verbose=0,
                                 callbacks=[stop]).history["loss"]
    first_over = next(epoch for epoch, loss in enumerate(losses, start=1) if loss > EXPLODING_FACTOR * losses[0])
    assert stop.stopped_epoch == first_over == len(losses) < 30
    assert all(math.isfinite(loss) for loss in losses)
    assert stop.finding.kind == "divergence" and f"in epoch {first_over}" in stop.finding.evidence
    # The callback and the diagnosis of the finished history say the same thing.
    assert kinds({"loss": losses, "val_loss": losses})["divergence"] == stop.finding


def test_divergence_stop_leaves_a_healthy_run_alone():
    keras.utils.set_random_seed(1)
    features = np.linspace(-1, 1, 64, dtype="float32").reshape(-1, 1)
    stop = DivergenceStop(uninformed=float(np.var(1000 * features)))
    losses = tiny_model(0.5).fit(features, 1000 * features, batch_size=64, epochs=5, verbose=0,
                                 callbacks=[stop]).history["loss"]
    assert len(losses) == 5 and stop.stopped_epoch is None and stop.finding is None


@pytest.mark.parametrize(("first_loss", "uninformed", "epoch", "loss", "evidence"), [
    (1.0, None, 7, 11.0, "grew from 1 in epoch 1 to 11 in epoch 8"),  # a resumed run: epoch 1 was before
    (None, 1.1, 0, 12.0, "over 10 times the 1.1"),
    (None, None, 2, math.nan, "became nan at epoch 3"),
])
def test_divergence_stop_applies_each_part_of_the_rule(first_loss, uninformed, epoch, loss, evidence):
    stop = DivergenceStop(uninformed, first_loss=first_loss)
    stop.set_model(tiny_model(0.1))
    stop.on_epoch_end(epoch, {"loss": loss})
    assert stop.model.stop_training and stop.stopped_epoch == epoch + 1
    assert evidence in stop.finding.evidence


@pytest.mark.parametrize(("loss", "stops"), [(0.25, False), (3e38, False), (math.nan, True), (math.inf, True),
                                             (-math.inf, True)])
def test_stop_on_nan_stops_at_the_first_batch_whose_loss_is_not_finite(loss, stops):
    stop = StopOnNaN()
    stop.set_model(tiny_model(0.1))
    stop.model.stop_training = False
    stop.on_train_batch_end(3, {"loss": loss})
    assert stop.model.stop_training is stops
