"""Curriculum learning: the order and pace in which training samples are shown, around supervised training.

A recipe declares `curriculum={"difficulty": "teacher_loss", "pacing": "linear", "start_fraction": 0.2,
"full_at": 0.5}`. Two things are needed:

- a difficulty per training sample. `teacher_loss` cross-fits it: the training split is cut into `folds`
  (stratified, seeded), and each fold is scored by a teacher (the recipe's own network, optimizer, callbacks
  and validation split) trained on the other folds only, so no sample scores itself; the score is the
  teacher's loss on the sample's (possibly noisy) label. Or declared: a `.npy` file of one score per training
  sample, or a `"file.py:function"` called as `function(features, targets)` on the training split.
- a pace: the fraction of the training split, easiest first, that epoch e may draw from. It grows from
  `start_fraction` to `end_fraction` (1: all of it) at `full_at` (a fraction of the epochs): `linear`ly,
  in 4 equal `step`s, or `exponential`ly (each epoch multiplies it by the same factor); an `end_fraction`
  below 1 keeps only the easiest part from then on. These follow the pacing functions of Wu, Dyer &
  Neyshabur (2021, "When Do Curricula Work?", ICLR), whose two parameters are the fraction of the data
  used at first and the fraction of training after which all of it is used.

Every epoch has as many steps as a full pass over the training split (so every arm gets the same budget of
gradient steps): its batches are drawn, reshuffled, from the samples its fraction allows. `order` gives the
controls: `curriculum` (easiest first), `random` (the same pace over a random order) and `anti` (hardest
first). The run's history.csv and TensorBoard get `curriculum_fraction` per epoch; report.md adds the pacing
schedule (pacing.png); `difficulty.npy` keeps the scores (a resumed run reuses them instead of training its
teachers again).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from sklearn.model_selection import StratifiedKFold

import data
from common.files import atomic_path
from common.references import import_reference, is_reference
from common.text import plural
from engine.errors import RecipeError
from engine.kinds import Recorded, Trained, technique_settings
from engine.learning import supervised
from engine.learning.declarations import ORDERS, PACINGS, CurriculumDeclaration
from engine.learning.declarations import CurriculumSettings as Settings
from engine.recipe.keras_objects import build_callbacks, build_loss
from engine.report import plots
from engine.run.building import build_model
from engine.run.plan import Plan
from engine.run.resume import Resume

SCORES = "difficulty.npy"
PICTURE = "pacing.png"
STEPS = 4  # the `step` pacing's number of equal steps from start_fraction to everything


def settings_of(recipe) -> Settings:
    """The recipe's settings, refusing a key that is not one of them."""
    return technique_settings("curriculum", recipe.curriculum, Settings)


def class_labels(targets: np.ndarray) -> np.ndarray:
    targets = np.asarray(targets)
    return targets.argmax(axis=1) if targets.ndim == 2 and targets.shape[1] > 1 else targets.reshape(-1).astype(int)


def pace(settings: Settings, epochs: int) -> list[float]:
    """The fraction of the training split each epoch may draw from (epoch 1 first)."""
    fractions = []
    start, end = settings.start_fraction, settings.end_fraction
    for epoch in range(epochs):
        progress = min(1.0, epoch / epochs / settings.full_at)
        if settings.pacing == "linear":
            fraction = start + (end - start) * progress
        elif settings.pacing == "step":
            fraction = start + (end - start) * math.floor(progress * STEPS) / STEPS
        else:
            fraction = start * (end / start) ** progress
        fractions.append(min(end, fraction))
    return fractions


def ordering(scores: np.ndarray, order: str, seed: int) -> np.ndarray:
    """Training-sample indices in the order they are admitted: easiest first, a seeded random order, or hardest
    first. Equal scores keep a seeded random order, so nothing depends on where a sample sits in the split."""
    shuffled = np.random.default_rng([seed, 17]).permutation(len(scores))
    if order == "random":
        return shuffled
    signed = scores[shuffled] if order == "curriculum" else -scores[shuffled]
    return shuffled[np.argsort(signed, kind="stable")]


def epoch_indices(admitted: np.ndarray, fraction: float, size: int, batch: int, seed: int,
                  epoch: int) -> np.ndarray:
    """One epoch's `size` sample indices: the first `fraction` of `admitted`, reshuffled and repeated to fill it."""
    allowed = admitted[:max(min(batch, size), math.ceil(fraction * size))]
    generator = np.random.default_rng([seed, epoch])
    rounds = math.ceil(size / len(allowed))
    return np.concatenate([generator.permutation(allowed) for _ in range(rounds)])[:size]


