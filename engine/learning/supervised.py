"""Supervised learning, the default kind: data with labels, `model.fit`, scikit-learn metrics.

Training runs one `fit` phase, or two when the recipe fine-tunes a frozen backbone (`fine_tune`):
the second unfreezes it and recompiles at the lower rate. A resumed run restores the backup and
continues in the phase it had reached. Every worker of a cluster runs these calls alike (fit and
evaluate are collective); only with a `folder` (the chief) are TensorBoard, history.csv and the
backup written.

This is the one fit path of every kind that trains a compiled model on batches: `Supervised.fit` sets up
`model.fit` (the datasets, the engine's callbacks, the phases, the evaluation), and a technique overrides
its hooks instead of calling `model.fit` again: `datasets` (the pipelines), `training_data` (the batches
from an epoch on: a curriculum's schedule) and `before_fit` (what those need first: a curriculum's scores).
Active learning fits each round through it on the labelled part of the pool; a search trial
(`trial_fit`) goes through the same hooks and the same call, `fit_model`.
"""

from __future__ import annotations

import time
from pathlib import Path

import data
from common.text import plural
from engine.kinds import Trained
from engine.learning.declarations import SupervisedDeclaration
from engine.recipe.keras_objects import build_callbacks
from engine.report import assessment
from engine.report.cost import EpochTimer
from engine.report.diagnosis import (
    DivergenceStop,
    StopOnNaN,
    missed_targets,
    say_unreached,
    uninformed_loss,
    with_unreached,
)
from engine.report.tensorboard_logs import keras_callback
from engine.run import auto_speed
from engine.run.building import build_model, make_datasets, prepare_data, unfreeze_for_fine_tuning
from engine.run.plan import Plan
from engine.run.record import fitted_finished, fitted_metrics, fitted_report, fitted_summary, save_fitted
from engine.run.resume import EpochBackup, EpochLog, Resume, restore


def loss_name(loss) -> str:
    """A loss's name as the diagnosis reads it: a Keras name, a serialized class, or a reference's name."""
    if isinstance(loss, dict):
        return str(loss.get("class_name", "")).rpartition(":")[2]
    return str(loss).rpartition(":")[2]


def _phases(plan: Plan) -> list[int]:
    """Epochs of each fit phase: the recipe's, then the fine-tuning phase's when there is one."""
    return [plan.recipe.epochs] + ([plan.recipe.fine_tune["epochs"]] if plan.recipe.fine_tune else [])


def fit_model(model, train, validation, callbacks: list, epochs: int, initial_epoch: int = 0,
              steps: int | None = None, verbose: int = 0):
    """The one `model.fit` call of the engine (a run's phases, each round of active learning, a curriculum's
    teachers, every search trial): the pipelines shuffle with the recipe's seed, so Keras does not; `steps`
    None is one pass over `train` an epoch. Returns Keras's History."""
    return model.fit(train, validation_data=validation, initial_epoch=initial_epoch, steps_per_epoch=steps,
                     epochs=epochs, callbacks=callbacks, shuffle=False, verbose=verbose)


def _engine_callbacks(kind: Supervised, plan: Plan, folder: Path | None, resume: Resume | None) -> dict:
    """The callbacks the engine adds to the recipe's: stops, timer, logs and the backup (the commit point)."""
    rows = resume.rows if resume else []
    first_loss = float(rows[0]["loss"]) if rows else None
    features, train_targets = plan.prepared.splits["train"]
    # A kind without labels trains here too, each input its own target (engine.learning.unsupervised).
    task, train_targets = (plan.prepared.task, train_targets) if kind.labelled else ("regression", features)
    tensorboard = keras_callback(folder / "logs") if folder else None
    return {
        "timer": EpochTimer(),
        "tensorboard": tensorboard,
        "divergence": DivergenceStop(uninformed_loss(loss_name(plan.recipe.loss), task, train_targets),
                                     first_loss=first_loss),
        "log": EpochLog(folder / "history.csv" if folder else None, rows),
        "backup": EpochBackup(folder, first_loss, resume.state if resume else None, plan.recipe.backup_interval,
                              tensorboard.flush) if folder else None,
    }


