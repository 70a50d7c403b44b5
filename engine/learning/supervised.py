"""Supervised learning, the default kind: data with labels, `model.fit`, scikit-learn metrics.

Training runs one `fit` phase, or two when the recipe fine-tunes a frozen backbone (`fine_tune`):
the second unfreezes it and recompiles at the lower rate. A resumed run restores the backup and
continues in the phase it had reached. Every worker of a cluster runs these calls alike (fit and
evaluate are collective); only with a `folder` (the chief) are TensorBoard, history.csv and the
backup written.
"""

from __future__ import annotations

import time
from pathlib import Path

import data
from common.text import plural
from engine.kinds import Learning, Trained
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
from engine.run.building import build_model, make_datasets, prepare_data, unfreeze_for_fine_tuning
from engine.run.plan import Plan
from engine.run.record import record
from engine.run.resume import EpochBackup, EpochLog, Resume, restore


def loss_name(loss) -> str:
    """A loss's name as the diagnosis reads it: a Keras name, a serialized class, or a reference's name."""
    if isinstance(loss, dict):
        return str(loss.get("class_name", "")).rpartition(":")[2]
    return str(loss).rpartition(":")[2]


def _phases(plan: Plan) -> list[int]:
    """Epochs of each fit phase: the recipe's, then the fine-tuning phase's when there is one."""
    return [plan.recipe.epochs] + ([plan.recipe.fine_tune["epochs"]] if plan.recipe.fine_tune else [])


def _engine_callbacks(plan: Plan, folder: Path | None, resume: Resume | None) -> dict:
    """The callbacks the engine adds to the recipe's: stops, timer, logs and the backup (the commit point)."""
    rows = resume.rows if resume else []
    first_loss = float(rows[0]["loss"]) if rows else None
    features, train_targets = plan.prepared.splits["train"]
    # A kind without labels trains here too, each input its own target (engine.learning.unsupervised).
    task, train_targets = (plan.prepared.task, train_targets) if plan.kind.labelled else \
        ("regression", features)
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


def _fit_phases(plan: Plan, added: dict, folder: Path | None, resume: Resume | None, console, verbose: int,
                schedule=None) -> None:
    """Run each fit phase, skipping or continuing the phases a resumed run had reached.

    `schedule(epoch)`, when given (a curriculum, engine.learning.curriculum), is the training data from that
    epoch on and its steps per epoch, in place of the shuffled training split."""
    datasets = make_datasets(plan.prepared, plan.global_batch, plan.recipe.seed, plan.kind.labelled)
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
        train, steps = (datasets["train"], None) if schedule is None else schedule(epoch)
        plan.model.fit(train, validation_data=datasets["validation"], initial_epoch=epoch, steps_per_epoch=steps,
                       epochs=begin + length, callbacks=callbacks, shuffle=False, verbose=verbose)
        epoch = log.epochs


def _stopped_by(plan: Plan, divergence: DivergenceStop) -> str:
    if divergence.stopped_epoch is not None:
        return f"stopped by the divergence rule after epoch {divergence.stopped_epoch}"
    return next((f"stopped early by {type(callback).__name__} after epoch {callback.stopped_epoch + 1}"
                 for callback in plan.callbacks if getattr(callback, "stopped_epoch", 0)), "")


def train(plan: Plan, folder: Path | None, resume: Resume | None, console, verbose: int, schedule=None) -> Trained:
    """Both fit phases (continuing after the backup when resuming), then Keras's evaluation of test and
    validation. The chief passes its run `folder`; the other workers of a cluster pass None. A curriculum
    passes its `schedule` of training data (see _fit_phases). First the console hears what the epochs will never
    reach (the kind's `unreached`)."""
    say_unreached(plan.kind.unreached(plan), console)
    added = _engine_callbacks(plan, folder, resume)
    started = time.perf_counter()
    _fit_phases(plan, added, folder, resume, console, verbose, schedule)
    seconds = time.perf_counter() - started
    datasets = make_datasets(plan.prepared, plan.global_batch, plan.recipe.seed, plan.kind.labelled)
    metrics = {split: plan.model.evaluate(datasets[split], return_dict=True, verbose=0)
               for split in ("test", "validation")}
    metrics = {split: {name: float(value) for name, value in values.items()} for split, values in metrics.items()}
    restored_best = any(getattr(callback, "restore_best_weights", False) and getattr(callback, "stopped_epoch", 0)
                        for callback in plan.callbacks)
    return Trained(added["log"], added["timer"], seconds, metrics, _stopped_by(plan, added["divergence"]),
                   restored_best)


def assess(plan: Plan, trained: Trained, folder: Path) -> assessment.Assessment:
    """Evaluate with scikit-learn against the easy baseline, diagnose, measure the cost and draw the plots; the
    phases the epochs never reached come first in the diagnosis (after a divergence, which record reports first)."""
    assessed = assessment.assess(plan.model, plan.prepared, trained.log.history(), sum(_phases(plan)),
                                 trained.stopped_by, trained.restored_best, trained.timer, trained.seconds, folder,
                                 loss_name=loss_name(plan.recipe.loss),
                                 missed=missed_targets(plan.recipe.targets, trained.metrics["test"]))
    assessed.findings = with_unreached(assessed.findings, plan.kind.unreached(plan))
    return assessed


class Supervised(Learning):
    """The default kind, and the base of every kind that trains a compiled model with `model.fit` on a dataset:
    the data prepared by data.prepare, the recipe's model compiled under the strategy, the fit phases above,
    scikit-learn's assessment, and the engine's record (engine.run.record)."""

    name = "supervised"
    servable = True

    def prepare(self, recipe) -> data.Prepared:
        return prepare_data(recipe)

    def build(self, plan: Plan) -> None:
        plan.model, plan.output = build_model(plan.recipe, plan.prepared, plan.chosen.strategy)
        self.check_built(plan)
        plan.callbacks = [*build_callbacks(plan.recipe.callbacks),
                          *self.callbacks(plan.recipe, plan.model, plan.prepared)]

    def train(self, plan: Plan, folder: Path | None, resume: Resume | None, console, verbose: int) -> Trained:
        return train(plan, folder, resume, console, verbose)

    def assess(self, plan: Plan, trained: Trained, folder: Path):
        return assess(plan, trained, folder)

    def record(self, plan: Plan, trained: Trained, assessment, folder: Path, env: dict, console):
        return record(plan, trained, assessment, folder, env, console)

    def trial_model(self, recipe, prepared: data.Prepared, chosen):
        return build_model(recipe, prepared, chosen.strategy)[0]

    def trial_fit(self, recipe, model, prepared: data.Prepared, chosen, callbacks: list, epochs: int,
                  initial_epoch: int):
        datasets = make_datasets(prepared, recipe.batch_size * chosen.replicas, recipe.seed, self.labelled)
        return model.fit(datasets["train"], validation_data=datasets["validation"], epochs=epochs,
                         initial_epoch=initial_epoch,
                         callbacks=[*build_callbacks(recipe.callbacks), *self.callbacks(recipe, model, prepared),
                                    *callbacks], shuffle=False, verbose=0)
