"""Every number a recipe passes on, checked against its stated range before anything is written.

As in scikit-learn's `_param_validation`, the ranges are data: `CONSTRAINTS` maps a dotted
key of the resolved recipe (its plain-dict form) to the values it accepts, written as
`Interval(Real, 0, None, closed="neither")`, `Options({"epoch"})`, `Pair(...)`, `SCHEDULE` or
`None`, and one function, `check_numbers`, checks them all, so every refusal reads the same:

    `optimizer.learning_rate` must be a number in (0, inf). Received: -0.01.

In a key, an entry of a list that has a "name" (a callback, an augmentation layer, a
preprocessing step) is named by it, e.g. `callbacks.EarlyStopping.patience`, which is also
how an override reaches it; `*` stands for any one key.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from numbers import Integral, Real
from typing import Any

from common.references import is_reference
from engine.errors import RecipeError
from engine.kinds import every_declaration, kind_names
from engine.recipe import hp

CLOSED = ("left", "right", "both", "neither")


class Interval:
    """Whole numbers (`Integral`) or real numbers (`Real`) between `lower` and `upper`.

    `None` for an end leaves that side unbounded; `closed` says which ends belong to the
    interval. A bool is not a number here, nor is NaN or an infinity.
    """

    def __init__(self, kind: type, lower: float | None, upper: float | None, *, closed: str) -> None:
        if kind not in (Integral, Real):
            raise ValueError(f"An Interval holds Integral or Real numbers. Received: {kind!r}")
        if closed not in CLOSED:
            raise ValueError(f"`closed` must be one of {', '.join(CLOSED)}. Received: {closed!r}")
        if lower is not None and upper is not None and lower > upper:
            raise ValueError(f"An Interval needs lower <= upper. Received: {lower!r} > {upper!r}")
        self.kind, self.lower, self.upper, self.closed = kind, lower, upper, closed

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.kind):
            return False
        if not math.isfinite(value):
            return False
        if self.lower is not None:
            below = value < self.lower if self.closed in ("left", "both") else value <= self.lower
            if below:
                return False
        if self.upper is not None:
            above = value > self.upper if self.closed in ("right", "both") else value >= self.upper
            if above:
                return False
        return True

    def __str__(self) -> str:
        left = "[" if self.closed in ("left", "both") and self.lower is not None else "("
        right = "]" if self.closed in ("right", "both") and self.upper is not None else ")"
        lower = "-inf" if self.lower is None else _number(self.lower)
        upper = "inf" if self.upper is None else _number(self.upper)
        noun = "an integer" if self.kind is Integral else "a number"
        return f"{noun} in {left}{lower}, {upper}{right}"

    def __repr__(self) -> str:
        return f"Interval({self.kind.__name__}, {self.lower!r}, {self.upper!r}, closed={self.closed!r})"


class Options:
    """One of a few exact values, such as the word "epoch" where a frequency may also be a number.

    The type must match too: `Options({False})` does not accept 0.
    """

    def __init__(self, options: set) -> None:
        self.options = options

    def is_satisfied_by(self, value: Any) -> bool:
        return any(value == option and type(value) is type(option) for option in self.options)

    def __str__(self) -> str:
        shown = sorted(_shown(option) for option in self.options)
        return shown[0] if len(shown) == 1 else f"one of {', '.join(shown)}"


class Pair:
    """A `[lower, upper]` pair whose two ends both lie in `interval`."""

    def __init__(self, interval: Interval) -> None:
        self.interval = interval

    def is_satisfied_by(self, value: Any) -> bool:
        return (isinstance(value, (list, tuple)) and len(value) == 2
                and all(self.interval.is_satisfied_by(end) for end in value))

    def __str__(self) -> str:
        return f"a pair [lower, upper] of {_plural(str(self.interval))}"


class Schedule:
    """A Keras learning-rate schedule in its serialized form; its config's numbers have their own keys."""

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, dict) and isinstance(value.get("class_name"), str) and isinstance(
            value.get("config"), dict)

    def __str__(self) -> str:
        return "a Keras schedule {'class_name': ..., 'config': {...}}"