def schedule_for(plan: Plan, scores: np.ndarray):
    """`schedule(epoch)` for supervised learning's fit (Curriculum.training_data): the paced training batches from
    that epoch on, and steps per epoch."""
    settings, recipe = settings_of(plan.recipe), plan.recipe
    features, targets = plan.prepared.splits["train"]
    size, batch = len(targets), plan.global_batch
    admitted = ordering(scores, settings.order, recipe.seed)
    fractions = pace(settings, recipe.epochs)
    steps = math.ceil(size / batch)

    def schedule(first_epoch: int) -> tuple[tf.data.Dataset, int]:
        rows = np.stack([epoch_indices(admitted, fractions[epoch], size, batch, recipe.seed, epoch)
                         for epoch in range(first_epoch, recipe.epochs)])
        inputs, labels = tf.constant(features), tf.constant(targets)
        dataset = tf.data.Dataset.from_tensor_slices(rows).flat_map(
            lambda row: tf.data.Dataset.from_tensor_slices(row).batch(batch))
        dataset = dataset.map(lambda index: (tf.gather(inputs, index), tf.gather(labels, index)))
        if plan.prepared.augmentation is not None:
            augment = plan.prepared.augmentation
            dataset = dataset.map(lambda x, y: (augment(x, training=True), y))
        options = tf.data.Options()  # as data.pipeline: each worker of a cluster keeps its share of every batch
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        return dataset.with_options(options).prefetch(tf.data.AUTOTUNE), steps

    return schedule


def cross_fitted_scores(labels: np.ndarray, folds: int, seed: int, train_and_score) -> np.ndarray:
    """Each sample's difficulty from a teacher that never trained on it.

    `train_and_score(trained_on, scored)` trains a teacher on the indices `trained_on` and returns its scores
    of the indices `scored`; the folds are stratified by (the possibly noisy) labels and seeded.
    """
    scores = np.full(len(labels), np.nan)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for trained_on, scored in splitter.split(np.zeros(len(labels)), labels):
        scores[scored] = train_and_score(trained_on, scored)
    return scores


def teacher(plan: Plan, settings: Settings):
    """`train_and_score` for cross_fitted_scores: the recipe's network, trained as the recipe says (by supervised
    learning's fit, on the other folds, for `teacher_epochs`), scoring by loss."""
    recipe, prepared = plan.recipe, plan.prepared
    features, targets = prepared.splits["train"]
    taught = dataclasses.replace(recipe, epochs=settings.teacher_epochs or recipe.epochs)

    def train_and_score(trained_on: np.ndarray, scored: np.ndarray) -> np.ndarray:
        keras.utils.set_random_seed(recipe.seed)
        model, _ = build_model(recipe, prepared, plan.chosen.strategy)
        # The teacher's own augmentation layers: the student's keep their random stream untouched, so a run
        # with these scores declared (a .npy) trains exactly as this one, and as the standard arm would.
        augment = data.build_augmentation(recipe.data.augmentation or [], recipe.seed, prepared.input_shape)
        folds = dataclasses.replace(prepared, splits={**prepared.splits, "train": (features[trained_on],
                                                                                   targets[trained_on])},
                                    augmentation=augment)
        # Plain supervised learning's fit (no schedule: the scores are what the teachers make), writing nothing.
        supervised.Supervised().fit(dataclasses.replace(plan, recipe=taught, prepared=folds, model=model,
                                                        callbacks=build_callbacks(recipe.callbacks)), evaluate=False)
        predictions = model.predict(features[scored], batch_size=max(plan.global_batch, 512), verbose=0)
        loss = build_loss(recipe.loss)
        per_sample = loss.call if isinstance(loss, keras.losses.Loss) else loss  # unreduced: one loss per sample
        return np.asarray(per_sample(targets[scored], predictions), dtype="float64").reshape(-1)

    return train_and_score