def _fit_phases(plan: Plan, datasets: dict, schedule, added: dict, folder: Path | None, resume: Resume | None,
                console, verbose: int) -> None:
    """Run each fit phase, skipping or continuing the phases a resumed run had reached.

    `schedule(epoch)` is the training data from that epoch on and its steps per epoch (None: one pass over it):
    the kind's `training_data`."""
    # StopOnNaN (Keras's TerminateOnNaN) ends a NaN loss at once; DivergenceStop a loss that blows up while finite.
    callbacks = [*plan.callbacks, StopOnNaN(), added["divergence"], added["timer"]]
    callbacks += [added["tensorboard"], added["log"], added["backup"]] if folder else [added["log"]]
    state, epoch, log = (resume.state if resume else None), 0, added["log"]
    for phase, length in enumerate(_phases(plan), start=1):
        if added["divergence"].stopped_epoch is not None:
            break  # a diverged first phase is not fine-tuned
        if phase == 2:
            console(f"Fine-tuning: backbone unfrozen, learning rate {plan.recipe.fine_tune['learning_rate']}, "
                    f"{plural(length, 'more epoch', 'more epochs')}.")
            unfreeze_for_fine_tuning(plan.model, plan.recipe, plan.chosen.strategy)
        begin = epoch
        if state is not None and state.phase > phase:  # this phase had ended before the run was resumed
            epoch = state.phase_start
            continue
        if state is not None and state.phase == phase:
            restore(plan.model, plan.chosen.strategy, resume.folder, state)
            begin, epoch = state.phase_start, state.epoch
            if state.phase_done:
                continue
        if added["backup"] is not None:
            added["backup"].start_phase(phase, begin, epoch)
        train, steps = schedule(epoch)
        fit_model(plan.model, train, datasets["validation"], callbacks, begin + length, epoch, steps, verbose)
        epoch = log.epochs


def _stopped_by(plan: Plan, divergence: DivergenceStop) -> str:
    if divergence.stopped_epoch is not None:
        return f"stopped by the divergence rule after epoch {divergence.stopped_epoch}"
    return next((f"stopped early by {type(callback).__name__} after epoch {callback.stopped_epoch + 1}"
                 for callback in plan.callbacks if getattr(callback, "stopped_epoch", 0)), "")


def _fit(kind: Supervised, plan: Plan, folder: Path | None, resume: Resume | None, console, verbose: int,
         evaluate: bool = True) -> Trained:
    """Both fit phases (continuing after the backup when resuming), then Keras's evaluation of test and
    validation (unless not `evaluate`), on `kind`'s datasets and training data."""
    added = _engine_callbacks(kind, plan, folder, resume)
    started = time.perf_counter()
    datasets = kind.datasets(plan)

    def schedule(epoch: int):
        return kind.training_data(plan, datasets, epoch)

    _fit_phases(plan, datasets, schedule, added, folder, resume, console, verbose)
    seconds = time.perf_counter() - started
    metrics = {split: plan.model.evaluate(datasets[split], return_dict=True, verbose=0)
               for split in (("test", "validation") if evaluate else ())}
    metrics = {split: {name: float(value) for name, value in values.items()} for split, values in metrics.items()}
    restored_best = any(getattr(callback, "restore_best_weights", False) and getattr(callback, "stopped_epoch", 0)
                        for callback in plan.callbacks)
    return Trained(added["log"], added["timer"], seconds, metrics, _stopped_by(plan, added["divergence"]),
                   restored_best)


def _silent(line: str) -> None:
    """A console for what trains out of sight: a round of active learning, a teacher, a search trial."""


def assess(plan: Plan, trained: Trained, folder: Path) -> assessment.Assessment:
    """Evaluate with scikit-learn against the easy baseline, diagnose, measure the cost and draw the plots; the
    phases the epochs never reached come first in the diagnosis (after a divergence, which record reports first)."""
    assessed = assessment.assess(plan.model, plan.prepared, trained.log.history(), sum(_phases(plan)),
                                 trained.stopped_by, trained.restored_best, trained.timer, trained.seconds, folder,
                                 loss_name=loss_name(plan.recipe.loss),
                                 missed=missed_targets(plan.recipe.targets, trained.metrics["test"]))
    assessed.findings = with_unreached(assessed.findings, plan.kind.unreached(plan))
    return assessed


