"""Hyperparameter ranges written in place in a recipe, each with the default a plain run uses.

    learning_rate=hp.Float("learning_rate", 1e-4, 1e-2, log=True, default=1e-3)

A plain run resolves every range to its default; `make tune` hands the same ranges to
KerasTuner. The argument names follow KerasTuner's (`min_value`, `max_value`, `step`,
`values`, `default`), with `log=True` as the short form of `sampling="log"`.
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
        """Plain JSON form: {"hp": "<kind>", ...arguments}."""
        return {"hp": self.kind, **asdict(self)}

    def check(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise RecipeError(f"A hyperparameter needs a non-empty name. Received: name={self.name!r}")


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


@dataclass(frozen=True)
class Int(Range):
    """A whole number between `min_value` and `max_value` (inclusive), in steps of `step`."""

    min_value: int = 0
    max_value: int = 1
    default: int = field(default=None)  # type: ignore[assignment]
    step: int = 1
    log: bool = False

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


@dataclass(frozen=True)
class Choice(Range):
    """One of a list of values (numbers, strings or booleans, all of one type)."""

    values: tuple = ()
    default: Any = None

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

    def to_dict(self) -> dict[str, Any]:
        return {"hp": self.kind, "name": self.name, "values": list(self.values), "default": self.default}


@dataclass(frozen=True)
class Boolean(Range):
    """True or False."""

    default: bool = False

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
