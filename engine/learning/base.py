"""What every kind of learning gives back, and the shape of a kind."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.errors import RecipeError, suggestion
from engine.report.cost import EpochTimer
from engine.run.resume import EpochLog


@dataclass
class Trained:
    """What training left: the epochs' logs, the timer, Keras's test and validation metrics, why it stopped."""

    log: EpochLog
    timer: EpochTimer
    seconds: float
    metrics: dict[str, dict[str, float]]
    stopped_by: str = ""  # empty when every epoch ran
    restored_best: bool = False  # a callback put back the weights of the best epoch
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Learning:
    """A kind of learning: how it trains and how it is assessed; everything else is the engine's."""

    name: str
    train: Callable[..., Trained]  # (plan, folder or None, resume or None, console, verbose) -> Trained
    assess: Callable[..., Any]  # (plan, trained, folder) -> engine.report.assessment.Assessment
    check: Callable[..., None] = lambda recipe: None  # refuses what this kind cannot use, before the data
    check_built: Callable[..., None] = lambda plan: None  # refuses what only the data and model can tell
    callbacks: Callable[..., list] = lambda recipe, model, prepared: []  # added to the recipe's callbacks
    # False for a kind that never reads the labels (unsupervised): each input is its own target, the splits
    # ignore `data.stratify`, the output layer is the model's own, and no state for predict/export is saved.
    labelled: bool = True
    # A kind without a dataset (reinforcement: an environment) prepares, builds and records its own way;
    # None keeps the engine's: data.prepare, the recipe's compiled model, engine.run.record.record.
    prepare: Callable[..., Any] | None = None  # (recipe) -> what stands for the data (plan.prepared)
    build: Callable[..., None] | None = None  # (plan) -> None; sets plan.model, plan.output, plan.callbacks
    record: Callable[..., Any] | None = None  # (plan, trained, assessment, folder, env, console) -> RunResult


def technique_settings(field_name: str, given: dict | None, settings_class: type):
    """A technique's settings (`Recipe.active_learning`, `Recipe.curriculum`) as its dataclass, refusing a key
    that is not one of its fields, with the closest ones."""
    given = dict(given or {})
    names = [item.name for item in dataclasses.fields(settings_class)]
    unknown = [key for key in given if key not in names]
    if unknown:
        raise RecipeError(f"`{field_name}` has no setting `{unknown[0]}`. {suggestion(unknown[0], names)} "
                          f"Settings: {', '.join(names)}.")
    return settings_class(**given)
