"""scikit-learn's data generators as sources: synthetic sets drawn afresh from a seed.

Each takes the generator's usual arguments and `random_state` (0 unless a recipe sets it),
so a recipe that names one trains on exactly the same samples every time. `mnist1d` generates
MNIST-1D (Greydanus 2020) the same way, offline, with the `mnist1d` package's own generator.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
import zipfile
from pathlib import Path

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


MNIST1D_PAPER = "Greydanus 2020, 'Scaling Down Deep Learning' (arXiv:2011.14439)"


def _number(name: str, value, low: float = 0.0, high: float | None = None, open_low: bool = False) -> float:
    """A real number within bounds, or a DataError naming the argument."""
    number = isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)
    if not number or value < low or (open_low and value == low) or (high is not None and value >= high):
        bounds = f"{'>' if open_low else '>='} {low}" + (f" and < {high}" if high is not None else "")
        raise DataError(f"Data source argument `{name}` must be a number {bounds}. Received: {value!r}")
    return float(value)


def _digits(digits) -> list[int]:
    if digits is None:
        return list(range(10))
    if (not isinstance(digits, list | tuple) or len(digits) < 2 or len(set(digits)) != len(digits)
            or not all(isinstance(digit, int) and not isinstance(digit, bool) and 0 <= digit <= 9
                       for digit in digits)):
        raise DataError(f"Data source argument `digits` must list two or more distinct digits from 0 to 9 "
                        f"(e.g. [0, 1, 2, 3, 4]), or be left out for all ten. Received: digits={digits!r}")
    return list(digits)


def _mnist1d_args(num_samples, train_split, seed, max_translation, corr_noise_scale, iid_noise_scale,
                  shear_scale, scale_coeff, shuffle_seq):
    """The package's standard dataset arguments with the checked overrides applied."""
    import mnist1d.data  # imported here: the package pulls in matplotlib and requests

    if _whole("num_samples", num_samples, 20) % 10:
        raise DataError(f"Data source argument `num_samples` must be a multiple of 10 (the generator makes "
                        f"num_samples / 10 signals of each digit). Received: {num_samples!r}")
    if _whole("seed", seed, 0) >= 2**32:
        raise DataError(f"Data source argument `seed` must be below 2**32. Received: {seed!r}")
    if not isinstance(shuffle_seq, bool):
        raise DataError(f"Data source argument `shuffle_seq` must be True or False. Received: {shuffle_seq!r}")
    args = mnist1d.data.get_dataset_args()
    args.num_samples, args.seed, args.shuffle_seq = num_samples, seed, shuffle_seq
    args.train_split = _number("train_split", train_split, 0.0, 1.0, open_low=True)
    args.max_translation = _whole("max_translation", max_translation, 1)
    args.corr_noise_scale = _number("corr_noise_scale", corr_noise_scale)
    args.iid_noise_scale = _number("iid_noise_scale", iid_noise_scale)
    args.shear_scale = _number("shear_scale", shear_scale)
    args.scale_coeff = _number("scale_coeff", scale_coeff, 0.0, 2.0)
    return args


MNIST1D_ARRAYS = ("x", "y", "x_test", "y_test")


def _mnist1d_cache_path(args) -> Path:
    """Where the generator's output for `args` is kept: Keras's datasets folder, keyed by the arguments and the
    package version, since the same arguments always generate the same signals."""
    from importlib.metadata import version

    key = json.dumps({**vars(args), "mnist1d": version("mnist1d")}, sort_keys=True, default=str)
    folder = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets" / "mnist1d"
    return folder / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.npz"


def _generated_mnist1d(args) -> dict[str, np.ndarray]:
    """The generator's arrays for `args`: read back when this machine made them before (25,000 signals take
    seconds to generate, a read milliseconds), otherwise generated and kept. A damaged file is made again."""
    import mnist1d.data

    path = _mnist1d_cache_path(args)
    try:
        with np.load(path) as stored:
            return {name: stored[name] for name in MNIST1D_ARRAYS}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        pass
    # The generator seeds NumPy's and Python's global generators; put back whatever they held before.
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        made = mnist1d.data.make_dataset(args)
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
    arrays = {name: np.asarray(made[name]) for name in MNIST1D_ARRAYS}
    _keep(path, arrays)
    return arrays


def _keep(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Written whole, then renamed, so a reader never sees half a file; a read-only home just skips it."""
    partial = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".partial", delete=False) as handle:
            partial = Path(handle.name)
            np.savez(handle, **arrays)
        os.replace(partial, path)
    except OSError:
        if partial is not None:
            partial.unlink(missing_ok=True)


@register_source("mnist1d")
def mnist_1d(num_samples: int = 5000, train_split: float = 0.8, seed: int = 42, max_translation: int = 48,
             corr_noise_scale: float = 0.25, iid_noise_scale: float = 0.02, shear_scale: float = 0.75,
             scale_coeff: float = 0.4, shuffle_seq: bool = False, digits: list | None = None) -> Dataset:
    """MNIST-1D (Greydanus 2020): 1-D signals of 40 steps, 10 digit classes, generated offline from `seed`.

    The defaults are the standard set: 5,000 signals, the package's own split into 4,000 training and
    1,000 test signals, features shaped (N, 40, 1). The other arguments are the generator's: random
    translation, correlated and i.i.d. noise, shear, scaling and a fixed shuffle of the time steps.
    `digits` keeps only those digits in both splits (e.g. [5, 6, 7, 8, 9]), relabelled 0.. in that order.
    """
    args = _mnist1d_args(num_samples, train_split, seed, max_translation, corr_noise_scale, iid_noise_scale,
                         shear_scale, scale_coeff, shuffle_seq)
    keep = _digits(digits)
    made = _generated_mnist1d(args)
    splits = {}
    for name, features, targets in (("training", made["x"], made["y"]), ("test", made["x_test"], made["y_test"])):
        mask = np.isin(targets, keep)
        if not mask.any():
            raise DataError(f"Data source 'mnist1d' has no {name} signals of digits {keep} with num_samples="
                            f"{num_samples} and train_split={train_split}. Raise num_samples, or move train_split "
                            "away from 0 and 1.")
        relabel = np.zeros(10, dtype="int64")
        relabel[keep] = np.arange(len(keep))
        splits[name] = (np.asarray(features[mask], dtype="float32")[..., None], relabel[targets[mask]])
    description = (f"MNIST-1D ({MNIST1D_PAPER}): {len(splits['training'][0])} training + "
                   f"{len(splits['test'][0])} test signals of 40 steps, generated with seed={seed}"
                   + ("" if digits is None else f", digits {keep}"))
    return Dataset(features=splits["training"][0], targets=splits["training"][1], task=CLASSIFICATION,
                   class_names=[str(digit) for digit in keep], description=description, test=splits["test"])
