"""Evaluation of a trained model on a split, with scikit-learn's own functions.

Classification: accuracy, per-class precision / recall / F1 with macro and weighted averages
(`classification_report`), the confusion matrix, and for binary tasks ROC AUC and PR AUC
(average precision) with their curves. Regression: MSE, RMSE, MAE and R^2, in the target's
own units when the recipe standardized it. The easy baseline of the task (majority class,
or predicting the training mean) is scored on the same split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn import metrics as sk

import data
from common.targets import class_indices


@dataclass
class Evaluation:
    """Figures for one split plus the arrays the plots need."""

    figures: dict[str, Any]
    truth: np.ndarray
    predicted: np.ndarray
    scores: np.ndarray | None = None  # probability of the positive class (binary tasks)
    curves: dict[str, Any] = field(default_factory=dict)


def predict(model, features: np.ndarray | data.Stream, batch_size: int = 256) -> np.ndarray:
    """Model outputs in inference mode, batch by batch: a direct call, so nothing is traced per shape.

    Features streamed from files are read in order, batch by batch, as they are predicted.
    """
    if isinstance(features, data.Stream):
        batches = features.dataset().batch(batch_size).prefetch(2)
        return np.concatenate([np.asarray(model(batch, training=False)) for batch in batches])
    return np.concatenate([np.asarray(model(features[start:start + batch_size], training=False))
                           for start in range(0, len(features), batch_size)])


def evaluate_split(model, prepared: data.Prepared, split: str) -> Evaluation:
    """Predict `split` with `model` and score it; raises ValueError on non-finite predictions."""
    features, targets = prepared.splits[split]
    outputs = predict(model, features)
    if not np.all(np.isfinite(outputs)):
        raise ValueError(f"the model predicts non-finite values on the {split} split")
    if prepared.task == data.CLASSIFICATION:
        return _classification(outputs, targets, prepared)
    return _regression(outputs, targets, prepared)


def _classification(outputs: np.ndarray, targets: np.ndarray, prepared: data.Prepared) -> Evaluation:
    truth = class_indices(targets)
    names = prepared.class_names or [str(index) for index in range(prepared.num_classes)]
    scores = None
    if outputs.ndim == 1 or outputs.shape[1] == 1:  # one sigmoid unit
        scores = outputs.reshape(-1)
        predicted = (scores >= 0.5).astype(int)
    else:
        predicted = outputs.argmax(axis=1)
        if outputs.shape[1] == 2:
            scores = outputs[:, 1]
    labels = list(range(len(names)))
    figures: dict[str, Any] = {
        "accuracy": float(sk.accuracy_score(truth, predicted)),
        "classification_report": sk.classification_report(
            truth, predicted, labels=labels, target_names=names, output_dict=True, zero_division=0
        ),
        "confusion_matrix": sk.confusion_matrix(truth, predicted, labels=labels).tolist(),
        "class_names": names,
    }
    curves: dict[str, Any] = {}
    if scores is not None and len(np.unique(truth)) == 2:
        figures["roc_auc"] = float(sk.roc_auc_score(truth, scores))
        figures["pr_auc"] = float(sk.average_precision_score(truth, scores))
        false_positive, true_positive, _ = sk.roc_curve(truth, scores)
        precision, recall, _ = sk.precision_recall_curve(truth, scores)
        curves = {"roc": (false_positive, true_positive), "pr": (recall, precision)}
    return Evaluation(figures, truth, predicted, scores, curves)


def _regression(outputs: np.ndarray, targets: np.ndarray, prepared: data.Prepared) -> Evaluation:
    truth = prepared.targets_in_original_units(np.asarray(targets).reshape(len(targets), -1))
    predicted = prepared.targets_in_original_units(outputs.reshape(len(outputs), -1))
    mse = float(sk.mean_squared_error(truth, predicted))
    figures = {
        "mse": mse,
        "rmse": math.sqrt(mse),
        "mae": float(sk.mean_absolute_error(truth, predicted)),
        "r2": float(sk.r2_score(truth, predicted)),
        "units": "original target units" if prepared.target_scale is not None else "as given",
    }
    return Evaluation(figures, truth, predicted)


def baseline(prepared: data.Prepared, split: str = "test") -> dict[str, Any]:
    """The easy baseline on `split`: the training majority class, or the training mean."""
    _, train_targets = prepared.splits["train"]
    _, targets = prepared.splits[split]
    if prepared.task == data.CLASSIFICATION:
        train_labels, labels = class_indices(train_targets), class_indices(targets)
        majority = int(np.bincount(train_labels).argmax())
        name = prepared.class_names[majority] if prepared.class_names else str(majority)
        return {"kind": f"always predict the majority class ({name})",
                "accuracy": float(np.mean(labels == majority)),
                "train_accuracy": float(np.mean(train_labels == majority))}
    truth = prepared.targets_in_original_units(np.asarray(targets).reshape(len(targets), -1))
    mean = prepared.targets_in_original_units(np.asarray(train_targets).reshape(len(train_targets), -1)).mean(axis=0)
    guess = np.broadcast_to(mean, truth.shape)
    mse = float(sk.mean_squared_error(truth, guess))
    return {"kind": "always predict the training mean", "mse": mse, "rmse": math.sqrt(mse),
            "mae": float(sk.mean_absolute_error(truth, guess)), "r2": float(sk.r2_score(truth, guess))}

