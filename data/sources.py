"""Data sources: one registry of loaders, each returning a `Dataset` of NumPy arrays.

A loader is a function decorated with `@register_source("name")`; its keyword arguments
are what a recipe's `data.args` may set. This module holds the registry and scikit-learn's
bundled sets; `data.generated`, `data.tables`, `data.files` and `data.online` register the
generators, tables, a user's files and the downloadable sets.

Features are a NumPy array, or a pandas DataFrame for tables with named (possibly
categorical, possibly missing) columns, which the `feature_space` step encodes. A source
with its own test split returns it in `test`; the split then keeps it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn import datasets as sklearn_datasets

from data.errors import DataError

CLASSIFICATION = "classification"
REGRESSION = "regression"


@dataclass
class Dataset:
    """Features and targets of one data set, before any split."""

    features: np.ndarray
    targets: np.ndarray
    task: str
    class_names: list[str] = field(default_factory=list)
    feature_names: list[str] = field(default_factory=list)
    description: str = ""
    # The source's own test split (features, targets), kept as the test split when given.
    test: tuple | None = None
    # The name of the column the targets came from, where the source has one (a table's target column,
    # scikit-learn's "target"): a file of inputs for prediction may hold it too, and it is then ignored.
    target_name: str = ""


def encode_labels(values, classes: list | None, where: str) -> tuple[np.ndarray, list[str]]:
    """Class labels as integers 0..n-1 and the class names, in the declared order when `classes` is given.

    Without `classes` the names are the sorted distinct labels. With it, a label that is not
    declared is an error naming it, instead of a class silently added.
    """
    values = np.asarray(values)
    if values.dtype.kind == "f" and np.isnan(values.astype("float64")).any():
        raise DataError(f"{where}: {int(np.isnan(values.astype('float64')).sum())} labels are missing (NaN). "
                        "Drop those rows or fill them before training a classifier.")
    labels = [str(value.item() if hasattr(value, "item") else value) for value in values]
    if classes is None:
        names = sorted(set(labels), key=_natural)
    else:
        names = [str(name) for name in classes]
        unknown = sorted(set(labels) - set(names), key=_natural)
        if unknown:
            raise DataError(
                f"{where}: labels {unknown[:10]} are not among the declared classes {names}. "
                "Add them to `classes`, or remove those rows."
            )
    index = {name: position for position, name in enumerate(names)}
    return np.array([index[label] for label in labels], dtype="int64"), names


def _natural(text: str):
    """Sort numbers by value and words alphabetically ("2" before "10")."""
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


_SOURCES: dict[str, Callable[..., Dataset]] = {}
# What a source needs besides its arguments' defaults: None (loads as it is), "files" (a user's
# files named in its arguments) or "download" (a network, or a file placed by hand).
NEEDS = (None, "files", "download")
_NEEDS: dict[str, str | None] = {}


def register_source(name: str, needs: str | None = None) -> Callable:
    """Register a loader under `name`; `needs` says whether it reads a user's files or a download."""
    if needs not in NEEDS:
        raise ValueError(f"`needs` must be one of {NEEDS}. Received: {needs!r}")

    def decorate(loader: Callable[..., Dataset]) -> Callable[..., Dataset]:
        if name in _SOURCES:
            raise ValueError(f"A data source named {name!r} is already registered.")
        _SOURCES[name] = loader
        _NEEDS[name] = needs
        return loader

    return decorate


def list_sources(pattern: str = "*") -> list[str]:
    """Registered source names matching a shell-style wildcard pattern."""
    return sorted(name for name in _SOURCES if fnmatch.fnmatch(name, pattern))


def source_needs(name: str) -> str | None:
    """None, "files" or "download": what the source needs besides its default arguments."""
    get_source(name)
    return _NEEDS[name]


def get_source(name: str) -> Callable[..., Dataset]:
    """The loader registered as `name`, or a DataError listing the registered ones."""
    if name not in _SOURCES:
        raise DataError(
            f"`data.source` must be a registered source, one of {', '.join(list_sources())}. "
            f"Received: source={name!r}"
        )
    return _SOURCES[name]


def load(name: str, /, **args) -> Dataset:
    """Load the source `name` with its arguments."""
    loader = get_source(name)
    try:
        return loader(**args)
    except TypeError as error:
        raise DataError(f"Data source {name!r} was given arguments it does not take: {error}") from None


def _from_sklearn(bunch, task: str) -> Dataset:
    targets = np.asarray(bunch.target)
    class_names = [str(name) for name in getattr(bunch, "target_names", [])] if task == CLASSIFICATION else []
    if task == CLASSIFICATION and not class_names:
        class_names = [str(value) for value in np.unique(targets)]
    first_line = (bunch.DESCR or "").strip().splitlines()
    return Dataset(
        features=np.asarray(bunch.data, dtype="float32"),
        targets=targets.astype("int64") if task == CLASSIFICATION else targets.astype("float32"),
        task=task,
        class_names=class_names,
        feature_names=[str(name) for name in getattr(bunch, "feature_names", [])],
        description=first_line[0] if first_line else "",
        target_name="target",  # scikit-learn's name for it (load_*(as_frame=True))
    )


def keep_classes(dataset: Dataset, classes: list[int]) -> Dataset:
    """Only the samples of `classes`, relabelled 0..len(classes)-1 in the order given."""
    known = list(range(len(dataset.class_names)))
    if not classes or len(set(classes)) != len(classes) or not set(classes) <= set(known):
        raise DataError(
            f"`classes` must list distinct class numbers from {known}. Received: classes={classes!r}"
        )
    mask = np.isin(dataset.targets, classes)
    relabel = {old: new for new, old in enumerate(classes)}
    return Dataset(
        features=dataset.features[mask],
        targets=np.array([relabel[int(label)] for label in dataset.targets[mask]], dtype="int64"),
        task=dataset.task,
        class_names=[dataset.class_names[old] for old in classes],
        feature_names=dataset.feature_names,
        description=dataset.description,
        target_name=dataset.target_name,
    )


@register_source("digits")
def digits(classes: list | None = None) -> Dataset:
    """scikit-learn's 8x8 handwritten digits: 1,797 images, 10 classes, pixel values 0-16.

    `classes` keeps only those digits (e.g. [5, 6, 7, 8, 9]), relabelled from 0 in that order.
    """
    dataset = _from_sklearn(sklearn_datasets.load_digits(), CLASSIFICATION)
    return keep_classes(dataset, classes) if classes is not None else dataset


@register_source("iris")
def iris() -> Dataset:
    """Fisher's iris: 150 flowers, 4 measurements, 3 species."""
    return _from_sklearn(sklearn_datasets.load_iris(), CLASSIFICATION)


@register_source("wine")
def wine() -> Dataset:
    """UCI wine: 178 wines, 13 chemical measurements, 3 cultivars."""
    return _from_sklearn(sklearn_datasets.load_wine(), CLASSIFICATION)


@register_source("breast_cancer")
def breast_cancer() -> Dataset:
    """Wisconsin diagnostic breast cancer: 569 samples, 30 features, malignant or benign."""
    return _from_sklearn(sklearn_datasets.load_breast_cancer(), CLASSIFICATION)


@register_source("diabetes")
def diabetes() -> Dataset:
    """Diabetes progression: 442 patients, 10 baseline features, a disease score one year later."""
    return _from_sklearn(sklearn_datasets.load_diabetes(), REGRESSION)


@register_source("linnerud")
def linnerud() -> Dataset:
    """Linnerud: 20 men, 3 exercise counts predicting 3 physiological measurements."""
    return _from_sklearn(sklearn_datasets.load_linnerud(), REGRESSION)
