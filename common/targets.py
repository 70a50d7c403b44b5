"""Class labels: from one-hot or integer targets to indices, and when whole numbers are labels."""

from __future__ import annotations

import numpy as np

# Whole-number targets with at most this many distinct values are taken as class labels, for a
# table column and an array alike; more distinct values read as a count to regress. A source's
# `task` argument settles any case the rule gets wrong.
MAX_INTEGER_CLASSES = 20


def class_indices(targets) -> np.ndarray:
    """Integer labels from integer or one-hot targets."""
    targets = np.asarray(targets)
    if targets.ndim == 2 and targets.shape[1] > 1:
        return targets.argmax(axis=1)
    return targets.reshape(-1).astype(int)


def whole_numbers_are_classes(values) -> bool:
    """Whether numeric `values` (missing ones ignored) are class labels: whole, and few distinct."""
    values = np.asarray(values)
    if values.dtype.kind == "b":
        return True
    if values.dtype.kind not in "iuf":
        return False
    values = values[~np.isnan(values.astype("float64"))] if values.dtype.kind == "f" else values
    whole = values.dtype.kind in "iu" or bool(np.all(np.mod(values, 1) == 0))
    return whole and len(np.unique(values)) <= MAX_INTEGER_CLASSES
