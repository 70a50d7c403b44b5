"""An honest reading of a training history: divergence, overfitting, underfitting, convergence.

Each finding carries the evidence behind it and the usual remedy in one line. The
thresholds are deliberately loose: a finding should mean something a person would act on,
not the epoch-to-epoch noise every run has.

One function per rule (`divergence`, `overfitting`, `underfitting`, `convergence`) returns
its finding or None; `diagnose` runs them in that order. The convergence rule reads the targets too: a run
still improving when it missed its target is undertrained (more epochs), never told that fewer would do.
`DivergenceStop` applies the divergence rule after every epoch, so that a run that blows up ends there.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import keras
import numpy as np

from common.targets import class_indices
from common.text import plural

# Validation loss counts as risen when the mean of the last epochs exceeds its minimum by
# more than this share of the minimum AND by more than the absolute amount below. The
# absolute floor keeps a model at validation loss 0.01 from being called overfit at 0.013.
OVERFIT_RELATIVE_RISE = 0.2
OVERFIT_ABSOLUTE_RISE = 0.05
RECENT_EPOCHS = 3
# A loss this many times its first-epoch value, or this many times the loss of an uninformed
# model (see `uninformed_loss`), has exploded even if it is still finite.
EXPLODING_FACTOR = 10.0
# Underfitting: the training score closes less than half the gap between the easy baseline
# and a perfect score (accuracy), or explains less than a quarter of the variance (R^2).
UNDERFIT_SHARE_OF_GAP = 0.5
UNDERFIT_R2 = 0.25
# "Still improving" (`still_improving`): over the last fifth of the epochs the validation loss fell by more than
# this share, or the training loss by more than the next, with the best validation loss in the last
# PLATEAU_EPOCHS (or fifth) of the epochs. A best epoch further back is a plateau.
STILL_IMPROVING_SHARE = 0.01
TRAINING_STILL_FALLING_SHARE = 0.05
PLATEAU_EPOCHS = 3


@dataclass
class Finding:
    """One diagnosis: its kind, whether it is a problem, what shows it, and what usually helps."""

    kind: str
    problem: bool
    evidence: str
    remedy: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


UNREACHED = "phase never reached"


def unreached_findings(unreached: list[tuple[str, str]]) -> list[Finding]:
    """A kind's `unreached` phases (engine.kinds.Learning.unreached) as findings, each a problem."""
    return [Finding(UNREACHED, True, what, remedy) for what, remedy in unreached]


def with_unreached(findings: list[Finding], unreached: list[tuple[str, str]]) -> list[Finding]:
    """`findings` with the unreached phases first, after a divergence (which a diverged run reports first)."""
    diverged = int(bool(findings) and findings[0].kind == "divergence")
    return [*findings[:diverged], *unreached_findings(unreached), *findings[diverged:]]


def say_unreached(unreached: list[tuple[str, str]], console) -> None:
    """Tell the console, before training starts, what the budget never reaches."""
    for what, remedy in unreached:
        console(f"Note: {what}. Remedy: {remedy}.")


def _finite(values: list[float]) -> bool:
    return all(value is not None and math.isfinite(value) for value in values)


def best_epoch(history: dict[str, list[float]]) -> int | None:
    """The epoch (1-based) of the lowest validation loss; None without one, or when any is not finite."""
    validation = history.get("val_loss", [])
    if not validation or not _finite(validation):
        return None
    return min(range(len(validation)), key=validation.__getitem__) + 1


def divergence_at(epoch: int, loss: float | None, first_loss: float | None,
                  uninformed: float | None = None) -> Finding | None:
    """The divergence rule for the training loss `loss` of epoch `epoch` (1-based), or None.

    It has diverged when the loss is not finite, is over EXPLODING_FACTOR times `first_loss`
    (the loss of epoch 1), or is over EXPLODING_FACTOR times `uninformed` (see `uninformed_loss`).
    `diagnose` applies it to a finished history, `DivergenceStop` after every epoch.
    """
    if loss is None or not math.isfinite(loss):
        return Finding(
            "divergence", True,
            f"the training loss became {loss} at epoch {epoch}",
            "lower the learning rate (by 10x), clip gradients (optimizer.clipnorm=1.0) or check the inputs' scale",
        )
    if first_loss is not None and loss > EXPLODING_FACTOR * first_loss:
        return Finding(
            "divergence", True,
            f"the training loss grew from {first_loss:.4g} in epoch 1 to {loss:.4g} in epoch {epoch}",
            "lower the learning rate (by 10x) or clip gradients (optimizer.clipnorm=1.0)",
        )
    if uninformed is not None and loss > EXPLODING_FACTOR * uninformed:
        return Finding(
            "divergence", True,
            f"the training loss ended at {loss:.4g}, over {EXPLODING_FACTOR:.0f} times the {uninformed:.4g} "
            "that a model knowing only the targets' distribution gets",
            "lower the learning rate (by 10x) or clip gradients (optimizer.clipnorm=1.0)",
        )
    return None


