"""Symmetric label noise: a seeded fraction of the training labels replaced by another class.

A recipe declares it as `data.label_noise` (a fraction in [0, 1)); only the training split is touched,
so early stopping and the test still read clean labels. Each chosen label is replaced by one of the other
classes, drawn uniformly, so exactly that fraction (rounded) of the training labels is wrong: the
"symmetric" noise of the noisy-label literature (e.g. Han et al. 2018, "Co-teaching", section 4.1, which
also draws the wrong class uniformly from the others).
"""

from __future__ import annotations

import numpy as np

from data.errors import DataError


def symmetric_label_noise(targets: np.ndarray, fraction: float, num_classes: int,
                          seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The targets with round(fraction x n) of them moved to another class, and the mask of those changed."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction < 1:
        raise DataError(f"`data.label_noise` must be a fraction in [0, 1). Received: {fraction!r}")
    targets = np.asarray(targets)
    if targets.ndim != 1 or targets.dtype.kind not in "iu":
        raise DataError("`data.label_noise` needs class labels (whole numbers, one per sample) from the source.")
    if num_classes < 2:
        raise DataError("`data.label_noise` needs at least two classes to move a label to another one.")
    # Its own stream of the recipe's seed, so the noise does not move when other seeded choices change.
    generator = np.random.default_rng([seed, 7321])
    changed = np.zeros(len(targets), dtype=bool)
    changed[generator.choice(len(targets), size=int(round(fraction * len(targets))), replace=False)] = True
    # Adding 1..num_classes-1 modulo num_classes lands uniformly on each of the other classes.
    offsets = generator.integers(1, num_classes, size=int(changed.sum()))
    noisy = targets.copy()
    noisy[changed] = (targets[changed] + offsets) % num_classes
    return noisy, changed