def declared_scores(difficulty: str, prepared: data.Prepared) -> np.ndarray:
    """Scores a recipe declares: a .npy file, or a function of the training split's features and targets."""
    features, targets = prepared.splits["train"]
    if difficulty.endswith(".npy"):
        try:
            scores = np.load(Path(difficulty).expanduser(), allow_pickle=False)
        except (OSError, ValueError) as error:
            raise RecipeError(f"`curriculum.difficulty`: {difficulty!r} cannot be read as a .npy file ({error}).") \
                from None
    else:
        scores = import_reference(difficulty, "`curriculum.difficulty`", RecipeError)(features, targets)
    scores = np.asarray(scores, dtype="float64").reshape(-1)
    if len(scores) != len(targets) or not np.isfinite(scores).all():
        raise RecipeError(f"`curriculum.difficulty` must give one finite score per training sample "
                          f"({len(targets)}); {difficulty!r} gave {len(scores)}"
                          f"{'' if np.isfinite(scores).all() else ', not all finite'}.")
    return scores


def difficulty_of(plan: Plan, folder: Path | None, resume: Resume | None, console) -> np.ndarray:
    """The training samples' scores: kept from before a crash, declared, or from the cross-fitted teachers."""
    settings = settings_of(plan.recipe)
    if resume is not None and (resume.folder / SCORES).is_file():
        return np.load(resume.folder / SCORES)
    if settings.order == "random":  # the control's order ignores the scores: no teacher needed
        scores = np.zeros(len(plan.prepared.splits["train"][1]))
    elif settings.difficulty != "teacher_loss":
        scores = plan.checked.get(SCORES)
        if scores is None:
            scores = declared_scores(settings.difficulty, plan.prepared)
    else:
        console(f"Curriculum: scoring the training split with {plural(settings.folds, 'teacher')}, each trained "
                "on the other folds.")
        labels = class_labels(plan.prepared.splits["train"][1])
        scores = cross_fitted_scores(labels, settings.folds, plan.recipe.seed, teacher(plan, settings))
        keras.utils.set_random_seed(plan.recipe.seed)  # the student's randomness as a run without teachers
    if folder is not None:
        with atomic_path(folder / SCORES) as temporary, open(temporary, "wb") as file:
            np.save(file, scores)
    return scores


class PaceLog(keras.callbacks.Callback):
    """Adds `curriculum_fraction` to each epoch's logs (history.csv and TensorBoard read them after it)."""

    def __init__(self, fractions: list[float]):
        super().__init__()
        self.fractions = fractions

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None and epoch < len(self.fractions):
            logs["curriculum_fraction"] = self.fractions[epoch]


def plot_pace(plan: Plan, path: Path) -> Path:
    settings = settings_of(plan.recipe)
    figure, axis = plots.plt.subplots(figsize=(6.0, 3.6))
    fractions = pace(settings, plan.recipe.epochs)
    axis.step(np.arange(1, len(fractions) + 1), fractions, where="post")
    axis.set_ylim(0, 1.05)
    axis.set_xlabel("epoch")
    axis.set_ylabel("fraction of the training split allowed")
    axis.set_title(f"Pacing: {settings.pacing}, order {settings.order}")
    axis.grid(alpha=0.3)
    return plots.save_figure(figure, path)


def summary(plan: Plan, scores: np.ndarray) -> dict[str, Any]:
    """What metrics.json records: the settings, the pace, and how the scores rank the noisy labels if any."""
    found: dict[str, Any] = {"settings": dataclasses.asdict(settings_of(plan.recipe)),
                             "fractions": pace(settings_of(plan.recipe), plan.recipe.epochs)}
    noisy = plan.prepared.noisy
    if noisy is not None and noisy.any() and not noisy.all():
        ranks = np.argsort(np.argsort(scores)) / (len(scores) - 1)
        found["noisy_label_mean_rank"] = float(ranks[noisy].mean())  # 1 is hardest; 0.5 is no better than chance
        found["clean_label_mean_rank"] = float(ranks[~noisy].mean())
    return found


