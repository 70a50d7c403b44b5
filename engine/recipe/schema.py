"""The recipe: everything a training run needs, declared as plain data.

A recipe module builds one `Recipe(...)` and names it `recipe`. Every field serializes to
JSON (`Recipe.to_dict`), which is what runs save as `recipe.json` and what dotted
overrides edit. Hyperparameter ranges (`engine.recipe.hp`) may stand wherever a number, string or
boolean does; `resolve` replaces each with its default, or with values a tuner chose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.errors import UserError
from common.references import import_reference, reference_to
from engine.errors import RecipeError, suggestion
from engine.recipe import hp


@dataclass
class Data:
    """Where the data comes from, how it is split and how it is prepared.

    `source` names a loader in `data.sources` (`make list` shows them) and `args` are its
    keyword arguments. The split is seeded by the recipe's seed and stratified by class for
    classification. `preprocessing` is a list of steps such as `{"name": "standardize"}`,
    each fitted on the training split only.
    """

    source: str
    args: dict = field(default_factory=dict)
    validation_split: float = 0.15
    test_split: float = 0.15
    stratify: bool = True
    preprocessing: list = field(default_factory=list)
    # Keep only this many training samples per class (seeded): few-label and fine-tuning studies.
    train_per_class: int | None = None
    # Random image layers for training batches only, e.g. [{"name": "random_flip", "mode": "horizontal"}].
    augmentation: list = field(default_factory=list)


@dataclass
class Model:
    """The architecture: a zoo model `name`, or a `builder` function, plus its arguments.

    A builder is called as `builder(input_shape=..., num_classes=..., **args)` and returns a
    Keras model, like a zoo builder. In `recipe.json` it is stored as `"<file or module>:<name>"`.

    `name` may also be a shipped pretrained model (`zoo.list_pretrained()`): with
    `pretrained=True` its verified weights are loaded (its head replaced when the classes
    differ), and `freeze_backbone=True` trains only the head (see `Recipe.fine_tune`).
    """

    name: str | None = None
    args: dict = field(default_factory=dict)
    builder: Callable | str | None = None
    pretrained: bool = False
    freeze_backbone: bool = False


@dataclass
class Tuner:
    """KerasTuner settings used by `make tune`; a plain run ignores them."""

    name: str = "random"
    objective: str = "val_loss"
    max_trials: int = 10
    executions_per_trial: int = 1
    args: dict = field(default_factory=dict)


@dataclass
class Recipe:
    """A complete, JSON-serializable training declaration.

    Loss, optimizer, metrics and callbacks use Keras's own names: `loss` is anything
    `keras.losses.get` accepts, `optimizer` is `{"name": <keras.optimizers name>,
    "learning_rate": ..., <other optimizer arguments>}` where the learning rate may be a
    schedule in Keras's serialized form (`{"class_name": "CosineDecay", "config": {...}}`),
    `metrics` are `keras.metrics.get` names, and each callback is
    `{"name": <a class in keras.callbacks>, <its arguments>}`.

    `batch_size` is per replica: under a strategy with N replicas each step sees N times it.
    """

    data: Data
    model: Model
    loss: str | dict
    optimizer: dict = field(default_factory=lambda: {"name": "adam", "learning_rate": 1e-3})
    metrics: list = field(default_factory=list)
    callbacks: list = field(default_factory=list)
    batch_size: int = 32
    epochs: int = 10
    seed: int = 42
    strategy: str = "auto"
    replicas: int | None = None
    tuner: Tuner = field(default_factory=Tuner)
    # A second training phase after the first: {"epochs": 20, "learning_rate": 1e-4} unfreezes a
    # frozen backbone (batch normalization stays frozen) and trains everything at that rate.
    fine_tune: dict = field(default_factory=dict)
    # Test metrics the recipe is expected to reach, each a lower bound ({"accuracy": 0.98}).
    # The report says whether a run met them; the catalog tests hold every recipe to them.
    targets: dict = field(default_factory=dict)
    name: str | None = None
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The recipe as JSON-ready data, with ranges in their `{"hp": ...}` form."""
        return to_plain(self)

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> Recipe:
        """Rebuild a recipe from `to_dict` output, refusing unknown or mistyped fields."""
        return _build_dataclass(cls, config, path="")


