"""Where data comes from and how it is prepared: sources, splits, preprocessing, pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas

from data import files, generated, online, tables, tabular  # noqa: F401 - they register sources and steps
from data.augmentation import build_augmentation
from data.errors import DataError
from data.noise import symmetric_label_noise
from data.pipeline import aligned_rows
from data.preprocessing import Pixels, Rescale, build_step, list_steps, step_arguments, whole_pixels
from data.sources import CLASSIFICATION, REGRESSION, Dataset, get_source, list_sources, load, register_source
from data.splits import split_indices, split_train_validation
from data.streaming import Stream

__all__ = [
    "CLASSIFICATION", "REGRESSION", "DataError", "Dataset", "Pixels", "Prepared", "Stream", "build_augmentation",
    "get_source", "list_sources", "list_steps", "load", "prepare", "register_source", "split_indices", "step_arguments",
]


@dataclass
class Prepared:
    """A source split into train / validation / test, preprocessed and ready for tf.data.

    Each split is (features, targets). Features are an array, `Pixels` (an image folder's uint8 pixels,
    read as float32), or a `Stream` read from files when the source streams (`len()` and `shape` work
    on all three); targets are always an array.
    """

    splits: dict[str, tuple[np.ndarray | Pixels | Stream, np.ndarray]]
    task: str
    input_shape: tuple[int, ...]
    num_classes: int
    num_targets: int
    class_names: list[str]
    class_counts: dict[str, list[int]] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    # Mean and scale of regression targets when a step standardized them: predictions times
    # scale plus mean are in the target's own units.
    target_mean: list[float] | None = None
    target_scale: list[float] | None = None
    # "source" when the source brought its own test split, "split" when carved from the data.
    test_from: str = "split"
    # The fitted keras.utils.FeatureSpace of a `feature_space` step, to wrap the trained model with.
    feature_space: Any = None
    # Random image layers the training pipeline applies (engine.run.building sets them from the recipe).
    augmentation: Any = None
    # The fitted preprocessing steps and what one raw sample looked like before them (`raw_inputs`), which
    # engine.serve saves so that predictions and exports apply exactly the training preprocessing.
    fitted_steps: list = field(default_factory=list)
    raw_inputs: dict[str, Any] = field(default_factory=dict)
    # Which training labels `label_noise` changed (a boolean mask over the training split), or None.
    noisy: np.ndarray | None = None

    def targets_in_original_units(self, targets: np.ndarray) -> np.ndarray:
        """Undo target standardization (identity when the targets were not standardized)."""
        if self.target_scale is None:
            return targets
        shape = targets.shape
        flat = targets.reshape(len(targets), -1) * np.asarray(self.target_scale) + np.asarray(self.target_mean)
        return flat.reshape(shape)

    def sizes(self) -> dict[str, int]:
        return {name: len(part[0]) for name, part in self.splits.items()}


def prepare(
    source: str,
    args: dict | None = None,
    *,
    validation_split: float = 0.15,
    test_split: float = 0.15,
    stratify: bool = True,
    preprocessing: list | None = None,
    seed: int = 0,
    train_per_class: int | None = None,
    label_noise: float = 0.0,
) -> Prepared:
    """Load `source`, split it with `seed`, and fit then apply `preprocessing` (training split only).

    A source with its own test split keeps it (and `test_split` is not used); validation is
    then carved from the rest. `train_per_class` keeps only that many training samples of each
    class (a seeded choice), for few-label experiments; validation and test keep their full size.
    `label_noise` moves that fraction of the training labels to another class (data.noise).
    """
    dataset = load(source, **(args or {}))
    if len(dataset.features) != len(dataset.targets):
        raise DataError(
            f"Source {source!r} gave {len(dataset.features)} feature rows but {len(dataset.targets)} targets."
        )
    splits = _split(dataset, source, validation_split, test_split, stratify, seed, train_per_class)
    raw_inputs = _raw_inputs(dataset)
    # The splits hold every sample now: let the source's whole array go rather than keep a second copy.
    dataset = replace(dataset, features=None)
    class_counts = _class_counts(dataset, splits, source)  # of the clean labels
    noisy = None
    if label_noise:  # the training split only: validation and test keep their clean labels
        if dataset.task != CLASSIFICATION:
            raise DataError(f"`data.label_noise` moves class labels; {source!r} gives regression targets.")
        noisy_targets, noisy = symmetric_label_noise(splits["train"][1], label_noise, len(dataset.class_names), seed)
        splits["train"] = (splits["train"][0], noisy_targets)
    steps = [build_step(config) for config in (preprocessing or [])]
    splits = _preprocess(splits, steps, dataset.task)
    targets = splits["train"][1]
    classification = dataset.task == CLASSIFICATION
    scaling = next((step.describe() for step in steps if "target_std" in step.describe()), None)
    return Prepared(
        splits=splits,
        task=dataset.task,
        input_shape=tuple(int(size) for size in splits["train"][0].shape[1:]),
        num_classes=len(dataset.class_names) if classification else 0,
        num_targets=1 if targets.ndim == 1 or classification else int(targets.shape[1]),
        class_names=dataset.class_names,
        class_counts=class_counts,
        target_mean=scaling["target_mean"] if scaling else None,
        target_scale=scaling["target_std"] if scaling else None,
        steps=[{"name": config if isinstance(config, str) else config["name"], **step.describe()}
               for config, step in zip(preprocessing or [], steps, strict=True)],
        test_from="source" if dataset.test is not None else "split",
        feature_space=next((step.feature_space for step in steps if getattr(step, "feature_space", None)), None),
        fitted_steps=steps,
        raw_inputs=raw_inputs,
        noisy=noisy,
    )


def _raw_inputs(dataset: Dataset) -> dict[str, Any]:
    """One raw sample before preprocessing: a table's columns and their dtypes, or an array's shape and dtype; and
    the name of the target column, where the source has one (an input file may hold it; prediction ignores it)."""
    features = dataset.features
    target = {"target": dataset.target_name} if dataset.target_name else {}
    if isinstance(features, pandas.DataFrame):
        return {"columns": {str(name): str(features[name].dtype) for name in features.columns}, **target}
    if isinstance(features, Stream) and features.is_raw_table():
        return {"columns": {str(name): str(dtype) for name, dtype in features.reader.dtypes.items()}, **target}
    dtype = features.dtype.name if isinstance(features, Stream) and features.dtype is not None else \
        str(getattr(features, "dtype", "float32"))
    return {"shape": [int(size) for size in features.shape[1:]], "dtype": dtype,
            "names": [str(name) for name in dataset.feature_names], **target}


def _split(dataset: Dataset, source: str, validation_split: float, test_split: float, stratify: bool, seed: int,
           train_per_class: int | None) -> dict[str, tuple]:
    """Train / validation / test (the source's own test split when it has one), seeded and stratified."""
    classification = dataset.task == CLASSIFICATION
    use_strata = stratify and classification
    if dataset.test is not None:
        parts = split_train_validation(dataset.targets, validation_split, seed, use_strata)
    else:
        parts = split_indices(dataset.targets, validation_split, test_split, seed, use_strata)
    if train_per_class is not None:
        parts["train"] = _per_class(dataset.targets, parts["train"], train_per_class, seed, classification)
    splits = {name: (_take(dataset.features, index), dataset.targets[index]) for name, index in parts.items()}
    if dataset.test is not None:
        if len(dataset.test[0]) == 0:
            raise DataError(f"Source {source!r} brought an empty test split.")
        splits["test"] = (dataset.test[0], np.asarray(dataset.test[1]))
    return splits


def _class_counts(dataset: Dataset, splits: dict[str, tuple], source: str) -> dict[str, list[int]]:
    """Samples of each class per split (classification), after checking every label is a declared class."""
    if dataset.task != CLASSIFICATION:
        return {}
    num_classes = len(dataset.class_names)
    for name, (_, targets) in splits.items():
        _check_labels(targets, num_classes, f"{source!r} ({name} split)")
    return {name: np.bincount(targets, minlength=num_classes).tolist() for name, (_, targets) in splits.items()}


def _preprocess(splits: dict[str, tuple], steps: list, task: str) -> dict[str, tuple]:
    """Fit each step on the training split, apply it to every split; numeric, finite arrays out.

    Streamed features take each step's streaming path: statistics from one pass over the
    training split's files, then a map per sample on every split.
    """
    streamed = isinstance(splits["train"][0], Stream)
    for step in steps:
        if not step.takes_tables:
            # Pixels stay bytes through a rescale; any other step computes on them as float32, as before.
            keep = isinstance(step, Rescale)
            splits = {name: (_numeric(features, keep_pixels=keep), targets)
                      for name, (features, targets) in splits.items()}
        if streamed:
            step.fit_stream(*splits["train"], task)
            splits = {name: step.transform_stream(*part) for name, part in splits.items()}
        else:
            step.fit(*splits["train"], task)
            splits = {name: step.transform(*part) for name, part in splits.items()}
    splits = {name: (_numeric(features), targets) for name, (features, targets) in splits.items()}
    for name, (features, _) in splits.items():
        _check_finite(features, name)
    return splits


def _take(features, index: np.ndarray):
    if isinstance(features, (Stream, Pixels)):
        return features.take(index)
    if isinstance(features, pandas.DataFrame):
        return features.iloc[index].reset_index(drop=True)
    if isinstance(features, np.ndarray) and features.dtype.kind in "iuf":
        return aligned_rows(features, index)  # which the training pipeline shares instead of copying
    return features[index]


def _numeric(features, keep_pixels: bool = True):
    """Features as a float array; a table must hold only numbers by now, or be encoded first. Pixels held as
    uint8 stay so (`Pixels`, read as float32) unless `keep_pixels` is false."""
    if isinstance(features, Stream):
        return _numeric_stream(features)
    if whole_pixels(features):
        if not keep_pixels:
            return np.asarray(features, dtype="float32")
        return features if isinstance(features, Pixels) else Pixels(features)
    if not isinstance(features, pandas.DataFrame):
        return features
    text = [str(column) for column in features.columns if features[column].dtype.kind not in "iufb"]
    _refuse_text(text)
    return features.to_numpy(dtype="float32", na_value=np.nan)


def _numeric_stream(features: Stream) -> Stream:
    """A streamed table's rows as float vectors (other streams as they are)."""
    if not features.is_raw_table():
        return features
    _refuse_text([name for name, dtype in features.reader.dtypes.items() if dtype == "object"])
    return features.with_columns(lambda frame: frame.to_numpy(dtype="float32", na_value=np.nan))


def _refuse_text(text: list[str]) -> None:
    if text:
        raise DataError(
            f"The table's columns {text} hold text, which a model cannot take as it is. Add "
            "{'name': 'feature_space'} to data.preprocessing to encode them (or drop them with data.args.drop)."
        )


def _check_labels(targets: np.ndarray, num_classes: int, where: str) -> None:
    targets = np.asarray(targets)
    if targets.dtype.kind not in "iu":
        raise DataError(f"Class labels of {where} must be whole numbers; received {targets.dtype} values.")
    outside = np.unique(targets[(targets < 0) | (targets >= num_classes)])
    if outside.size:
        raise DataError(
            f"Labels {outside[:10].tolist()} of {where} are outside the {num_classes} declared classes "
            f"(0 to {num_classes - 1}). Declare the classes the data has (data.args.classes), or remove those rows."
        )


def _check_finite(features: np.ndarray | Stream, split: str) -> None:
    if isinstance(features, Stream):
        if features.gaps:
            raise DataError(
                f"After preprocessing, the streamed {split} split may still hold missing values: the file has "
                f"{sum(features.gaps.values())} gaps in columns {sorted(features.gaps)[:10]}. Add "
                "{'name': 'feature_space', 'impute': 'mean'} or {'name': 'impute', 'strategy': 'mean'} to "
                "data.preprocessing, or clean the data."
            )
        return
    if isinstance(features, Pixels):
        if not np.isfinite([features.scale, features.offset]).all():
            raise DataError(f"The {split} split's pixels are rescaled by {features.scale!r} + {features.offset!r}; "
                            "give the rescale step a finite scale and offset.")
        return
    if features.dtype.kind != "f":
        return
    missing = ~np.isfinite(features)
    if missing.any():
        flat = missing.reshape(len(features), -1)
        columns = np.flatnonzero(flat.any(axis=0))[:10].tolist()
        raise DataError(
            f"After preprocessing, the {split} split still holds {int(missing.sum())} missing or infinite values "
            f"(in {int(flat.any(axis=1).sum())} rows; feature positions {columns}). Add {{'name': 'impute'}} "
            "(or {'name': 'feature_space'} for a table) to data.preprocessing, or clean the data."
        )


def _per_class(targets: np.ndarray, train: np.ndarray, count: int, seed: int, classification: bool) -> np.ndarray:
    if not classification:
        raise DataError("`data.train_per_class` needs a classification source.")
    if not isinstance(count, int) or count < 1:
        raise DataError(f"`data.train_per_class` must be a whole number >= 1. Received: {count!r}")
    generator = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(targets[train]):
        members = train[targets[train] == label]
        if len(members) < count:
            raise DataError(
                f"`data.train_per_class={count}` asks for more training samples of class {label} than the "
                f"training split holds ({len(members)})."
            )
        chosen.append(generator.choice(members, size=count, replace=False))
    return np.sort(np.concatenate(chosen))