class KindName:
    """The name of a kind of learning the registry knows (engine.kinds), or a reference to a kind's class."""

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, str) and (value in kind_names() or is_reference(value))

    def __str__(self) -> str:
        return f"one of {', '.join(repr(name) for name in kind_names())}, or a reference 'file.py:Class'"


class _Null:
    """`None` in a constraint list: the value may be left unset."""

    def is_satisfied_by(self, value: Any) -> bool:
        return value is None

    def __str__(self) -> str:
        return "null"


Constraint = Interval | Options | Pair | Schedule | KindName | _Null

POSITIVE_INT = Interval(Integral, 1, None, closed="left")
NON_NEGATIVE_INT = Interval(Integral, 0, None, closed="left")
POSITIVE = Interval(Real, 0, None, closed="neither")
NON_NEGATIVE = Interval(Real, 0, None, closed="left")
FRACTION = Interval(Real, 0, 1, closed="left")  # a rate that must stay below 1: dropout, a decay's beta
UNIT = Interval(Real, 0, 1, closed="both")
ANY_NUMBER = Interval(Real, None, None, closed="neither")
SCHEDULE = Schedule()
# An augmentation factor given as one number is used as [-factor, factor], so its sign means
# nothing; given as a pair it is the [lower, upper] range itself and may be negative.
SYMMETRIC_FACTOR = (UNIT, Pair(Interval(Real, -1, 1, closed="both")))