# Types each fixed field accepts, checked on construction and on every override.
# Open dictionaries (model.args, optimizer, callbacks, preprocessing steps) are checked
# against the signature of what they configure, in engine.validation.
NONE = type(None)
FIELD_TYPES: dict[type, dict[str, tuple[type, ...]]] = {
    Recipe: {
        "data": (dict,), "model": (dict,), "loss": (str, dict), "optimizer": (dict, str),
        "metrics": (list,), "callbacks": (list,), "batch_size": (int,), "epochs": (int,),
        "seed": (int,), "strategy": (str,), "replicas": (int, NONE), "tuner": (dict,),
        "fine_tune": (dict,), "targets": (dict,), "name": (str, NONE), "description": (str,),
    },
    Data: {
        "source": (str,), "args": (dict,), "validation_split": (float,), "test_split": (float,),
        "stratify": (bool,), "preprocessing": (list,), "train_per_class": (int, NONE),
        "augmentation": (list,),
    },
    Model: {"name": (str, NONE), "args": (dict,), "builder": (str, NONE), "pretrained": (bool,),
            "freeze_backbone": (bool,)},
    Tuner: {
        "name": (str,), "objective": (str,), "max_trials": (int,), "executions_per_trial": (int,),
        "args": (dict,),
    },
}
NESTED = {("Recipe", "data"): Data, ("Recipe", "model"): Model, ("Recipe", "tuner"): Tuner}


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
        nested = NESTED.get((cls.__name__, item.name))
        if nested is not None and isinstance(value, nested):
            value = to_plain(value)
        if cls is Model and item.name == "builder" and callable(value):
            value = builder_reference(value)
        expected = FIELD_TYPES[cls][item.name]
        if not matches_type(value, expected):
            raise RecipeError(
                f"Recipe field `{full}` expects {type_names(expected)}. "
                f"Received: {value!r} ({type(value).__name__})."
            )
        if nested is not None:
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
    """Dataclasses, ranges, tuples and builders turned into JSON-ready values."""
    if isinstance(value, hp.Range):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: to_plain(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    if callable(value):
        return builder_reference(value)
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


def builder_reference(function: Callable) -> str:
    """`"<module or file>:<name>"` for a top-level function, so recipe.json can point at it."""
    try:
        return reference_to(function, "A model builder")
    except UserError as error:
        raise RecipeError(str(error)) from None


def load_builder(reference: str) -> Callable:
    """The function a `builder_reference` string names."""
    return import_reference(reference, "`model.builder`", RecipeError)


def collect_ranges(value: Any, path: str = "") -> dict[str, hp.Range]:
    """Every range in a recipe (object or dict form), keyed by its dotted path."""
    found: dict[str, hp.Range] = {}
    if isinstance(value, hp.Range):
        found[path] = value
    elif hp.is_range_dict(value):
        found[path] = hp.from_dict(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            found.update(collect_ranges(getattr(value, item.name), _join(path, item.name)))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.update(collect_ranges(item, _join(path, str(key))))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(collect_ranges(item, _join(path, str(index))))
    return found


def check_ranges(ranges: dict[str, hp.Range]) -> None:
    """Refuse two different ranges under one name, and conditions on ranges that do not exist."""
    by_name: dict[str, tuple[str, hp.Range]] = {}
    for path, range_ in ranges.items():
        if range_.name in by_name and by_name[range_.name][1] != range_:
            raise RecipeError(
                f"Two different ranges share the name {range_.name!r} (at `{by_name[range_.name][0]}` and "
                f"`{path}`). Give each range its own name, or declare one range and reuse it."
            )
        by_name[range_.name] = (path, range_)
    for path, range_ in ranges.items():
        parent_name = getattr(range_, "parent_name", None)
        if parent_name is None:
            continue
        if parent_name not in by_name or parent_name == range_.name:
            raise RecipeError(
                f"The range {range_.name!r} at `{path}` depends on parent_name={parent_name!r}, which is not "
                f"another range of this recipe. {suggestion(parent_name, [n for n in by_name if n != range_.name])}"
            )
        parent = by_name[parent_name][1]
        possible = getattr(parent, "values", None) or ((False, True) if isinstance(parent, hp.Boolean) else None)
        if possible is not None and not set(range_.parent_values) <= set(possible):
            raise RecipeError(
                f"The range {range_.name!r} lists parent_values={list(range_.parent_values)!r}, but its parent "
                f"{parent_name!r} can only take {list(possible)!r}."
            )


def resolve(recipe: Recipe, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The recipe as plain data with every range replaced by a value.

    `values` maps a range's name to the value to use (a tuner's choice); any range not
    named there takes its default. A key holding an inactive conditional range is dropped.
    """
    ranges = collect_ranges(recipe)
    check_ranges(ranges)
    active = hp.active_values(list(ranges.values()), values)
    dropped = object()

    def walk(item: Any) -> Any:
        if hp.is_range_dict(item):
            return active.get(item["name"], dropped)
        if isinstance(item, dict):
            pairs = ((key, walk(inner)) for key, inner in item.items())
            return {key: inner for key, inner in pairs if inner is not dropped}
        if isinstance(item, list):
            return [inner for inner in map(walk, item) if inner is not dropped]
        return item

    return walk(recipe.to_dict())


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