class Curriculum(CurriculumDeclaration, supervised.Supervised):
    """Supervised learning on paced batches: the easiest samples first, more of the split as epochs go by; its
    name, settings and their ranges are declared in engine.learning.declarations."""

    def check(self, recipe) -> None:
        """Refuse, before any data is read, what a curriculum cannot wrap or a difficulty it cannot read."""
        if recipe.kind not in self.wraps:
            raise RecipeError(f"`curriculum` orders labelled training samples, so it wraps supervised learning only; "
                              f"this recipe is kind={recipe.kind!r}. Remove `curriculum` or set kind='supervised'.")
        if recipe.fine_tune:
            raise RecipeError("`curriculum` paces one training phase; remove `fine_tune` from this recipe.")
        settings = settings_of(recipe)
        for name, allowed in (("pacing", PACINGS), ("order", ORDERS)):
            if getattr(settings, name) not in allowed:
                raise RecipeError(f"`curriculum.{name}` must be one of {', '.join(map(repr, allowed))}. "
                                  f"Received: {getattr(settings, name)!r}.")
        if settings.start_fraction > settings.end_fraction:
            raise RecipeError(f"`curriculum.start_fraction` ({settings.start_fraction}) must not exceed "
                              f"`curriculum.end_fraction` ({settings.end_fraction}): the pace never shrinks.")
        difficulty = settings.difficulty
        if not (difficulty == "teacher_loss" or str(difficulty).endswith(".npy") or is_reference(difficulty)):
            raise RecipeError("`curriculum.difficulty` must be 'teacher_loss', a .npy file of one score per training "
                              f"sample, or 'path/to/file.py:function'. Received: {difficulty!r}.")

    def check_built(self, plan: Plan) -> None:
        """Refuse what only the data can tell: a regression source, or a class with fewer samples than folds."""
        settings, prepared = settings_of(plan.recipe), plan.prepared
        if isinstance(prepared.splits["train"][0], data.Stream):
            raise RecipeError("`curriculum` draws each batch from chosen samples, so it needs the training split in "
                              "memory; this source streams it from files.")
        if prepared.task != data.CLASSIFICATION and settings.difficulty == "teacher_loss":
            raise RecipeError("`curriculum.difficulty='teacher_loss'` stratifies its folds by class, so it needs a "
                              "classification source; declare the scores instead (a .npy file or a function).")
        if settings.difficulty == "teacher_loss":
            smallest = int(np.bincount(class_labels(prepared.splits["train"][1])).min())
            if smallest < settings.folds:
                raise RecipeError(f"`curriculum.folds={settings.folds}` needs at least that many training samples of "
                                  f"every class; the smallest class has {smallest}.")
        elif settings.order != "random":
            # A .npy file or a function: read or called here, once, so a missing file or function or scores of the
            # wrong length are refused before the run folder exists; training reuses them.
            plan.checked[SCORES] = declared_scores(settings.difficulty, prepared)

    def callbacks(self, recipe, model, prepared) -> list:
        """The pace logger, first among the recipe's callbacks."""
        return [PaceLog(pace(settings_of(recipe), recipe.epochs))]

    def before_fit(self, plan: Plan, folder: Path | None, resume: Resume | None, console) -> None:
        """Score the training split (or read the scores), before a run's fit or a search trial's: the paced
        batches and the record read them from plan.checked."""
        plan.checked[SCORES] = difficulty_of(plan, folder, resume, console)

    def training_data(self, plan: Plan, datasets: dict, epoch: int) -> tuple[tf.data.Dataset, int]:
        """The paced batches from `epoch` on, in place of the shuffled training split (supervised learning's fit
        does the rest)."""
        return schedule_for(plan, plan.checked[SCORES])(epoch)

    def assess(self, plan: Plan, trained: Trained, folder: Path):
        """The supervised assessment, plus the pacing schedule."""
        assessment = supervised.assess(plan, trained, folder)
        assessment.pictures["pacing"] = plot_pace(plan, folder / PICTURE)
        return assessment

    def recorded(self, plan: Plan, trained: Trained) -> Recorded:
        """The curriculum's entry of metrics.json and section of report.md, for the engine's record."""
        found = summary(plan, plan.checked[SCORES])
        settings = found["settings"]
        lines = ["## Curriculum", "",
                 f"Difficulty {settings['difficulty']!r}, order {settings['order']!r}, pacing {settings['pacing']!r} "
                 f"from {settings['start_fraction']:g} of the training split to {settings['end_fraction']:g} of it at "
                 f"{settings['full_at']:g} of the epochs; every epoch takes as many steps as a full pass. "
                 "`difficulty.npy` holds the scores.", ""]
        if "noisy_label_mean_rank" in found:
            lines += [f"Noisy labels' mean difficulty rank {found['noisy_label_mean_rank']:.3f}, clean labels' "
                      f"{found['clean_label_mean_rank']:.3f} (0 easiest, 1 hardest).", ""]
        lines += [f"![pacing]({PICTURE})", "", "Compare with its controls on the same seeds: "
                  "`python -m benchmarks.curriculum`.", ""]
        return Recorded({"curriculum": found}, lines)