CONSTRAINTS: dict[str, Any] = {
    # The run itself.
    "batch_size": POSITIVE_INT,
    "epochs": POSITIVE_INT,
    # NumPy takes seeds below 2**32; the margin leaves room for the offsets that trials and
    # augmentation layers add to the recipe's seed.
    "seed": Interval(Integral, 0, 2**31 - 1, closed="both"),
    "replicas": (POSITIVE_INT, None),
    "kind": KindName(),  # engine.kinds
    # Speed settings (engine.run.speed).
    "speed": Options({"auto", "off"}),
    "precision": (Options({"float32", "mixed_float16", "mixed_bfloat16"}), None),
    "jit_compile": Options({True, False, "auto"}),
    "steps_per_execution": (POSITIVE_INT, None),
    "backup_interval": NON_NEGATIVE,
    # Data. Both held-out fractions must hold some samples (see SUMS for what they leave).
    "data.validation_split": Interval(Real, 0, 1, closed="neither"),
    "data.test_split": Interval(Real, 0, 1, closed="neither"),
    "data.train_per_class": (POSITIVE_INT, None),
    "data.preprocessing.text_vectorize.max_tokens": (Interval(Integral, 2, None, closed="left"), None),  # one is OOV
    "data.preprocessing.text_vectorize.sequence_length": (POSITIVE_INT, None),
    "data.augmentation.random_rotation.factor": SYMMETRIC_FACTOR,
    "data.augmentation.random_translation.height_factor": SYMMETRIC_FACTOR,
    "data.augmentation.random_translation.width_factor": SYMMETRIC_FACTOR,
    # Keras refuses a zoom of -1 (an image shrunk to nothing), so a pair's lower end stays above it.
    "data.augmentation.random_zoom.height_factor": (UNIT, Pair(Interval(Real, -1, 1, closed="right"))),
    "data.augmentation.random_zoom.width_factor": (UNIT, Pair(Interval(Real, -1, 1, closed="right")), None),
    "data.augmentation.random_brightness.factor": SYMMETRIC_FACTOR,
    # Contrast is scaled by a factor in [1 - lower, 1 + upper], so even a pair is of sizes, not signs.
    "data.augmentation.random_contrast.factor": (UNIT, Pair(UNIT)),
    "data.augmentation.random_crop.height": POSITIVE_INT,
    "data.augmentation.random_crop.width": POSITIVE_INT,
    # The zoo's model arguments (a builder of one's own checks its own, see check_numbers).
    "model.args.width": POSITIVE_INT,
    "model.args.depth": POSITIVE_INT,
    "model.args.units": POSITIVE_INT,
    "model.args.dense_units": POSITIVE_INT,
    "model.args.filters": POSITIVE_INT,
    "model.args.blocks": POSITIVE_INT,
    "model.args.kernel_size": POSITIVE_INT,
    "model.args.stages": POSITIVE_INT,
    "model.args.blocks_per_stage": POSITIVE_INT,
    "model.args.code_size": POSITIVE_INT,
    "model.args.dropout": FRACTION,
    "model.args.l1": NON_NEGATIVE,
    "model.args.l2": NON_NEGATIVE,
    # Loss arguments, for a loss written as {"class_name": ..., "config": {...}}.
    "loss.config.label_smoothing": UNIT,
    "loss.config.delta": POSITIVE,
    "loss.config.alpha": UNIT,
    "loss.config.gamma": NON_NEGATIVE,
    # Optimizer arguments, for every Keras optimizer that takes them.
    "optimizer.learning_rate": (POSITIVE, SCHEDULE),
    "optimizer.beta_1": FRACTION,
    "optimizer.beta_2": FRACTION,
    "optimizer.adam_beta_1": FRACTION,
    "optimizer.adam_beta_2": FRACTION,
    "optimizer.momentum": FRACTION,
    "optimizer.rho": FRACTION,
    "optimizer.epsilon": POSITIVE,
    "optimizer.epsilon_1": POSITIVE,
    "optimizer.epsilon_2": POSITIVE,
    "optimizer.weight_decay": (NON_NEGATIVE, None),
    "optimizer.adam_weight_decay": (NON_NEGATIVE, None),
    "optimizer.clipnorm": (POSITIVE, None),
    "optimizer.clipvalue": (POSITIVE, None),
    "optimizer.global_clipnorm": (POSITIVE, None),
    "optimizer.ema_momentum": UNIT,
    "optimizer.ema_overwrite_frequency": (POSITIVE_INT, None),
    "optimizer.loss_scale_factor": (POSITIVE, None),
    # Accumulating over one step would be no accumulation; Keras asks for at least two.
    "optimizer.gradient_accumulation_steps": (Interval(Integral, 2, None, closed="left"), None),
    "optimizer.initial_accumulator_value": NON_NEGATIVE,
    # Ftrl's rate falls as the step count to this power, so the power is at most 0.
    "optimizer.learning_rate_power": Interval(Real, None, 0, closed="right"),
    "optimizer.l1_regularization_strength": NON_NEGATIVE,
    "optimizer.l2_regularization_strength": NON_NEGATIVE,
    "optimizer.l2_shrinkage_regularization_strength": NON_NEGATIVE,
    "optimizer.beta": NON_NEGATIVE,
    # Adafactor's second-moment decay is 1 - step**beta_2_decay, which tends to 1 only for a negative power.
    "optimizer.beta_2_decay": Interval(Real, None, 0, closed="neither"),
    "optimizer.clip_threshold": POSITIVE,
    "optimizer.ns_steps": POSITIVE_INT,
    "optimizer.rms_rate": POSITIVE,
    "optimizer.adam_lr_ratio": POSITIVE,
    "optimizer.warmup_steps": NON_NEGATIVE_INT,
    # A learning-rate schedule's config, whichever Keras schedule it is.
    "optimizer.learning_rate.config.initial_learning_rate": POSITIVE,
    "optimizer.learning_rate.config.decay_steps": POSITIVE_INT,
    "optimizer.learning_rate.config.first_decay_steps": POSITIVE_INT,
    "optimizer.learning_rate.config.decay_rate": POSITIVE,
    "optimizer.learning_rate.config.alpha": UNIT,  # the final rate as a fraction of the initial one
    "optimizer.learning_rate.config.end_learning_rate": NON_NEGATIVE,
    "optimizer.learning_rate.config.power": POSITIVE,
    "optimizer.learning_rate.config.warmup_steps": NON_NEGATIVE_INT,
    "optimizer.learning_rate.config.warmup_target": (POSITIVE, None),
    "optimizer.learning_rate.config.t_mul": POSITIVE,
    "optimizer.learning_rate.config.m_mul": POSITIVE,
    "optimizer.learning_rate.config.boundaries.*": NON_NEGATIVE_INT,
    "optimizer.learning_rate.config.values.*": POSITIVE,
    # Callbacks, by the name of their Keras class.
    "callbacks.EarlyStopping.patience": NON_NEGATIVE_INT,
    "callbacks.EarlyStopping.min_delta": NON_NEGATIVE,  # Keras uses its absolute value: a sign means nothing
    "callbacks.EarlyStopping.start_from_epoch": NON_NEGATIVE_INT,
    "callbacks.EarlyStopping.baseline": (ANY_NUMBER, None),
    # A factor of 1 would never reduce the rate, and Keras refuses it.
    "callbacks.ReduceLROnPlateau.factor": Interval(Real, 0, 1, closed="neither"),
    "callbacks.ReduceLROnPlateau.patience": NON_NEGATIVE_INT,
    "callbacks.ReduceLROnPlateau.cooldown": NON_NEGATIVE_INT,
    "callbacks.ReduceLROnPlateau.min_delta": NON_NEGATIVE,
    "callbacks.ReduceLROnPlateau.min_lr": NON_NEGATIVE,
    "callbacks.ModelCheckpoint.save_freq": (POSITIVE_INT, Options({"epoch"})),
    "callbacks.ModelCheckpoint.initial_value_threshold": (ANY_NUMBER, None),
    "callbacks.BackupAndRestore.save_freq": (POSITIVE_INT, Options({"epoch", False})),
    "callbacks.TensorBoard.histogram_freq": NON_NEGATIVE_INT,
    "callbacks.TensorBoard.embeddings_freq": NON_NEGATIVE_INT,
    "callbacks.TensorBoard.update_freq": (POSITIVE_INT, Options({"batch", "epoch"})),
    # The second phase of a fine-tuning recipe.
    "fine_tune.epochs": POSITIVE_INT,
    "fine_tune.learning_rate": POSITIVE,
    # Each kind and technique states the ranges of the settings it owns (engine.kinds.Learning.constraints).
    "data.label_noise": FRACTION,
    # Search settings (`make tune`), and the KerasTuner arguments in `tuner.args`.
    "tuner.max_trials": POSITIVE_INT,
    "tuner.executions_per_trial": POSITIVE_INT,
    "tuner.args.factor": Interval(Integral, 2, None, closed="left"),  # Hyperband keeps 1/factor of each round
    "tuner.args.hyperband_iterations": POSITIVE_INT,
    "tuner.args.num_initial_points": (POSITIVE_INT, None),
    "tuner.args.alpha": POSITIVE,
    "tuner.args.beta": NON_NEGATIVE,
    "tuner.args.max_retries_per_trial": NON_NEGATIVE_INT,
    "tuner.args.max_consecutive_failed_trials": POSITIVE_INT,
}

