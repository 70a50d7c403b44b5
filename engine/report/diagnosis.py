"""An honest reading of a training history: divergence, overfitting, underfitting, convergence.

Each finding carries the evidence behind it and the usual remedy in one line. The
thresholds are deliberately loose: a finding should mean something a person would act on,
not the epoch-to-epoch noise every run has.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from common.targets import class_indices

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
# "Still improving": the best validation loss came in the last tenth of the epochs and the
# last fifth of them lowered it by more than this share.
STILL_IMPROVING_SHARE = 0.01


@dataclass
class Finding:
    """One diagnosis: its kind, whether it is a problem, what shows it, and what usually helps."""

    kind: str
    problem: bool
    evidence: str
    remedy: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _finite(values: list[float]) -> bool:
    return all(value is not None and math.isfinite(value) for value in values)


def diagnose(
    history: dict[str, list[float]],
    epochs_requested: int,
    stopped_by: str,
    restored_best: bool,
    task: str,
    train_score: float | None,
    train_baseline: float | None,
    uninformed: float | None = None,
) -> list[Finding]:
    """Findings for a finished run, most serious first.

    `train_score` is the final model's accuracy (classification) or R^2 (regression) on the
    training split, `train_baseline` the majority-class accuracy there (classification), and
    `uninformed` the training loss of a model that knows only the targets' distribution.
    """
    findings: list[Finding] = []
    losses = history.get("loss", [])
    validation = history.get("val_loss", [])
    if not losses:
        return findings
    if not _finite(losses):
        epoch = next(index for index, value in enumerate(losses) if not math.isfinite(value)) + 1
        findings.append(Finding(
            "divergence", True,
            f"the training loss became {losses[epoch - 1]} at epoch {epoch}",
            "lower the learning rate (by 10x), clip gradients (optimizer.clipnorm=1.0) or check the inputs' scale",
        ))
        return findings
    if losses[-1] > EXPLODING_FACTOR * losses[0]:
        findings.append(Finding(
            "divergence", True,
            f"the training loss grew from {losses[0]:.4g} in epoch 1 to {losses[-1]:.4g} in epoch {len(losses)}",
            "lower the learning rate (by 10x) or clip gradients (optimizer.clipnorm=1.0)",
        ))
        return findings
    if uninformed is not None and losses[-1] > EXPLODING_FACTOR * uninformed:
        findings.append(Finding(
            "divergence", True,
            f"the training loss ended at {losses[-1]:.4g}, over {EXPLODING_FACTOR:.0f} times the {uninformed:.4g} "
            "that a model knowing only the targets' distribution gets",
            "lower the learning rate (by 10x) or clip gradients (optimizer.clipnorm=1.0)",
        ))
        return findings

    if len(validation) > RECENT_EPOCHS and _finite(validation):
        best = min(range(len(validation)), key=validation.__getitem__)
        recent = sum(validation[-RECENT_EPOCHS:]) / RECENT_EPOCHS
        rise = recent - validation[best]
        if (best < len(validation) - RECENT_EPOCHS and rise > OVERFIT_RELATIVE_RISE * validation[best]
                and rise > OVERFIT_ABSOLUTE_RISE and losses[-1] < losses[best]):
            kept = (f"; the saved model holds epoch {best + 1}'s weights (restored by EarlyStopping)"
                    if restored_best else "")
            findings.append(Finding(
                "overfitting", True,
                f"validation loss fell to {validation[best]:.4f} at epoch {best + 1}, then rose to {recent:.4f} "
                f"(mean of the last {RECENT_EPOCHS} epochs) while training loss fell from {losses[best]:.4g} to "
                f"{losses[-1]:.4g}; the gap between them ended at {validation[-1] - losses[-1]:.4f}{kept}",
                "add regularization (model.args.l2, model.args.dropout), more data or augmentation, or stop "
                "early (EarlyStopping with restore_best_weights=True)",
            ))

    if train_score is not None and math.isfinite(train_score):
        if task == "classification" and train_baseline is not None and train_baseline < 1.0:
            share = (train_score - train_baseline) / (1.0 - train_baseline)
            if share < UNDERFIT_SHARE_OF_GAP:
                findings.append(Finding(
                    "underfitting", True,
                    f"training accuracy is {train_score:.4f} against {train_baseline:.4f} for always predicting "
                    f"the majority class: it closes only {share:.0%} of the gap to a perfect score",
                    "more capacity (model.args.width, depth or filters), more epochs, or a higher learning rate",
                ))
        elif task == "regression" and train_score < UNDERFIT_R2:
            findings.append(Finding(
                "underfitting", True,
                f"training R^2 is {train_score:.4f} (0 is what predicting the mean gets)",
                "more capacity (model.args.width or depth), more epochs, or a higher learning rate",
            ))

    if stopped_by:
        findings.append(Finding("convergence", False, stopped_by,
                                "nothing to do; raise the callback's patience if it stopped too soon"))
    elif len(validation) >= 5 and _finite(validation):
        best = min(range(len(validation)), key=validation.__getitem__)
        window = max(2, len(validation) // 5)
        earlier = min(validation[:-window])
        gain = (earlier - validation[best]) / earlier if earlier > 0 else 0.0
        if best >= len(validation) - max(1, len(validation) // 10) and gain > STILL_IMPROVING_SHARE:
            findings.append(Finding(
                "convergence", False,
                f"validation loss was still falling at the last of {epochs_requested} epochs "
                f"({gain:.1%} lower over the last {window})",
                "train longer (more epochs), or add EarlyStopping and a larger epoch budget",
            ))
        else:
            findings.append(Finding(
                "convergence", False,
                f"ran all {epochs_requested} epochs; validation loss was lowest at epoch {best + 1} "
                f"({validation[best]:.4f})",
                "fewer epochs, or EarlyStopping with restore_best_weights=True, would save time",
            ))
    return findings


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
