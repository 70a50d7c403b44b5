"""The recipe: everything a training run needs, declared as plain data.

A recipe module builds one `Recipe(...)` and names it `recipe`. Every field serializes to
JSON (`Recipe.to_dict`), which is what runs save as `recipe.json` and what dotted
overrides edit. Hyperparameter ranges (`engine.recipe.hp`) may stand wherever a number, string or
boolean does; `resolve` replaces each with its default, or with values a tuner chose.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.errors import UserError
from common.references import import_reference, reference_to
from engine.errors import RecipeError, suggestion
from engine.kinds import Learning, every_kind, kind_named
from engine.recipe import hp


@dataclass
class Data:
    """Where the data comes from, how it is split and how it is prepared.

    `source` names a loader in `data.sources` (`make list` shows them) and `args` are its
    keyword arguments. The split is seeded by the recipe's seed and stratified by class for
    classification. `preprocessing` is a list of steps such as `{"name": "standardize"}`,
    each fitted on the training split only.
    """

    source: str  # a loader of data.sources (make list shows them)
    args: dict = field(default_factory=dict)  # the loader's keyword arguments
    validation_split: float = 0.15  # share of the samples held out to choose epochs and ranges
    test_split: float = 0.15  # share of the samples held out for the final test
    stratify: bool = True  # splits keep each class's share (classification)
    # Steps fitted on the training split only, e.g. [{"name": "standardize"}].
    preprocessing: list = field(default_factory=list)
    # Keep only this many training samples per class (seeded): few-label and fine-tuning studies.
    train_per_class: int | None = None
    # Random image layers for training batches only, e.g. [{"name": "random_flip", "mode": "horizontal"}].
    augmentation: list = field(default_factory=list)
    # Symmetric label noise on the training split only (validation and test stay clean): this fraction of the
    # training labels, chosen with the recipe's seed, is replaced by another class drawn uniformly.
    label_noise: float = 0.0


@dataclass
class Model:
    """The architecture: a zoo model `name`, or a `builder` function, plus its arguments.

    A builder is called as `builder(input_shape=..., num_classes=..., **args)` and returns a
    Keras model, like a zoo builder. In `recipe.json` it is stored as `"<file or module>:<name>"`.

    `name` may also be a shipped pretrained model (`zoo.list_pretrained()`): with
    `pretrained=True` its verified weights are loaded (its head replaced when the classes
    differ), and `freeze_backbone=True` trains only the head (see `Recipe.fine_tune`).
    """

    name: str | None = None  # a zoo model or a shipped pretrained entry (make list shows them)
    args: dict = field(default_factory=dict)  # the builder's keyword arguments
    builder: Callable | str | None = None  # a function of one's own, "file.py:name", in place of a zoo name
    pretrained: bool = False  # load the shipped entry's verified weights (its head replaced when classes differ)
    freeze_backbone: bool = False  # train only the new head


@dataclass
class Tuner:
    """KerasTuner settings used by `make tune`; a plain run ignores them."""

    name: str = "random"  # the KerasTuner tuner: random, bayesian, hyperband or grid
    objective: str = "val_loss"  # the metric a trial is scored by (val_loss is minimized, others maximized)
    max_trials: int = 10  # trials at most
    executions_per_trial: int = 1  # runs of each trial, averaged
    args: dict = field(default_factory=dict)  # the tuner's own arguments


@dataclass
class Environment:
    """A Gymnasium environment: what a reinforcement recipe learns from, in place of `data`.

    `id` is a registered Gymnasium id ("CartPole-v1", "Acrobot-v1"); `args` are keyword arguments of
    `gymnasium.make` (`{"max_episode_steps": 200}`, or the environment's own). See data.environments.
    """

    id: str  # a registered Gymnasium id
    args: dict = field(default_factory=dict)  # keyword arguments of gymnasium.make


@dataclass
class Agent:
    """The algorithm that trains a reinforcement recipe's network, and its settings.

    `algorithm` names one of engine.learning.reinforcement.agents ("dqn", "ppo"); `args` are that
    algorithm's own settings (its `Settings` dataclass states each with its default and reason). The
    network is the recipe's `model`, the optimizer and learning rate its `optimizer`, the batch its `batch_size`.
    """

    algorithm: str  # "dqn" or "ppo"
    # The training budget, in environment steps (all environments together).
    total_steps: int = 100_000
    # The discount of future rewards per step.
    gamma: float = 0.99
    # Greedy episodes that score the trained policy, on seeds training never used.
    evaluation_episodes: int = 100
    args: dict = field(default_factory=dict)  # the algorithm's own settings


@dataclass
class Recipe:
    """A complete, JSON-serializable training declaration.

    Loss, optimizer, metrics and callbacks use Keras's own names: `loss` is anything
    `keras.losses.get` accepts, `optimizer` is `{"name": <keras.optimizers name>,
    "learning_rate": ..., <other optimizer arguments>}` where the learning rate may be a
    schedule in Keras's serialized form (`{"class_name": "CosineDecay", "config": {...}}`),
    `metrics` are `keras.metrics.get` names, and each callback is
    `{"name": <a class in keras.callbacks>, <its arguments>}`. A loss, a metric or a callback may
    also be a top-level function or class of the recipe's file or a module, stored as `"file.py:name"`.

    `batch_size` is per replica: under a strategy with N replicas each step sees N times it.
    """

    # `data` and `loss` for the supervised and unsupervised kinds, `environment` and `agent` for the
    # reinforcement kind, `model` for all (engine.kinds.Learning.fields): each kind refuses the others' fields.
    data: Data | None = None  # where the samples come from, their splits and preprocessing
    model: Model | None = None  # the architecture
    loss: str | dict | Callable | None = None  # a keras.losses name, a serialized loss or "file.py:name"
    # The kind of learning (engine.learning): "supervised" learns the labels; "unsupervised" never lets
    # them reach the model or the loss (an autoencoder learns to reconstruct its inputs) and uses them
    # only to assess what it learned; "reinforcement" trains an agent in an environment for rewards.
    kind: str = "supervised"
    environment: Environment | None = None  # the Gymnasium environment a reinforcement recipe learns from
    agent: Agent | None = None  # the reinforcement algorithm and its budget
    # {"name": <a keras.optimizers name>, "learning_rate": ..., <its other arguments>}.
    optimizer: dict | str = field(default_factory=lambda: {"name": "adam", "learning_rate": 1e-3})
    metrics: list = field(default_factory=list)  # keras.metrics names reported per epoch and on test
    callbacks: list = field(default_factory=list)  # {"name": <a keras.callbacks class>, <its arguments>} each
    batch_size: int = 32  # samples per step on each replica
    epochs: int = 10  # passes over the training split at most (callbacks may stop earlier)
    seed: int = 42  # seeds the splits, weights, shuffling and augmentation
    strategy: str = "auto"  # the tf.distribute strategy: auto, cpu, gpu, mirrored, multi_worker or tpu
    replicas: int | None = None  # devices to train on (None: every one the strategy finds)
    # Speed settings (engine.run.speed, engine.run.auto_speed). "auto" fills the precision and steps per
    # execution a recipe leaves unset, from the hardware and a short timed probe; "off": float32 and one step.
    speed: str = "auto"
    # "float32", "mixed_float16" or "mixed_bfloat16"; unset (None), `speed` chooses.
    precision: str | None = None
    jit_compile: bool | str = "auto"  # XLA: "auto" follows Keras (on for GPUs, off on CPU-only machines)
    # Training steps per call into the compiled function; unset (None), `speed` chooses.
    steps_per_execution: int | None = None
    # Seconds between the backups a killed run resumes from (engine.run.resume); 0 backs up every epoch.
    backup_interval: float = 30.0
    tuner: Tuner = field(default_factory=Tuner)  # how make tune searches the recipe's ranges
    # A second training phase after the first: {"epochs": 20, "learning_rate": 1e-4} unfreezes a
    # frozen backbone (batch normalization stays frozen) and trains everything at that rate.
    fine_tune: dict = field(default_factory=dict)
    # Techniques that wrap supervised training (engine.learning), one at a time.
    # Active learning chooses which training samples get labels, round by round: {"initial_per_class": 2,
    # "query_size": 10, "budget": 200, "strategy": "margin"} (engine.learning.active).
    active_learning: dict = field(default_factory=dict)
    # A curriculum sets the order and pace in which training samples are shown: {"difficulty": "teacher_loss",
    # "pacing": "linear", ...} (engine.learning.curriculum).
    curriculum: dict = field(default_factory=dict)
    # Test metrics the recipe is expected to reach, each a lower bound ({"accuracy": 0.98}).
    # The report says whether a run met them; the catalog tests hold every recipe to them.
    targets: dict = field(default_factory=dict)
    name: str | None = None  # the catalog name, also the run folder's parent
    description: str = ""  # one paragraph: the first sentence is what make list shows

    def to_dict(self) -> dict[str, Any]:
        """The recipe as JSON-ready data, with ranges in their `{"hp": ...}` form."""
        return to_plain(self)

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> Recipe:
        """Rebuild a recipe from `to_dict` output, refusing unknown or mistyped fields."""
        return _build_dataclass(cls, config, path="")


NONE = type(None)
# The fields `speed="auto"` fills when a recipe leaves them unset (engine.run.auto_speed): a run's recipe.json holds
# the values chosen, which `make compare` does not count as settings the user changed.
SPEED_FILLED = ("precision", "steps_per_execution")
# Annotations name what a user writes; after `to_plain` a function or class is its "file.py:name" string.
_PLAIN = {Callable: str}


def field_types(cls: type) -> dict[str, tuple[type, ...]]:
    """The plain types each field of a recipe dataclass accepts, read off its annotations.

    A nested recipe dataclass (`Recipe.data` is a `Data`) accepts a mapping of its fields.
    """
    found = {}
    for name, hint in typing.get_type_hints(cls).items():
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        plain = [dict if dataclasses.is_dataclass(option) else _PLAIN.get(typing.get_origin(option) or option,
                                                                        typing.get_origin(option) or option)
                 for option in options]
        found[name] = tuple(dict.fromkeys(plain))
    return found


def nested_class(cls: type, name: str) -> type | None:
    """The recipe dataclass a field holds (`Data` for `Recipe.data`, also when it may be None), or None."""
    hint = typing.get_type_hints(cls).get(name)
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return next((option for option in options if dataclasses.is_dataclass(option)), None)


def check_kind_fields(recipe: Recipe) -> None:
    """Refuse a recipe that lacks a field its kind needs, or declares one that belongs to another kind; each kind
    declares its fields (engine.kinds.Learning.fields), and a field that only other kinds need is refused.

    Part of the check phase (engine.run.plan.plan_recipe), not of reading a recipe: reading one loads no kind,
    so that commands which train nothing (make show aside) start without TensorFlow."""
    try:
        needed = kind_named(recipe.kind).fields
    except RecipeError:
        return  # an unknown kind is refused with the other values (engine.recipe.validation)
    owners: dict[str, Learning] = {}
    for kind in every_kind():
        for name in kind.fields if not kind.technique else ():
            owners.setdefault(name, kind)
    for name in needed:
        if getattr(recipe, name) is None:
            raise RecipeError(f"The recipe is missing the required field `{name}`: a {recipe.kind} recipe "
                              f"(kind={recipe.kind!r}) declares {', '.join(f'`{field}`' for field in needed)}.")
    foreign = [name for name in owners if name not in needed and getattr(recipe, name) is not None]
    if foreign:
        owner = owners[foreign[0]]
        raise RecipeError(
            f"`{foreign[0]}` has no place in a {recipe.kind} recipe (kind={recipe.kind!r}): it belongs to the "
            f"{owner.name} kind, which declares {', '.join(f'`{field}`' for field in owner.fields)}. Remove "
            f"`{foreign[0]}`, or set kind={owner.name!r} and declare that kind's fields instead.")


def type_names(types: tuple[type, ...]) -> str:
    names = {int: "int", float: "float", str: "str", bool: "bool", dict: "dict", list: "list", NONE: "null"}
    return " or ".join(names.get(kind, kind.__name__) for kind in types)


def matches_type(value: Any, types: tuple[type, ...]) -> bool:
    """Whether a plain value fits the accepted types (an int fits float; a bool fits only bool)."""
    if isinstance(value, hp.Range) or hp.is_range_dict(value):
        range_ = value if isinstance(value, hp.Range) else hp.from_dict(value)
        kind = range_.value_type
        return kind in types or (kind is int and float in types)
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    if isinstance(value, tuple) and list in types:
        return True
    return isinstance(value, types)


def _build_dataclass(cls: type, config: Any, path: str) -> Any:
    where = path or "the recipe"
    if isinstance(config, cls):
        config = to_plain(config)
    if not isinstance(config, dict):
        raise RecipeError(f"`{where}` must be a mapping of fields. Received: {config!r}")
    names = [item.name for item in dataclasses.fields(cls)]
    for key in config:
        if key not in names:
            full = f"{path}.{key}" if path else key
            raise RecipeError(
                f"Unknown recipe field `{full}`. {suggestion(key, names)} "
                f"Fields of {cls.__name__}: {', '.join(names)}."
            )
    values = {}
    for item in dataclasses.fields(cls):
        full = f"{path}.{item.name}" if path else item.name
        if item.name not in config:
            if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
                raise RecipeError(f"The recipe is missing the required field `{full}`.")
            continue
        value = config[item.name]
        nested = nested_class(cls, item.name)
        value = to_plain(value)  # nested dataclasses, and functions or classes as references
        expected = field_types(cls)[item.name]
        if not matches_type(value, expected):
            raise RecipeError(
                f"Recipe field `{full}` expects {type_names(expected)}. "
                f"Received: {value!r} ({type(value).__name__})."
            )
        if nested is not None and value is not None:
            value = _build_dataclass(nested, value, full)
        elif isinstance(value, int) and not isinstance(value, bool) and expected == (float,):
            value = float(value)
        values[item.name] = from_plain(value)
    built = cls(**values)
    if cls is Model and built.name is None and built.builder is None:
        raise RecipeError("`model` needs a zoo model `name` or a `builder` function.")
    if cls is Model and built.name is not None and built.builder is not None:
        raise RecipeError("`model` takes a zoo model `name` or a `builder`, not both.")
    return built


def to_plain(value: Any) -> Any:
    """Dataclasses, ranges, tuples, functions and classes turned into JSON-ready values."""
    if isinstance(value, hp.Range):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: to_plain(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    if callable(value):
        return code_reference(value)
    return value


def from_plain(value: Any) -> Any:
    """Range dictionaries turned back into `hp` objects, everything else kept."""
    if hp.is_range_dict(value):
        return hp.from_dict(value)
    if isinstance(value, dict):
        return {key: from_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_plain(item) for item in value]
    return value


def code_reference(function: Callable) -> str:
    """`"<module or file>:<name>"` for a top-level function or class (a builder, a loss, a callback),
    so recipe.json can point at it."""
    try:
        return reference_to(function, "A function or class in a recipe")
    except UserError as error:
        raise RecipeError(str(error)) from None


def load_builder(reference: str) -> Callable:
    """The function a `code_reference` string names."""
    return import_reference(reference, "`model.builder`", RecipeError)
