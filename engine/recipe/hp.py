"""Hyperparameter ranges written in place in a recipe, each with the default a plain run uses.

    learning_rate=hp.Float("learning_rate", 1e-4, 1e-2, log=True, default=1e-3)

A plain run resolves every range to its default; `make tune` hands the same ranges to
KerasTuner. The argument names follow KerasTuner's (`min_value`, `max_value`, `step`,
`values`, `default`), with `log=True` as the short form of `sampling="log"`.

A range can be conditional, as in KerasTuner: `parent_name` names another range and
`parent_values` the values of it for which this range matters, e.g.
`"momentum": hp.Float("momentum", 0.0, 0.99, default=0.9, parent_name="optimizer", parent_values=["sgd"])`.
When the parent takes another value the key holding the range is left out of the resolved
recipe altogether, so an optimizer never receives an argument it does not take.

Why our own classes and not KerasTuner's `HyperParameters` objects: a range here is a value inside a
recipe dataclass, so it must be frozen and comparable (two ranges under one name are refused unless
equal), serialize to a stable JSON form in recipe.json (`{"hp": "Float", ...}`), and require its
default, which KerasTuner makes optional (it silently falls back to the minimum). What KerasTuner
already does is not written again: `register` declares the ranges in a `keras_tuner.HyperParameters`,
and which conditional ranges are active is KerasTuner's own `is_active` (`active_values`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.errors import RecipeError


@dataclass(frozen=True)
class Range:
    """Base class of every range: a name and a default."""

    name: str

    kind = "Range"

    @property
    def value_type(self) -> type:
        """The Python type of a value this range can take."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form: {"hp": "<kind>", ...arguments}, conditions only when set."""
        config = {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}
        if config.get("parent_name") is None:
            config.pop("parent_name", None)
            config.pop("parent_values", None)
        return {"hp": self.kind, **config}

    def check(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise RecipeError(f"A hyperparameter needs a non-empty name. Received: name={self.name!r}")
        parent_name, parent_values = getattr(self, "parent_name", None), getattr(self, "parent_values", None)
        if (parent_name is None) != (parent_values is None):
            raise RecipeError(
                f"hp.{self.kind}({self.name!r}) needs both `parent_name` and `parent_values`, or neither."
            )
        if parent_values is not None:
            if not isinstance(parent_values, (list, tuple)) or not parent_values:
                raise RecipeError(
                    f"hp.{self.kind}({self.name!r}) `parent_values` must be a non-empty list. "
                    f"Received: parent_values={parent_values!r}"
                )
            object.__setattr__(self, "parent_values", tuple(parent_values))

    def keras_tuner_arguments(self) -> dict[str, Any]:
        """Keyword arguments for the KerasTuner method of the same kind (hp.Float, hp.Int, ...)."""
        raise NotImplementedError


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Float(Range):
    """A real number between `min_value` and `max_value`."""

    min_value: float = 0.0
    max_value: float = 1.0
    default: float = field(default=None)  # type: ignore[assignment]
    step: float | None = None
    log: bool = False
    parent_name: str | None = None
    parent_values: tuple | None = None

    kind = "Float"

    def __post_init__(self) -> None:
        self.check()
        for argument in ("min_value", "max_value", "default"):
            if not _is_number(getattr(self, argument)):
                raise RecipeError(
                    f"hp.Float({self.name!r}) needs a number for `{argument}`. "
                    f"Received: {argument}={getattr(self, argument)!r}"
                )
        _check_bounds(self)
        if self.log and self.min_value <= 0:
            raise RecipeError(
                f"hp.Float({self.name!r}, log=True) needs min_value > 0. "
                f"Received: min_value={self.min_value!r}"
            )

    @property
    def value_type(self) -> type:
        return float

    def keras_tuner_arguments(self) -> dict[str, Any]:
        return {"min_value": float(self.min_value), "max_value": float(self.max_value), "step": self.step,
                "sampling": "log" if self.log else "linear", "default": float(self.default)}


@dataclass(frozen=True)
class Int(Range):
    """A whole number between `min_value` and `max_value` (inclusive), in steps of `step`."""

    min_value: int = 0
    max_value: int = 1
    default: int = field(default=None)  # type: ignore[assignment]
    step: int = 1
    log: bool = False
    parent_name: str | None = None
    parent_values: tuple | None = None

    kind = "Int"

    def __post_init__(self) -> None:
        self.check()
        for argument in ("min_value", "max_value", "default", "step"):
            value = getattr(self, argument)
            if not isinstance(value, int) or isinstance(value, bool):
                raise RecipeError(
                    f"hp.Int({self.name!r}) needs a whole number for `{argument}`. "
                    f"Received: {argument}={value!r}"
                )
        _check_bounds(self)

    @property
    def value_type(self) -> type:
        return int

    def keras_tuner_arguments(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "step": self.step,
                "sampling": "log" if self.log else "linear", "default": self.default}


@dataclass(frozen=True)
class Choice(Range):
    """One of a list of values (numbers, strings or booleans, all of one type)."""

    values: tuple = ()
    default: Any = None
    parent_name: str | None = None
    parent_values: tuple | None = None

    kind = "Choice"

    def __post_init__(self) -> None:
        self.check()
        object.__setattr__(self, "values", tuple(self.values))
        if not self.values:
            raise RecipeError(f"hp.Choice({self.name!r}) needs a non-empty list of values.")
        if len({type(value) for value in self.values}) > 1:
            raise RecipeError(
                f"hp.Choice({self.name!r}) needs values of one type. Received: values={list(self.values)!r}"
            )
        if self.default is None:
            raise RecipeError(f"hp.Choice({self.name!r}) needs a default, one of {list(self.values)!r}.")
        if self.default not in self.values:
            raise RecipeError(
                f"hp.Choice({self.name!r}) default must be one of {list(self.values)!r}. "
                f"Received: default={self.default!r}"
            )

    @property
    def value_type(self) -> type:
        return type(self.values[0])

    def keras_tuner_arguments(self) -> dict[str, Any]:
        return {"values": list(self.values), "default": self.default}


@dataclass(frozen=True)
class Boolean(Range):
    """True or False."""

    default: bool = False
    parent_name: str | None = None
    parent_values: tuple | None = None

    kind = "Boolean"

    def __post_init__(self) -> None:
        self.check()
        if not isinstance(self.default, bool):
            raise RecipeError(
                f"hp.Boolean({self.name!r}) default must be True or False. Received: default={self.default!r}"
            )

    @property
    def value_type(self) -> type:
        return bool

    def keras_tuner_arguments(self) -> dict[str, Any]:
        return {"default": self.default}


def _check_bounds(hyperparameter: Float | Int) -> None:
    name = f"hp.{hyperparameter.kind}({hyperparameter.name!r})"
    if hyperparameter.default is None:
        raise RecipeError(f"{name} needs a default: the value a plain run uses.")
    if hyperparameter.min_value > hyperparameter.max_value:
        raise RecipeError(
            f"{name} needs min_value <= max_value. "
            f"Received: min_value={hyperparameter.min_value!r}, max_value={hyperparameter.max_value!r}"
        )
    if not hyperparameter.min_value <= hyperparameter.default <= hyperparameter.max_value:
        raise RecipeError(
            f"{name} default must lie between min_value and max_value "
            f"({hyperparameter.min_value!r} to {hyperparameter.max_value!r}). "
            f"Received: default={hyperparameter.default!r}"
        )


KINDS: dict[str, type[Range]] = {kind.kind: kind for kind in (Float, Int, Choice, Boolean)}


def is_range_dict(value: Any) -> bool:
    """Whether `value` is the JSON form of a range."""
    return isinstance(value, dict) and "hp" in value


def from_dict(config: dict[str, Any]) -> Range:
    """Rebuild a range from its JSON form."""
    config = dict(config)
    kind = config.pop("hp")
    if kind not in KINDS:
        raise RecipeError(
            f"`hp` must be one of {sorted(KINDS)}. Received: hp={kind!r}"
        )
    try:
        return KINDS[kind](**config)
    except TypeError as error:
        raise RecipeError(f"hp.{kind} was given arguments it does not take: {error}") from None


def register(hyperparameters, ranges: list[Range]) -> None:
    """Declare `ranges` in a `keras_tuner.HyperParameters`, parents before their children, with conditions.

    Values already set in `hyperparameters.values` are kept: KerasTuner only fills in defaults.
    """
    by_name = {range_.name: range_ for range_ in ranges}
    declared: set[str] = set()

    def declare(range_: Range) -> None:
        if range_.name in declared:
            return
        declared.add(range_.name)
        parent_name = getattr(range_, "parent_name", None)
        arguments = range_.keras_tuner_arguments()
        if parent_name is not None:
            if parent_name in by_name:
                declare(by_name[parent_name])
            arguments.update(parent_name=parent_name, parent_values=list(range_.parent_values))
        getattr(hyperparameters, range_.kind)(range_.name, **arguments)

    for range_ in ranges:
        declare(range_)


def active_values(ranges: list[Range], values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The value of every active range, by name: `values` where given, else the default.

    Which ranges are active is KerasTuner's own rule (`HyperParameters.is_active`): a conditional
    range is active when its parent is active and takes one of its `parent_values`.
    """
    import keras_tuner  # imported here: reading a recipe does not need it

    hyperparameters = keras_tuner.HyperParameters()
    hyperparameters.values.update({name: value for name, value in (values or {}).items()
                                   if name in {range_.name for range_ in ranges}})
    register(hyperparameters, ranges)
    return {range_.name: hyperparameters.values.get(range_.name, range_.default) for range_ in ranges
            if hyperparameters.is_active(range_.name)}
