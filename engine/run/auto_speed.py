"""`speed="auto"` (the default): the engine fills the speed settings a recipe leaves unset, per machine.

A recipe that leaves `precision` or `steps_per_execution` unset (None) gets them here, before the run folder
exists:

- Precision, from the hardware, without timing anything: the 16-bit type the devices compute natively
  (bfloat16 on CPUs with AVX-512 BF16 or AMX, on GPUs of compute capability 8.0 and up and on TPUs;
  float16 on GPUs 7.x) for a model whose catalog recipes keep their test metric under it
  (SIXTEEN_BIT_CHECKED), float32 otherwise. It changes the arithmetic, so it is never left to a timing:
  the same recipe on the same machine always gets the same precision, and the same figures.
- Steps per execution, one or eight, which change no arithmetic: where there is a choice, a short probe
  times each on the real model and batches (PROBE_STEPS timed steps after a first call that traces), and
  eight win when they beat one by more than MARGIN. The probe runs only where training is projected to take
  at least PROBE_PAYS times what the probe costs, so that it pays for itself. A run too short for that gets
  UNPROBED (eight) steps without a probe: a short run is most often a small model on a small dataset, whose
  steps are dominated by the fixed cost of each call into TensorFlow that eight steps a call divide by
  eight (Keras's `compile` documentation names small models with a large Python overhead as the case for
  it; benchmarks.overhead measures it against the script). A setting the recipe gives is the only candidate
  for it.
- The probe's models are thrown away and Keras's layer-name counters put back; engine.run.plan seeds every
  random generator afresh after the choice, probe or not, so the run itself starts exactly as a run given
  the chosen settings would (a rerun from the run's recipe.json, which holds them, replays them without a
  probe).

XLA is not among the candidates: `jit_compile="auto"` already follows Keras (on for GPUs), and XLA on a
CPU turns TensorFlow's deterministic ops off. `speed="off"` chooses float32 and one step without a probe.
What was chosen, why, and the probe's figures go to env.json (`speed.auto`) and the console.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import keras
import tensorflow as tf

from common.machine import has_bfloat16_arithmetic
from engine.recipe.schema import SPEED_FILLED
from engine.report.cost import EpochTimer
from engine.run.speed import compute_capabilities

SPEED = ("auto", "off")
STEPS = (1, 8)  # steps per execution the probe tries
PROBE_STEPS = 48  # timed training steps per candidate (a multiple of every entry of STEPS)
MARGIN = 0.05  # eight steps per execution must be this much faster than one to be chosen
PROBE_PAYS = 20.0  # the projected training must take this many times the probe's cost for a probe to run
MIN_PROJECTED_STEPS = 5000  # below this many training steps no probe can pay for itself; none runs
UNPROBED = 8  # steps per execution of a run too short for a probe to pay for itself
# Strategies of one device, where steps per execution above one may be chosen. Under MirroredStrategy (two
# logical CPU devices) Keras 3.15's multi-step loop fails ("You must feed a value for placeholder tensor"), and
# multi-worker training runs MirroredStrategy's collective sibling: both keep one step.
ONE_DEVICE = ("cpu", "gpu", "tpu")
# Zoo models whose catalog recipes keep their test metric within its float32 seed spread in bfloat16
# (python -m benchmarks.sixteen, which writes benchmarks/results/sixteen.json; a test holds this list to the
# models it kept). A model not listed trains in float32 unless its recipe asks for 16 bits.
SIXTEEN_BIT_CHECKED: frozenset[str] = frozenset()


@dataclasses.dataclass(frozen=True)
class Candidate:
    precision: str
    steps_per_execution: int

    def __str__(self) -> str:
        steps = self.steps_per_execution
        return f"{self.precision}, {steps} step{'s' if steps != 1 else ''} per execution"


def sixteen_bit_type(strategy_name: str) -> str | None:
    """The 16-bit mixed precision the devices compute natively, or None."""
    if strategy_name == "tpu":
        return "mixed_bfloat16"
    capabilities = compute_capabilities() if strategy_name in ("gpu", "mirrored", "multi_worker", "auto") else []
    if capabilities:
        lowest = min(capabilities)
        return "mixed_bfloat16" if lowest >= (8, 0) else "mixed_float16" if lowest >= (7, 0) else None
    return "mixed_bfloat16" if has_bfloat16_arithmetic() else None


def precision_for(recipe, strategy_name: str) -> tuple[str, str]:
    """The precision `speed="auto"` gives a recipe that leaves it unset, and why."""
    if recipe.precision is not None:
        return recipe.precision, "the recipe"
    sixteen = sixteen_bit_type(strategy_name)
    if sixteen is None:
        return "float32", "the devices have no 16-bit arithmetic of their own"
    model = recipe.model.name if recipe.model is not None else None
    if model not in SIXTEEN_BIT_CHECKED:
        return "float32", (f"{sixteen} would be native here, but the model {model or '(own builder)'} is not among "
                           "those checked to keep their test metric in 16 bits")
    return sixteen, f"native on these devices, and {model} keeps its test metric in it"


def candidates(recipe, strategy_name: str) -> list[Candidate]:
    """The settings left to choose: the precision for the hardware, with one step per execution first."""
    precision = precision_for(recipe, strategy_name)[0]
    steps = [recipe.steps_per_execution] if recipe.steps_per_execution is not None else \
        list(STEPS) if strategy_name in ONE_DEVICE else [1]
    return [Candidate(precision, step) for step in steps]


def needs_choice(recipe) -> bool:
    return any(getattr(recipe, name) is None for name in SPEED_FILLED)


Probe = Callable[[Any], tuple[float, float]]  # a recipe -> (seconds per step, seconds the probe cost)


def choose(recipe, strategy_name: str, projected_steps: int | None, probe: Probe | None) -> tuple[Any, dict]:
    """The recipe with its unset speed settings filled, and what to record of the choice.

    `projected_steps` is how many training steps the run will take (None: the kind cannot say); `probe`
    times one recipe's settings on the real model and data (None: the kind's training is not batches of
    `model.fit`, and nothing is chosen: its settings stay unset).
    """
    if not needs_choice(recipe):
        return recipe, {"mode": recipe.speed, "chosen_by": "the recipe"}
    if probe is None:
        return recipe, {"mode": recipe.speed, "chosen_by": "nothing: this kind does not train with model.fit"}
    options = candidates(recipe, strategy_name) if recipe.speed == "auto" else [_first(recipe)]
    first = options[0]
    record: dict[str, Any] = {"mode": recipe.speed, "candidates": [str(option) for option in options]}
    if recipe.speed == "auto":
        record["precision_by"] = precision_for(recipe, strategy_name)[1]

    def keep_first(reason: str):
        return _with(recipe, first), {**record, "chosen": str(first), "chosen_by": reason}

    if len(options) == 1:
        return keep_first("speed='off'" if recipe.speed == "off" else "the only candidate" if
                          recipe.steps_per_execution is not None or strategy_name in ONE_DEVICE else
                          f"one step per execution: more fail under strategy={strategy_name!r}")
    if projected_steps is None:
        return keep_first("no probe: this kind cannot say how many steps it will train")
    def keep_unprobed(reason: str):
        kept = next((option for option in options if option.steps_per_execution == UNPROBED), first)
        return _with(recipe, kept), {**record, "chosen": str(kept), "chosen_by": reason}

    if projected_steps < MIN_PROJECTED_STEPS:
        return keep_unprobed(f"no probe: {projected_steps} training steps are too few for one to pay for "
                             f"itself; {UNPROBED} steps per execution, as for every run this short")
    started = time.perf_counter()
    timed = []
    with _names_kept():
        per_step, cost = probe(_with(recipe, first))
        timed.append({"setting": str(first), "seconds_per_step": per_step, "seconds": round(cost, 3)})
        projected = projected_steps * per_step
        if projected < PROBE_PAYS * cost * len(options):
            record.update(probe=timed, probe_seconds=round(time.perf_counter() - started, 3))
            return keep_unprobed(f"no further probe: training projected at {projected:.1f} s, too short for the "
                                 f"probe ({cost:.1f} s a setting) to pay for itself; {UNPROBED} steps per "
                                 "execution, as for every run this short")
        for option in options[1:]:
            per_option, cost = probe(_with(recipe, option))
            timed.append({"setting": str(option), "seconds_per_step": per_option, "seconds": round(cost, 3)})
    fastest = min(range(len(options)), key=lambda index: timed[index]["seconds_per_step"])
    best = options[fastest] if timed[fastest]["seconds_per_step"] < (1 - MARGIN) * per_step else first
    return _with(recipe, best), {**record, "chosen": str(best), "probe": timed,
                                 "probe_seconds": round(time.perf_counter() - started, 3),
                                 "chosen_by": "the probe" if best != first else
                                 f"the probe: nothing beat {first} by more than {MARGIN:.0%}"}


def time_steps(model: keras.Model, batches: tf.data.Dataset) -> tuple[float, float]:
    """Seconds per training step of a compiled model over `batches` (timed after a first call that traces), and
    the seconds it all took."""
    started = time.perf_counter()
    clock = EpochTimer()
    model.fit(batches.repeat(), steps_per_epoch=PROBE_STEPS, epochs=2, verbose=0, callbacks=[clock],
              shuffle=False)
    per_step = clock.seconds[-1] / PROBE_STEPS
    return per_step, time.perf_counter() - started


def projected_steps(samples: int, global_batch: int, epochs: int) -> int:
    return math.ceil(samples / global_batch) * epochs


def _first(recipe) -> Candidate:
    return Candidate(recipe.precision or "float32", recipe.steps_per_execution or 1)


def _with(recipe, candidate: Candidate):
    return dataclasses.replace(recipe, precision=candidate.precision,
                               steps_per_execution=candidate.steps_per_execution)


@contextlib.contextmanager
def _names_kept() -> Iterator[None]:
    """Put back Keras's layer-name counters after the probe's models, so the run's layers get the names they would
    have had without it (engine.run.plan seeds every random generator afresh after the choice, probe or not)."""
    from keras.src.backend.common import global_state

    names = copy.deepcopy(global_state.get_global_attribute("object_name_uids"))
    try:
        yield
    finally:
        global_state.set_global_attribute("object_name_uids", names)
