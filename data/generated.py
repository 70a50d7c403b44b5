"""scikit-learn's data generators as sources: synthetic sets drawn afresh from a seed.

Each takes the generator's usual arguments and `random_state` (0 unless a recipe sets it),
so a recipe that names one trains on exactly the same samples every time.
"""

from __future__ import annotations

import numpy as np
from sklearn import datasets as sklearn_datasets

from data.errors import DataError
from data.sources import CLASSIFICATION, REGRESSION, Dataset, register_source


def _whole(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DataError(f"Data source argument `{name}` must be a whole number >= {minimum}. Received: {value!r}")
    return value


def _classes(features, targets, description: str) -> Dataset:
    targets = np.asarray(targets, dtype="int64")
    return Dataset(features=np.asarray(features, dtype="float32"), targets=targets, task=CLASSIFICATION,
                   class_names=[str(label) for label in range(int(targets.max()) + 1)],
                   feature_names=[f"x{index}" for index in range(np.shape(features)[1])], description=description)


@register_source("moons")
def moons(n_samples: int = 500, noise: float = 0.2, random_state: int = 0) -> Dataset:
    """Two interleaving half circles in 2-D (scikit-learn's make_moons); 2 classes."""
    features, targets = sklearn_datasets.make_moons(_whole("n_samples", n_samples, 4), noise=noise,
                                                    random_state=random_state)
    return _classes(features, targets, f"make_moons(n_samples={n_samples}, noise={noise})")


@register_source("circles")
def circles(n_samples: int = 500, noise: float = 0.1, factor: float = 0.5, random_state: int = 0) -> Dataset:
    """A small circle inside a large one in 2-D (scikit-learn's make_circles); 2 classes."""
    if not 0 < factor < 1:
        raise DataError(f"Data source argument `factor` must be between 0 and 1. Received: {factor!r}")
    features, targets = sklearn_datasets.make_circles(_whole("n_samples", n_samples, 4), noise=noise,
                                                      factor=factor, random_state=random_state)
    return _classes(features, targets, f"make_circles(n_samples={n_samples}, noise={noise}, factor={factor})")


@register_source("blobs")
def blobs(n_samples: int = 500, centers: int = 3, n_features: int = 2, cluster_std: float = 1.0,
          random_state: int = 0) -> Dataset:
    """Isotropic Gaussian blobs (scikit-learn's make_blobs); one class per centre."""
    features, targets = sklearn_datasets.make_blobs(
        _whole("n_samples", n_samples, 2), centers=_whole("centers", centers, 2),
        n_features=_whole("n_features", n_features), cluster_std=cluster_std, random_state=random_state)
    return _classes(features, targets, f"make_blobs(n_samples={n_samples}, centers={centers})")


@register_source("classification")
def classification(n_samples: int = 1000, n_features: int = 20, n_informative: int = 5, n_redundant: int = 2,
                   n_classes: int = 2, class_sep: float = 1.0, flip_y: float = 0.01,
                   random_state: int = 0) -> Dataset:
    """A random n-class problem with informative and redundant features (make_classification)."""
    try:
        features, targets = sklearn_datasets.make_classification(
            _whole("n_samples", n_samples, 2), n_features=_whole("n_features", n_features),
            n_informative=_whole("n_informative", n_informative), n_redundant=n_redundant,
            n_classes=_whole("n_classes", n_classes, 2), class_sep=class_sep, flip_y=flip_y,
            random_state=random_state)
    except ValueError as error:
        raise DataError(f"Data source 'classification' cannot make that problem: {error}") from None
    return _classes(features, targets, f"make_classification(n_samples={n_samples}, n_classes={n_classes})")


@register_source("regression")
def regression(n_samples: int = 1000, n_features: int = 10, n_informative: int = 5, n_targets: int = 1,
               noise: float = 10.0, random_state: int = 0) -> Dataset:
    """A random linear regression problem with Gaussian noise (make_regression)."""
    features, targets = sklearn_datasets.make_regression(
        _whole("n_samples", n_samples, 2), n_features=_whole("n_features", n_features),
        n_informative=_whole("n_informative", n_informative), n_targets=_whole("n_targets", n_targets),
        noise=noise, random_state=random_state)
    return Dataset(features=features.astype("float32"), targets=targets.astype("float32"), task=REGRESSION,
                   feature_names=[f"x{index}" for index in range(n_features)],
                   description=f"make_regression(n_samples={n_samples}, noise={noise})")
