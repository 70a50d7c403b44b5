"""One planning path for `make recipe` and `make tune`: everything that can be refused, then the data.

`plan_recipe` checks the recipe's name, resolves its ranges (defaults, or the values a search chose),
checks every number, the model and the fine-tuning phase, chooses the strategy (and checks it can run
the recipe's precision), seeds every random generator, turns on deterministic ops (unless the recipe
asks for XLA, see engine.run.speed), reads the data and fills the speed settings the recipe leaves unset
(engine.run.auto_speed, which may time a short probe). It writes nothing, so a refused recipe
leaves no folder behind. A plain run then `build`s the model; a search builds one per trial.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import keras

from engine.distribute.strategy import Chosen, choose_strategy
from engine.kinds import Learning, kind_of
from engine.recipe import hp
from engine.recipe.names import check_recipe_name
from engine.recipe.resolve import collect_ranges, resolve
from engine.recipe.schema import Recipe, check_kind_fields
from engine.run import auto_speed
from engine.run.building import check_fine_tune, check_model, check_resolved
from engine.run.speed import check_hardware, set_op_determinism

PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "keras-tuner", "tensorboard", "scikit-learn", "numpy")


@dataclass
class Plan:
    """A checked, resolved recipe with its data and strategy; after `build`, its compiled model too."""

    recipe: Recipe  # resolved: every range replaced by a value
    ranges: dict[str, hp.Range]  # the ranges the recipe declared, by dotted path
    values: dict[str, Any]  # the value of every active range, by name
    prepared: Any  # data.Prepared; for an agent, its environment's description (the kind's `prepare`)
    chosen: Chosen
    model: keras.Model | None = None
    output: dict[str, Any] = field(default_factory=dict)  # units and activation of the output layer
    callbacks: list[keras.callbacks.Callback] = field(default_factory=list)  # the recipe's own
    # What a kind's checks computed before the run folder existed and its training reuses (a curriculum's
    # declared difficulty scores), so a setting is tried once, before anything is written.
    checked: dict[str, Any] = field(default_factory=dict)
    # The kind of learning (engine.kinds), looked up once: every step of the run is its.
    kind: Learning | None = None
    # How the speed settings were chosen (engine.run.auto_speed), for env.json and the console.
    speed: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind is None:
            self.kind = kind_of(self.recipe)

    @property
    def global_batch(self) -> int:
        """Samples per step over all replicas: `batch_size` is per replica."""
        return self.recipe.batch_size * self.chosen.replicas

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """Scalar settings for TensorBoard's HParams dashboard: every active range plus the usual knobs."""
        recipe = self.recipe
        optimizer = recipe.optimizer if isinstance(recipe.optimizer, dict) else {"name": recipe.optimizer}
        shown: dict[str, Any] = {
            "model": recipe.model.name or str(recipe.model.builder).rpartition(":")[2],
            "optimizer": optimizer["name"],
            "batch_size": recipe.batch_size,
            "epochs": recipe.epochs,
            "seed": recipe.seed,
        }
        if isinstance(optimizer.get("learning_rate"), (int, float)):
            shown["learning_rate"] = float(optimizer["learning_rate"])
        shown.update(self.values)
        return {key: value for key, value in shown.items() if isinstance(value, (bool, int, float, str))}


def plan_recipe(recipe: Recipe, values: dict[str, Any] | None = None,
                check: Callable[[Recipe], None] | None = None) -> Plan:
    """Check everything, choose the strategy, seed and read the data; writes nothing.

    `values` sets ranges by name (a search's choice); the others take their defaults. `check` is a
    further check of the resolved recipe that runs before the strategy and data (a search's settings).
    """
    check_recipe_name(recipe.name or "")
    check_kind_fields(recipe)
    ranges = collect_ranges(recipe)
    resolved = resolve(recipe, values)
    check_resolved(resolved.to_dict())
    check_fine_tune(resolved)
    check_model(resolved)
    kind = kind_of(resolved)
    kind.check(resolved)
    if check is not None:
        check(resolved)
    chosen = choose_strategy(resolved.strategy, resolved.replicas)
    check_hardware(resolved.precision, chosen.name)
    keras.utils.set_random_seed(resolved.seed)
    set_op_determinism(resolved.jit_compile)
    prepared = kind.prepare(resolved)
    plan = Plan(resolved, ranges, hp.active_values(list(ranges.values()), values), prepared, chosen, kind=kind)
    plan.recipe, plan.speed = auto_speed.choose(resolved, chosen.name, *kind.speed_probe(plan))
    # Afresh, probe or not: the run starts from the same random state whichever way its settings were chosen.
    keras.utils.set_random_seed(resolved.seed)
    return plan


def build(plan: Plan) -> Plan:
    """The recipe's model, compiled under the plan's strategy, and its callbacks: the kind's to build."""
    plan.kind.build(plan)
    return plan


def versions() -> dict[str, str]:
    """Python's and the main packages' versions, for env.json and model cards."""
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found
