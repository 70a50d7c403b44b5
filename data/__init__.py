"""Where data comes from and how it is prepared: sources, splits, preprocessing, pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from data.errors import DataError
from data.preprocessing import build_step, list_steps, step_arguments
from data.sources import CLASSIFICATION, REGRESSION, Dataset, get_source, list_sources, load, register_source
from data.splits import split_indices

__all__ = [
    "CLASSIFICATION", "REGRESSION", "DataError", "Dataset", "Prepared", "get_source", "list_sources",
    "list_steps", "load", "prepare", "register_source", "split_indices", "step_arguments",
]


@dataclass
class Prepared:
    """A source split into train / validation / test, preprocessed and ready for tf.data."""

    splits: dict[str, tuple[np.ndarray, np.ndarray]]
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
    validation_split: float = 0.15,
    test_split: float = 0.15,
    stratify: bool = True,
    preprocessing: list | None = None,
    seed: int = 0,
) -> Prepared:
    """Load `source`, split it with `seed`, and fit then apply `preprocessing` (training split only)."""
    dataset = load(source, **(args or {}))
    if len(dataset.features) != len(dataset.targets):
        raise DataError(
            f"Source {source!r} gave {len(dataset.features)} feature rows but {len(dataset.targets)} targets."
        )
    classification = dataset.task == CLASSIFICATION
    parts = split_indices(dataset.targets, validation_split, test_split, seed, stratify and classification)
    splits = {name: (dataset.features[index], dataset.targets[index]) for name, index in parts.items()}
    num_classes = len(dataset.class_names) if classification else 0
    class_counts = {}
    if classification:
        class_counts = {
            name: np.bincount(targets, minlength=num_classes).tolist() for name, (_, targets) in splits.items()
        }
    steps = [build_step(config) for config in (preprocessing or [])]
    for step in steps:
        step.fit(*splits["train"], dataset.task)
        splits = {name: step.transform(*part) for name, part in splits.items()}
    targets = splits["train"][1]
    num_targets = 1 if targets.ndim == 1 or classification else int(targets.shape[1])
    scaling = next((step.describe() for step in steps if "target_std" in step.describe()), None)
    return Prepared(
        splits=splits,
        task=dataset.task,
        input_shape=tuple(int(size) for size in splits["train"][0].shape[1:]),
        num_classes=num_classes,
        num_targets=num_targets,
        class_names=dataset.class_names,
        class_counts=class_counts,
        target_mean=scaling["target_mean"] if scaling else None,
        target_scale=scaling["target_std"] if scaling else None,
        steps=[{"name": config if isinstance(config, str) else config["name"], **step.describe()}
               for config, step in zip(preprocessing or [], steps, strict=True)],
    )