# Keys whose values together must lie in a range, with why.
SUMS: dict[tuple[str, ...], tuple[Interval, str]] = {
    ("data.validation_split", "data.test_split"): (
        Interval(Real, 0, 1, closed="neither"), "so that it leaves some data for training"),
}

# The meaning of a model argument is known for the zoo's builders only; a builder of one's own
# may use the same name for something else (`units=[64, 32]`), so its arguments are its own to check.
ZOO_ONLY = "model.args"


def check_numbers(config: dict[str, Any]) -> None:
    """Refuse the first number of a resolved recipe that lies outside its stated range.

    `config` is the recipe's plain-dict form (`Recipe.to_dict()` after ranges are resolved; a
    `Recipe` is converted). Where a range (`{"hp": ...}`) still stands, its default, bounds and
    choices are checked instead. Raises RecipeError naming the key and the value received.
    """
    if not isinstance(config, dict):
        config = config.to_dict()
    model = config.get("model")
    own_builder = not (isinstance(model, dict) and model.get("name"))
    for path, value in _walk(config, ()):
        dotted = ".".join(path)
        if own_builder and dotted.startswith(ZOO_ONLY + "."):
            continue
        constraints = constraints_for(path)
        if constraints is not None:
            _check(dotted, value, constraints)
    for keys, (interval, reason) in SUMS.items():
        values = [_lookup(config, key) for key in keys]
        if all(isinstance(value, Real) and not isinstance(value, bool) for value in values):
            total = round(sum(values), 12)
            if not interval.is_satisfied_by(total):
                raise RecipeError(f"`{' + '.join(keys)}` must be {interval}, {reason}. "
                                  f"Received: {total!r} ({' + '.join(repr(value) for value in values)}).")