class Supervised(SupervisedDeclaration):
    """The default kind, and the base of every kind that trains a compiled model with `model.fit` on a dataset:
    the data prepared by data.prepare, the recipe's model compiled under the strategy, the fit phases above,
    scikit-learn's assessment, and the engine's record (engine.run.record). Its name and what it declares are in
    engine.learning.declarations."""

    def prepare(self, recipe) -> data.Prepared:
        return prepare_data(recipe)

    def build(self, plan: Plan) -> None:
        plan.model, plan.output = build_model(plan.recipe, plan.prepared, plan.chosen.strategy)
        self.check_built(plan)
        plan.callbacks = [*build_callbacks(plan.recipe.callbacks),
                          *self.callbacks(plan.recipe, plan.model, plan.prepared)]

    def speed_probe(self, plan: Plan):
        epochs = plan.recipe.epochs + (plan.recipe.fine_tune or {}).get("epochs", 0)
        steps = auto_speed.projected_steps(len(plan.prepared.splits["train"][0]), plan.global_batch, epochs)

        def probe(recipe):
            model = build_model(recipe, plan.prepared, plan.chosen.strategy)[0]
            batches = make_datasets(plan.prepared, plan.global_batch, recipe.seed, self.labelled)["train"]
            return auto_speed.time_steps(model, batches)

        return steps, probe

    # The fit path and its hooks: a technique overrides a hook, never the call of `model.fit`.

    def datasets(self, plan: Plan) -> dict:
        """The fit's train, validation and test pipelines (engine.run.building.make_datasets): the training split
        shuffled with the recipe's seed, the held-out splits with the global batch."""
        return make_datasets(plan.prepared, plan.global_batch, plan.recipe.seed, self.labelled)

    def training_data(self, plan: Plan, datasets: dict, epoch: int) -> tuple:
        """The batches the fit trains on from `epoch` (0-based) to the last, and its steps per epoch (None: one
        pass over them each epoch): the shuffled training split, or a curriculum's paced schedule."""
        return datasets["train"], None

    def before_fit(self, plan: Plan, folder: Path | None, resume: Resume | None, console) -> None:
        """Make what the datasets and training data need before the first epoch, on the plan (a curriculum's
        difficulty scores, in plan.checked); a run and a search trial both call it. Nothing by default."""

    def fit(self, plan: Plan, folder: Path | None = None, resume: Resume | None = None, console=_silent,
            verbose: int = 0, evaluate: bool = True) -> Trained:
        """The one set-up of `model.fit` for training `plan.model` on `plan.prepared`: the phases with the engine's
        callbacks (stops, timer, history; with a `folder`, TensorBoard and the backup), continuing `resume`, then
        Keras's evaluation of test and validation. Without a folder nothing is written: a worker of a cluster
        other than the chief, a round of active learning, a curriculum's teacher (which skips the evaluation)."""
        return _fit(self, plan, folder, resume, console, verbose, evaluate=evaluate)

    def train(self, plan: Plan, folder: Path | None, resume: Resume | None, console, verbose: int) -> Trained:
        """What the fit needs first (`before_fit`), what the epochs will never reach, then the fit."""
        self.before_fit(plan, folder, resume, console)
        say_unreached(self.unreached(plan), console)
        return self.fit(plan, folder, resume, console, verbose)

    def assess(self, plan: Plan, trained: Trained, folder: Path):
        return assess(plan, trained, folder)

    def metrics(self, plan: Plan, trained: Trained, assessment) -> dict:
        return fitted_metrics(plan, trained, assessment)

    def save(self, plan: Plan, trained: Trained, assessment, folder: Path, metrics: dict) -> None:
        save_fitted(plan, trained, assessment, folder, metrics)

    def report(self, plan: Plan, trained: Trained, assessment, metrics: dict, folder: Path, env: dict,
               sections: list[str]) -> str:
        return fitted_report(plan, trained, assessment, metrics, folder, env, sections)

    def finished(self, plan: Plan, trained: Trained, assessment) -> dict:
        return fitted_finished(plan, trained)

    def summary(self, plan: Plan, trained: Trained, assessment, folder: Path, metrics: dict) -> list[str]:
        return fitted_summary(plan, trained, folder, metrics)

    def trial_model(self, recipe, prepared: data.Prepared, chosen):
        return build_model(recipe, prepared, chosen.strategy)[0]

    def trial_fit(self, recipe, model, prepared: data.Prepared, chosen, callbacks: list, epochs: int,
                  initial_epoch: int):
        """One `model.fit` from `initial_epoch` to `epochs` (Hyperband continues a trial from its checkpoint)
        through the hooks a run's fit uses (`before_fit`, `datasets`, `training_data`), with the recipe's
        callbacks, the kind's and the tuner's. Not `fit` itself: a trial is scored by Keras's History and writes
        only what the tuner's callbacks write, and a fine-tuning recipe's trial searches its first phase."""
        plan = Plan(recipe, {}, {}, prepared, chosen, model=model, kind=self)
        self.before_fit(plan, None, None, _silent)
        datasets = self.datasets(plan)
        train, steps = self.training_data(plan, datasets, initial_epoch)
        return fit_model(model, train, datasets["validation"],
                         [*build_callbacks(recipe.callbacks), *self.callbacks(recipe, model, prepared), *callbacks],
                         epochs, initial_epoch, steps)
