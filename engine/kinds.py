"""The kind protocol: what a kind of learning is, and the registry the engine finds each kind in.

A run goes check -> prepare -> build -> train -> assess -> record (engine.run). The engine calls one
`Learning` for every step; what differs between kinds is in that class, never in a branch on a kind's name.
A kind is a subclass that overrides what it does differently; engine.learning.supervised.Supervised is the
base of every kind that trains with `model.fit` on a dataset, and the class below says what each method is.

A kind is found by name (`Recipe.kind`), in this order:

- one registered in this process with `@register("name")` (a kind of one's own, defined in a recipe file or a
  module the recipe file imports);
- a built-in, named in `BUILT_IN` by where it lives ("module:Class"), imported on first use, like an entry
  point: this module imports no kind, so run/, tune/, recipe/ and serve/ depend on the protocol alone;
- a reference to a class, `"path/to/file.py:Class"` or `"package.module:Class"`: recipe.json keeps it, so a
  resumed run or a search in another process finds the same kind.

A technique (active learning, a curriculum) is a kind that wraps another, declared by its own recipe field
(`TECHNIQUES`); `kind_of(recipe)` gives the technique when the recipe declares one.

What a kind declares (its name and fields, its settings with their meanings and ranges, the open keys it owns)
is all that `make show` and the checks of a recipe need. A built-in's module imports TensorFlow, so each
built-in's class subclasses a declaration in engine.learning.declarations (`DECLARATIONS`), which imports
neither; `declaration(name)` gives that, and for a kind of one's own the kind itself.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.references import import_reference, is_reference
from engine.errors import RecipeError, suggestion

# The built-in kinds and techniques, by where their class lives (imported on first use).
BUILT_IN = {
    "supervised": "engine.learning.supervised:Supervised",
    "unsupervised": "engine.learning.unsupervised:Unsupervised",
    "reinforcement": "engine.learning.reinforcement.kind:Reinforcement",
}
# Techniques, by the recipe field that declares them.
TECHNIQUES = {
    "active_learning": "engine.learning.active:ActiveLearning",
    "curriculum": "engine.learning.curriculum:Curriculum",
}
# Where each built-in's declaration lives: the light class its own class (BUILT_IN, TECHNIQUES) subclasses.
DECLARATIONS = {
    "supervised": "engine.learning.declarations:SupervisedDeclaration",
    "unsupervised": "engine.learning.declarations:UnsupervisedDeclaration",
    "reinforcement": "engine.learning.declarations:ReinforcementDeclaration",
    TECHNIQUES["active_learning"]: "engine.learning.declarations:ActiveLearningDeclaration",
    TECHNIQUES["curriculum"]: "engine.learning.declarations:CurriculumDeclaration",
}


@dataclass
class Trained:
    """What training left: the epochs' logs, the timer, Keras's test and validation metrics, why it stopped."""

    log: Any  # engine.run.resume.EpochLog, or an agent's episode log
    timer: Any  # engine.report.cost.EpochTimer, or None where there are no epochs
    seconds: float
    metrics: dict[str, dict[str, float]]
    stopped_by: str = ""  # empty when every epoch ran
    restored_best: bool = False  # a callback put back the weights of the best epoch
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Recorded:
    """What a kind adds to the engine's record of a run: entries of metrics.json, a section of report.md (its
    Markdown lines, placed before "## Files") and lines for the console after the run's summary."""

    metrics: dict[str, Any] = field(default_factory=dict)
    report: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