def constraints_for(path: tuple[str, ...] | str) -> tuple[Constraint, ...] | None:
    """The constraints stated for a dotted key (a string or its parts), or None when it has none."""
    parts = tuple(path.split(".")) if isinstance(path, str) else path
    exact, patterns = _compiled(tuple(kind.name for kind in every_declaration()))
    found = exact.get(parts)
    if found is not None:
        return found
    for pattern, constraints in patterns:
        if len(pattern) == len(parts) and all(want in ("*", part) for want, part in zip(pattern, parts, strict=True)):
            return constraints
    return None


def check_value(dotted: str, value: Any) -> None:
    """Refuse `value` for the recipe field `dotted` (a key of the table above) unless its constraints allow it:
    for numbers given outside a recipe, such as a command-line option that sets the same quantity."""
    _check(dotted, value, constraints_for(dotted))


def describe(constraints: tuple[Constraint, ...]) -> str:
    """What the constraints accept, in words: "a number in (0, inf) or null"."""
    words = [str(constraint) for constraint in constraints]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _check(dotted: str, value: Any, constraints: tuple[Constraint, ...]) -> None:
    if hp.is_range_dict(value):
        for role, member in _range_members(value):
            if not any(constraint.is_satisfied_by(member) for constraint in constraints):
                raise RecipeError(f"`{dotted}` must be {describe(constraints)}. "
                                  f"Received: {member!r} (the {role} of the range {value.get('name')!r}).")
        return
    if not any(constraint.is_satisfied_by(value) for constraint in constraints):
        raise RecipeError(f"`{dotted}` must be {describe(constraints)}. Received: {value!r}.")


def _range_members(range_: dict) -> Iterator[tuple[str, Any]]:
    """The values a range can give, as (role, value): its default, bounds or choices."""
    for role in ("default", "min_value", "max_value"):
        if range_.get(role) is not None:
            yield role, range_[role]
    for choice in range_.get("values") or ():
        yield "choice", choice


def _walk(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (key parts, value) below `value`; list entries with a "name" are keyed by it."""
    if path:
        yield path, value
    if isinstance(value, dict) and not hp.is_range_dict(value):
        for key, inner in value.items():
            yield from _walk(inner, (*path, str(key)))
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            name = inner.get("name") if isinstance(inner, dict) else None
            yield from _walk(inner, (*path, name if isinstance(name, str) else str(index)))


def _lookup(config: dict, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(config, dict):
            return None
        config = config.get(part)
    return config


def _number(bound: float) -> str:
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


def _shown(option: Any) -> str:
    return "null" if option is None else repr(option)


def _plural(phrase: str) -> str:
    return phrase.replace("an integer", "integers", 1).replace("a number", "numbers", 1)


def _as_constraints(entry: Any) -> tuple[Constraint, ...]:
    entries = entry if isinstance(entry, tuple) else (entry,)
    return tuple(_Null() if item is None else item for item in entries)


def table() -> dict[str, Any]:
    """The whole validation table: CONSTRAINTS plus the ranges each registered kind and technique states (as
    engine.kinds.declaration reads them: a built-in's without importing its module, and TensorFlow with it)."""
    owned: dict[str, Any] = {}
    for kind in every_declaration():
        owned.update(kind.constraints())
    return {**CONSTRAINTS, **owned}


@functools.cache
def _compiled(kinds: tuple[str, ...]) -> tuple[dict, list]:
    """The table as exact keys and `*` patterns, for the kinds registered (a kind of one's own adds its own)."""
    entries = table()
    exact = {tuple(key.split(".")): _as_constraints(entry) for key, entry in entries.items() if "*" not in key}
    patterns = [(tuple(key.split(".")), _as_constraints(entry)) for key, entry in entries.items() if "*" in key]
    return exact, patterns