def divergence(losses: list[float], uninformed: float | None = None) -> Finding | None:
    """Divergence of a whole history: its first non-finite loss, or else its last loss (`divergence_at`)."""
    if not losses:
        return None
    broken = [index for index, value in enumerate(losses) if not _finite([value])]
    index = broken[0] if broken else len(losses) - 1
    return divergence_at(index + 1, losses[index], losses[0], uninformed)


def overfitting(history: dict[str, list[float]], restored_best: bool) -> Finding | None:
    """Validation loss rose well above its minimum while the training loss kept falling."""
    losses, validation = history.get("loss", []), history.get("val_loss", [])
    epoch = best_epoch(history)
    if len(validation) <= RECENT_EPOCHS or epoch is None:
        return None
    best = epoch - 1
    recent = sum(validation[-RECENT_EPOCHS:]) / RECENT_EPOCHS
    rise = recent - validation[best]
    if not (best < len(validation) - RECENT_EPOCHS and rise > OVERFIT_RELATIVE_RISE * validation[best]
            and rise > OVERFIT_ABSOLUTE_RISE and losses[-1] < losses[best]):
        return None
    evidence = (f"validation loss fell to {validation[best]:.4f} at epoch {epoch}, then rose to {recent:.4f} "
                f"(mean of the last {RECENT_EPOCHS} epochs) while training loss fell from {losses[best]:.4g} to "
                f"{losses[-1]:.4g}; the gap between them ended at {validation[-1] - losses[-1]:.4f}")
    if restored_best:  # the model kept is from before the rise: the epochs after it only cost time
        return Finding("overfitting", False, f"{evidence}; the saved model holds epoch {epoch}'s weights (restored "
                       "by EarlyStopping), from before the rise", "a lower EarlyStopping patience would save time")
    return Finding(
        "overfitting", True, evidence,
        "add regularization (model.args.l2, model.args.dropout), more data or augmentation, or stop "
        "early (EarlyStopping with restore_best_weights=True)",
    )


def underfitting(task: str, train_score: float | None, train_baseline: float | None) -> Finding | None:
    """The training score is too close to the easy baseline (accuracy) or to predicting the mean (R^2)."""
    if train_score is None or not math.isfinite(train_score):
        return None
    if task == "classification" and train_baseline is not None and train_baseline < 1.0:
        share = (train_score - train_baseline) / (1.0 - train_baseline)
        if share < UNDERFIT_SHARE_OF_GAP:
            return Finding(
                "underfitting", True,
                f"training accuracy is {train_score:.4f} against {train_baseline:.4f} for always predicting "
                f"the majority class: it closes only {share:.0%} of the gap to a perfect score",
                "more capacity (model.args.width, depth or filters), more epochs, or a higher learning rate",
            )
    elif task == "regression" and train_score < UNDERFIT_R2:
        return Finding(
            "underfitting", True,
            f"training R^2 is {train_score:.4f} (0 is what predicting the mean gets)",
            "more capacity (model.args.width or depth), more epochs, or a higher learning rate",
        )
    return None


def missed_targets(targets: dict[str, float], test_metrics: dict[str, Any]) -> str:
    """The declared targets (lower bounds on test metrics) that were missed, as one clause, or "" when every
    target was met or there is none: "test accuracy 0.8333 is below its target of 0.93"."""
    missed = [f"test {name} {test_metrics[name]:.4g} is below its target of {bound:g}" if name in test_metrics
              else f"test {name} was not measured (target {bound:g})"
              for name, bound in targets.items()
              if not (name in test_metrics and test_metrics[name] >= bound)]
    return "; ".join(missed)