class Learning:
    """A kind of learning. Every step has a method, and the engine calls each one unconditionally: a kind
    overrides what it does differently and inherits the rest.

    Declared once, here, for each kind (read by the schema, the checks, overrides and the tuner):

    - `name`: the name recipes give in `kind`, and reports show;
    - `fields`: the recipe fields this kind needs (a field only other kinds need is refused);
    - `labelled`: whether it reads the labels (False: each input is its own target, splits are not
      stratified, the output layer is the model's own, nothing is saved for predict/export);
    - `servable`: whether `make predict`, `make export` and `make serve` take its runs;
    - `without_epochs`: why Hyperband cannot search it (its budget is not epochs of one model.fit), or "";
    - `technique`: the recipe field that declares it, for a technique wrapping another kind; `wraps`: the
      kinds it can wrap.
    """

    name: str = ""
    fields: tuple[str, ...] = ("data", "model", "loss")
    labelled: bool = True
    servable: bool = False
    without_epochs: str = ""
    technique: str = ""
    wraps: tuple[str, ...] = ()

    # Settings and checks, before anything is read or written.

    def settings(self) -> dict[str, Any]:
        """The keys this kind's own recipe field takes (a technique's), with their defaults."""
        return {}

    def open_keys(self, config: dict, path: str) -> dict[str, Any] | None:
        """The keys an open part of the recipe it owns accepts (an agent's `agent.args`), or None."""
        return None

    def docs(self, config: dict) -> dict[str, str]:
        """{dotted key: what it means} for the settings it owns, as `make show` prints them."""
        return {}

    def constraints(self) -> dict[str, Any]:
        """{dotted key: accepted values} for the numbers and names it owns, in engine.recipe.validation's terms
        (`Interval`, `Options`, ...): checked with every other value before anything is written."""
        return {}

    def check(self, recipe) -> None:
        """Refuse, before the data is read, a setting this kind cannot use (engine.errors.RecipeError)."""

    def check_built(self, plan) -> None:
        """Refuse what only the prepared data and the built model can tell, before the run folder exists."""

    def unreached(self, plan) -> list[tuple[str, str]]:
        """What the run's budget never reaches (a phase set to begin after the last epoch or step), each as
        (what happens, what to change); the kind says them on the console before training starts and in the
        diagnosis. A setting that cannot work at all is refused by `check` instead."""
        return []

    # The run.

    def prepare(self, recipe) -> Any:
        """What stands for the data (data.Prepared, or an environment's description); becomes plan.prepared."""
        raise NotImplementedError(f"the {self.name} kind does not say how it prepares its data")

    def speed_probe(self, plan) -> tuple[int | None, Callable | None]:
        """How many training steps the run will take, and a function that times one recipe's speed settings on
        the real model and batches (engine.run.auto_speed); (None, None) where training is not batches of
        `model.fit`, and the speed settings are left as the recipe gives them."""
        return None, None

    def build(self, plan) -> None:
        """Set plan.model (compiled under plan.chosen's strategy), plan.output and plan.callbacks."""
        raise NotImplementedError(f"the {self.name} kind does not say how it builds its model")

    def callbacks(self, recipe, model, prepared) -> list:
        """Callbacks this kind adds to the recipe's own (an autoencoder's start of clustering)."""
        return []

    def train(self, plan, folder, resume, console, verbose: int) -> Trained:
        """Train; `folder` is None on a worker other than the chief, which writes nothing."""
        raise NotImplementedError(f"the {self.name} kind does not say how it trains")

    def assess(self, plan, trained: Trained, folder) -> Any:
        """Judge what was trained (an engine.report.assessment.Assessment or the kind's own)."""
        raise NotImplementedError(f"the {self.name} kind does not say how it is assessed")

    # The one record step (engine.run.record.record) asks the kind for what differs between kinds.

    def metrics(self, plan, trained: Trained, assessment) -> dict[str, Any]:
        """metrics.json: test and validation figures, the assessment, time to target (before `recorded`'s)."""
        raise NotImplementedError(f"the {self.name} kind does not say what its metrics are")

    def save(self, plan, trained: Trained, assessment, folder, metrics: dict) -> None:
        """Write the trained models, the history and TensorBoard's summaries into the run folder."""
        raise NotImplementedError(f"the {self.name} kind does not say what it saves")

    def report(self, plan, trained: Trained, assessment, metrics: dict, folder, env: dict,
               sections: list[str]) -> str:
        """report.md's Markdown, with `sections` (what `recorded` adds) placed before its list of files."""
        raise NotImplementedError(f"the {self.name} kind does not say how it reports a run")

    def finished(self, plan, trained: Trained, assessment) -> dict[str, Any]:
        """env.json's fields of a finished run beside its status and times: how far it went, its size."""
        return {}

    def summary(self, plan, trained: Trained, assessment, folder, metrics: dict) -> list[str]:
        """The console's lines after the run: its figures and where its files are (the diagnosis follows)."""
        return []

    def recorded(self, plan, trained: Trained) -> Recorded:
        """What this kind adds to the engine's record: metrics.json entries, a report.md section, console lines."""
        return Recorded()

    def resume_line(self, epochs_done: int) -> str:
        """What the console says when a run of this kind continues from its backup."""
        if not epochs_done:
            return "no epoch had finished, training starts again at epoch 1."
        return f"{epochs_done} epoch{'s' if epochs_done != 1 else ''} had finished; training continues at " \
               f"epoch {epochs_done + 1}."

    def progress(self, recipe: dict, env: dict, history_rows: Callable[[], list[dict]]) -> dict[str, str]:
        """How far a run went, for `make compare`: epochs run of the recipe's."""
        return {"epochs": f"{env.get('epochs_run', '?')}/{recipe.get('epochs', '?')}"}

    # Searches (engine.tune): a trial is built and fitted by the kind.

    def objectives(self, logged: list[str]) -> list[str]:
        """The metrics a search may optimize, given the metrics the recipe logs."""
        return [*logged, *(f"val_{metric}" for metric in logged)]

    def trial_model(self, recipe, prepared, chosen) -> Any:
        """A trial's model for KerasTuner's `build`."""
        raise NotImplementedError(f"the {self.name} kind cannot be searched")

    def trial_fit(self, recipe, model, prepared, chosen, callbacks: list, epochs: int, initial_epoch: int) -> Any:
        """Fit a trial; returns a Keras History or a dict of the objectives' values."""
        raise NotImplementedError(f"the {self.name} kind cannot be searched")


