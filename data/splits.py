"""Seeded train / validation / test splits, stratified by class for classification."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

from data.errors import DataError


def split_indices(
    targets: np.ndarray,
    validation_split: float,
    test_split: float,
    seed: int,
    stratify: bool,
) -> dict[str, np.ndarray]:
    """Indices of the `train`, `validation` and `test` parts (sorted), reproducible for a seed."""
    for name, fraction in (("validation_split", validation_split), ("test_split", test_split)):
        if not 0.0 < fraction < 1.0:
            raise DataError(f"`data.{name}` must be a fraction between 0 and 1. Received: {name}={fraction!r}")
    if validation_split + test_split >= 1.0:
        raise DataError(
            "`data.validation_split` + `data.test_split` must leave some data for training (sum < 1). "
            f"Received: {validation_split!r} + {test_split!r}"
        )
    everything = np.arange(len(targets))
    labels = targets if stratify else None
    try:
        rest, test = train_test_split(everything, test_size=test_split, random_state=seed, stratify=labels)
        share = validation_split / (1.0 - test_split)
        train, validation = train_test_split(
            rest, test_size=share, random_state=seed, stratify=None if labels is None else targets[rest]
        )
    except ValueError as error:
        raise DataError(
            f"Cannot split {len(targets)} samples into train/validation/test "
            f"({validation_split!r} validation, {test_split!r} test): {error} "
            "Use larger fractions, more data, or data.stratify=false."
        ) from None
    parts = {"train": np.sort(train), "validation": np.sort(validation), "test": np.sort(test)}
    for name, indices in parts.items():
        if len(indices) == 0:
            raise DataError(f"The {name} split is empty. Change data.validation_split / data.test_split.")
    return parts


def split_train_validation(targets: np.ndarray, validation_split: float, seed: int, stratify: bool) -> dict:
    """Indices of `train` and `validation` (sorted), for a source that brings its own test split."""
    if not 0.0 < validation_split < 1.0:
        raise DataError(f"`data.validation_split` must be a fraction between 0 and 1. Received: {validation_split!r}")
    try:
        train, validation = train_test_split(np.arange(len(targets)), test_size=validation_split, random_state=seed,
                                             stratify=targets if stratify else None)
    except ValueError as error:
        raise DataError(f"Cannot split {len(targets)} samples into train/validation ({validation_split!r}): "
                        f"{error} Use a larger fraction, more data, or data.stratify=false.") from None
    return {"train": np.sort(train), "validation": np.sort(validation)}