def _rise_of_training_metric(history: dict[str, list[float]], window: int) -> str:
    """"training accuracy rose from 0.8667 to 0.9556" over the last `window` epochs, for the first metric
    Keras logged besides the loss; "" when there is none or it did not rise."""
    name = next((key for key in history if key not in ("loss", "learning_rate") and not key.startswith("val_")),
                None)
    values = history.get(name or "", [])
    if len(values) <= window or not _finite(values) or values[-1] <= values[-1 - window]:
        return ""
    return f"training {name} rose from {values[-1 - window]:.4f} to {values[-1]:.4f}"


def still_improving(history: dict[str, list[float]]) -> str:
    """Evidence that the run was still improving when its epochs ran out, or "" when it was not.

    Still improving: the lowest validation loss came in the last PLATEAU_EPOCHS (or fifth) of the epochs, and
    over the last fifth (at least 2 epochs) either the validation loss fell by more than STILL_IMPROVING_SHARE
    or the training loss by more than TRAINING_STILL_FALLING_SHARE. A validation loss that stopped improving
    long before the end is a plateau, however much the training loss still falls.
    """
    validation, losses = history.get("val_loss", []), history.get("loss", [])
    epoch = best_epoch(history)
    if len(validation) < 3 or epoch is None or not _finite(losses):
        return ""
    count = len(validation)
    window, tail = max(2, count // 5), max(PLATEAU_EPOCHS, count // 5)
    if epoch <= count - tail:
        return ""
    earlier, lowest = min(validation[:-window]), validation[epoch - 1]
    validation_gain = (earlier - lowest) / earlier if earlier > 0 else 0.0
    before = losses[-1 - window]
    training_fall = (before - losses[-1]) / before if before > 0 else 0.0
    if validation_gain <= STILL_IMPROVING_SHARE and training_fall <= TRAINING_STILL_FALLING_SHARE:
        return ""
    validation_text = (f"validation loss still falling ({validation_gain:.1%} lower over the last {window}, lowest "
                       f"at epoch {epoch} of {count}: {lowest:.4f})" if validation_gain > STILL_IMPROVING_SHARE else
                       f"validation loss lowest at epoch {epoch} of {count} ({lowest:.4f})")
    parts = [validation_text, f"training loss fell {training_fall:.0%} over the last {plural(window, 'epoch')}",
             _rise_of_training_metric(history, window)]
    return ", ".join(part for part in parts if part)


def convergence(history: dict[str, list[float]], epochs_requested: int, stopped_by: str,
                missed: str = "") -> Finding | None:
    """How training ended: which callback stopped it, or whether it was still improving (more epochs), had
    stopped improving long before the end (fewer epochs), or levelled off at the end.

    `missed` (`missed_targets`) says which targets the run missed: a run that misses its target while still
    improving is undertrained (a problem: more epochs), and one that plateaued is not told to save time.
    """
    if stopped_by:
        return Finding("convergence", False, stopped_by,
                       "nothing to do; raise the callback's patience if it stopped too soon")
    validation = history.get("val_loss", [])
    epoch = best_epoch(history)
    if len(validation) < 3 or epoch is None:
        return None
    ran = f"ran all {plural(epochs_requested, 'epoch')}"
    improving = still_improving(history)
    if improving and missed:
        return Finding("undertrained", True, f"still improving when the {plural(epochs_requested, 'epoch')} ran "
                       f"out: {improving}; and {missed}",
                       f"more epochs (epochs={2 * epochs_requested}, say), or EarlyStopping with "
                       "restore_best_weights=True and a larger epoch budget")
    if improving:
        return Finding("convergence", False, f"still improving at the last of {plural(epochs_requested, 'epoch')}: "
                       f"{improving}", "train longer (more epochs), or add EarlyStopping and a larger epoch budget")
    lowest, after = validation[epoch - 1], len(validation) - epoch
    if after >= max(PLATEAU_EPOCHS, len(validation) // 5):
        evidence = (f"{ran}; validation loss was lowest at epoch {epoch} ({lowest:.4f}) and did not improve in "
                    f"the {plural(after, 'epoch')} after it")
        if missed:
            return Finding("plateau", True, f"{evidence}, and {missed}",
                           "more epochs alone will not reach the target: try another learning rate, more capacity "
                           "(model.args), regularization or more data")
        return Finding("convergence", False, evidence,
                       "fewer epochs, or EarlyStopping with restore_best_weights=True, would save time")
    evidence = f"{ran}; validation loss levelled off, lowest at epoch {epoch} ({lowest:.4f})"
    if missed:
        return Finding("convergence", True, f"{evidence}, and {missed}",
                       "a few more epochs may add a little; to reach the target, try another learning rate, more "
                       "capacity (model.args) or more data")
    return Finding("convergence", False, evidence, "none needed")


def diagnose(
    history: dict[str, list[float]],
    epochs_requested: int,
    stopped_by: str,
    restored_best: bool,
    task: str,
    train_score: float | None,
    train_baseline: float | None,
    uninformed: float | None = None,
    missed: str = "",
) -> list[Finding]:
    """Findings for a finished run, most serious first; a diverged run gets that finding alone.

    `train_score` is the final model's accuracy (classification) or R^2 (regression) on the
    training split, `train_baseline` the majority-class accuracy there (classification), and
    `uninformed` the training loss of a model that knows only the targets' distribution, and `missed` the
    targets the run missed (`missed_targets`), which change the convergence rule's advice.
    """
    losses = history.get("loss", [])
    if not losses:
        return []
    diverged = divergence(losses, uninformed)
    if diverged is not None:
        return [diverged]
    findings = [
        overfitting(history, restored_best),
        underfitting(task, train_score, train_baseline),
        convergence(history, epochs_requested, stopped_by, missed),
    ]
    return [finding for finding in findings if finding is not None]


class StopOnNaN(keras.callbacks.TerminateOnNaN):
    """Keras's TerminateOnNaN, with a finite loss passed over by `math.isfinite` on the float Keras gives.

    The parent's two NumPy tests cost about 8 microseconds a batch on this project's 2-core machine,
    0.4% of a breast_cancer_mlp epoch; a loss that is not finite (or not a float) still goes to it.
    """

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if not (isinstance(loss, float) and math.isfinite(loss)):
            super().on_batch_end(batch, logs)


class DivergenceStop(keras.callbacks.Callback):
    """Ends training at the end of the first epoch where `diagnose`'s divergence rule fires.

    Keras's TerminateOnNaN stops only a loss that is already NaN; a loss that grows a
    thousandfold while staying finite would otherwise run to the last epoch. `uninformed` is
    the loss of a model that knows only the targets' distribution (`uninformed_loss`), and
    `first_loss` the loss of epoch 1 when a resumed run starts after it. After a stop,
    `stopped_epoch` (1-based) and `finding` say where and why; both stay None otherwise.
    """

    def __init__(self, uninformed: float | None, first_loss: float | None = None):
        super().__init__()
        self.uninformed = uninformed
        self.first_loss = first_loss
        self.stopped_epoch: int | None = None
        self.finding: Finding | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if "loss" not in (logs or {}):
            return
        loss = float(logs["loss"])
        if self.first_loss is None:
            self.first_loss = loss
        finding = divergence_at(epoch + 1, loss, self.first_loss, self.uninformed)
        if finding is not None:
            self.finding, self.stopped_epoch = finding, epoch + 1
            self.model.stop_training = True


def uninformed_loss(loss_name: str, task: str, train_targets) -> float | None:
    """The loss of a model that knows only the training targets' distribution, where we can say it.

    Cross-entropy: the entropy of the class frequencies (what predicting those frequencies
    costs). Mean squared error: the targets' variance (what predicting their mean costs).
    Other losses: None.
    """
    targets = np.asarray(train_targets)
    name = loss_name.lower()
    if task == "classification" and "crossentropy" in name:
        labels = class_indices(targets)
        frequencies = np.bincount(labels) / len(labels)
        frequencies = frequencies[frequencies > 0]
        return float(-(frequencies * np.log(frequencies)).sum())
    if task == "regression" and name in ("mse", "mean_squared_error", "meansquarederror"):
        return float(targets.reshape(len(targets), -1).var(axis=0).mean())
    return None