_REGISTERED: dict[str, Learning] = {}
_LOADED: dict[str, Learning] = {}
_DECLARED: dict[str, Learning] = {}


def register(name: str) -> Callable[[type[Learning]], type[Learning]]:
    """Class decorator: `@register("half_epochs") class HalfEpochs(Supervised): ...` makes `kind="half_epochs"`
    take that kind in this process."""

    def decorate(cls: type[Learning]) -> type[Learning]:
        if not (isinstance(cls, type) and issubclass(cls, Learning)):
            raise TypeError(f"@register({name!r}) takes a subclass of engine.kinds.Learning, not {cls!r}")
        if name in BUILT_IN or name in TECHNIQUES:
            raise ValueError(f"{name!r} is a built-in kind's name; register yours under another")
        cls.name = name
        _REGISTERED[name] = cls()
        return cls

    return decorate


def _instance(cls: Any, where: str) -> Learning:
    if not (isinstance(cls, type) and issubclass(cls, Learning)):
        raise RecipeError(f"`kind` {where!r} names {cls!r}, which is not a subclass of engine.kinds.Learning.")
    instance = cls()
    instance.name = instance.name or where
    return instance


def kind_named(name: str) -> Learning:
    """The kind a recipe's `kind` names: registered, built-in or a reference to a class (see the module's text)."""
    if not isinstance(name, str):
        raise RecipeError(f"`kind` must be the name of a kind of learning. Received: {name!r}.")
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name not in _LOADED:
        if name in BUILT_IN or name in TECHNIQUES.values():
            module, _, attribute = BUILT_IN.get(name, name).partition(":")
            _LOADED[name] = getattr(importlib.import_module(module), attribute)()
        elif is_reference(name):
            _LOADED[name] = _instance(import_reference(name, "kind", RecipeError), name)
        else:
            known = kind_names()
            raise RecipeError(f"`kind` must be one of {', '.join(known)}, or a reference \"file.py:Class\" to a "
                              f"subclass of engine.kinds.Learning. Received: {name!r}. {suggestion(name, known)}"
                              .strip())
    return _LOADED[name]


def technique(field_name: str) -> Learning:
    """The technique declared by the recipe field `field_name` (TECHNIQUES)."""
    return kind_named(TECHNIQUES[field_name])


def kind_of(recipe) -> Learning:
    """The kind a recipe declares, or the technique wrapping it when the recipe declares one (one at most)."""
    declared = [name for name in TECHNIQUES if getattr(recipe, name, None)]
    if len(declared) > 1:
        raise RecipeError(f"A recipe declares one technique at a time: {' or '.join(f'`{name}`' for name in declared)}"
                          ", not both.")
    return technique(declared[0]) if declared else kind_named(recipe.kind)


def kind_names() -> list[str]:
    """The names `kind` takes without a reference: the built-ins and those registered in this process."""
    return [*BUILT_IN, *_REGISTERED]


def every_kind() -> list[Learning]:
    """Every built-in and registered kind, and every technique (for what each declares: fields, settings)."""
    return [kind_named(name) for name in kind_names()] + [technique(name) for name in TECHNIQUES]


def declaration(name: str) -> Learning:
    """What the kind `name` declares (`Learning.settings`, `docs`, `constraints`, `open_keys` and the class
    attributes), read without importing a built-in's module (DECLARATIONS); a kind of one's own is its own
    declaration, so this is `kind_named(name)` for every other name, refusals included."""
    if name in _REGISTERED or name not in DECLARATIONS:
        return kind_named(name)
    if name not in _DECLARED:
        module, _, attribute = DECLARATIONS[name].partition(":")
        _DECLARED[name] = getattr(importlib.import_module(module), attribute)()
    return _DECLARED[name]


def every_declaration() -> list[Learning]:
    """What `every_kind()` gives, each as `declaration` reads it: the built-ins without importing their modules."""
    return [declaration(name) for name in kind_names()] + [declaration(TECHNIQUES[name]) for name in TECHNIQUES]


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
