"""Active learning: which training samples get labels, round by round, wrapped around supervised training.

A recipe declares `active_learning={"initial_per_class": 2, "query_size": 10, "budget": 200,
"strategy": "margin"}`. The training split becomes the unlabelled pool, and its labels stay with an
`Oracle` that hands out only the labels it is asked for. The loop:

1. the oracle gives `initial_per_class` labelled samples of each class (the class-balanced seed set a
   labeller is asked for first);
2. a fresh model (the same initial weights every round: the recipe's seed) trains on the labelled
   samples with the recipe's optimizer, epochs and callbacks (early stopping on the validation split),
   through supervised learning's fit (`Supervised.fit`, with the labelled samples as its training split);
3. it is evaluated on validation and test, which never change and never enter the pool;
4. it scores every unlabelled sample, the `query_size` most uncertain are chosen (`random`: a seeded
   random choice, the control), the oracle labels exactly those, and the loop returns to 2 until
   `budget` labels are used (the last query may be smaller to land on the budget).

Every round's row goes to `rounds.csv` and TensorBoard (`logs/active_learning`: test and validation
accuracy and loss against labels used); `active_learning.json` holds the rows and the labelled samples in
the order they were asked for. It is written after each round's query (atomically): that is the commit
point, so a crashed run resumed with `resume=` continues at the round it reached, and each round appears
once. The run's model, history.csv and report are those of the last round; report.md adds the
label-efficiency curve (label_efficiency.png), its area and the labels used to reach the recipe's target.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

import data
import data.pipeline
from common.files import write_json, write_text
from common.text import plural
from engine.errors import RecipeError
from engine.kinds import Recorded, Trained, technique_settings
from engine.learning import supervised
from engine.learning.declarations import STRATEGIES, ActiveLearningDeclaration
from engine.learning.declarations import ActiveLearningSettings as Settings
from engine.recipe.keras_objects import build_callbacks
from engine.report import label_efficiency
from engine.report.cost import EpochTimer
from engine.report.tensorboard_logs import write_scalars
from engine.run.building import build_model
from engine.run.plan import Plan
from engine.run.resume import EpochLog, Resume

STATE = "active_learning.json"
ROUNDS = "rounds.csv"
PICTURE = "label_efficiency.png"
EVALUATION_BATCH = 512


def settings_of(recipe) -> Settings:
    """The recipe's settings, refusing a key that is not one of them."""
    return technique_settings("active_learning", recipe.active_learning, Settings)


class Oracle:
    """The training split's labels, held back: each is handed out only for a sample asked for.

    `asked` lists every index asked for, in order, so a test can count what the loop looked at.
    """

    def __init__(self, targets: np.ndarray):
        self._targets = targets
        self.asked: list[int] = []

    def __len__(self) -> int:
        return len(self._targets)

    def seed_set(self, per_class: int, generator: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """`per_class` samples of each class, chosen at random among that class (the labeller's first batch),
        and their labels."""
        classes = _class_labels(self._targets)
        chosen = [generator.choice(np.flatnonzero(classes == label), size=per_class, replace=False)
                  for label in np.unique(classes)]
        indices = np.concatenate(chosen)
        return indices, self.ask(indices)

    def ask(self, indices: np.ndarray) -> np.ndarray:
        """The labels of exactly these samples."""
        self.asked.extend(int(index) for index in indices)
        return self._targets[np.asarray(indices, dtype=int)]


def _class_labels(targets: np.ndarray) -> np.ndarray:
    """Class numbers from sparse or one-hot targets."""
    targets = np.asarray(targets)
    return targets.argmax(axis=1) if targets.ndim == 2 and targets.shape[1] > 1 else targets.reshape(-1).astype(int)


def uncertainty(strategy: str, probabilities: np.ndarray) -> np.ndarray:
    """How uncertain the model is about each sample, higher first to be asked (not for "random")."""
    ordered = np.sort(probabilities, axis=1)
    if strategy == "margin":
        return -(ordered[:, -1] - ordered[:, -2])
    if strategy == "least_confidence":
        return 1.0 - ordered[:, -1]
    if strategy == "entropy":
        return -np.sum(probabilities * np.log(np.clip(probabilities, 1e-12, 1.0)), axis=1)
    raise ValueError(f"No uncertainty for strategy {strategy!r}")


def choose(strategy: str, probabilities: np.ndarray | None, unlabelled: np.ndarray, count: int,
           generator: np.random.Generator) -> np.ndarray:
    """`count` indices of `unlabelled` to ask for: the most uncertain (ties broken at random), or a random set."""
    order = generator.permutation(len(unlabelled))
    if strategy == "random":
        return unlabelled[order[:count]]
    scores = uncertainty(strategy, probabilities)[order]
    return unlabelled[order[np.argsort(-scores, kind="stable")[:count]]]


def probabilities_of(model: keras.Model, features: np.ndarray, batch: int) -> np.ndarray:
    """Class probabilities of a softmax head, or of a single sigmoid unit as [1 - p, p]."""
    outputs = np.asarray(model.predict(features, batch_size=max(batch, EVALUATION_BATCH), verbose=0), dtype="float64")
    return np.concatenate([1.0 - outputs, outputs], axis=1) if outputs.shape[1] == 1 else outputs


@dataclass
class Round:
    """One round's model and what it measured."""

    model: keras.Model
    log: EpochLog
    callbacks: list
    metrics: dict[str, dict[str, float]]
    stopped_by: str = ""  # as Trained.stopped_by: empty when every epoch ran
    restored_best: bool = False


def train_round(plan: Plan, features: np.ndarray, targets: np.ndarray, timer: EpochTimer) -> Round:
    """A fresh model (the recipe's seed: the same initial weights every round) trained on the labelled samples by
    the kind's fit (engine.learning.supervised), the labelled samples its training split; `timer` gets the epochs'
    times of every round."""
    recipe = plan.recipe
    keras.utils.set_random_seed(recipe.seed)
    model, plan.output = build_model(recipe, plan.prepared, plan.chosen.strategy)
    labelled = dataclasses.replace(plan.prepared, splits={**plan.prepared.splits, "train": (features, targets)})
    callbacks = [*build_callbacks(recipe.callbacks), *plan.kind.callbacks(recipe, model, labelled)]
    trained = plan.kind.fit(dataclasses.replace(plan, prepared=labelled, model=model, callbacks=callbacks))
    timer.seconds += trained.timer.seconds
    metrics = {split: trained.metrics[split] for split in ("validation", "test")}  # rounds.csv's column order
    return Round(model, trained.log, callbacks, metrics, trained.stopped_by, trained.restored_best)


@dataclass
class Pool:
    """The labelled samples (indices into the training split, in the order asked for) and the rounds so far."""

    labelled: list[int]
    rows: list[dict[str, Any]]

    @classmethod
    def read(cls, folder: Path) -> Pool:
        state = json.loads((folder / STATE).read_text())
        return cls(list(state["labelled"]), list(state["rounds"]))

    def write(self, folder: Path, settings: Settings) -> None:
        """The commit point of a round: rows and labelled samples together, then rounds.csv for people."""
        write_json(folder / STATE, {"settings": dataclasses.asdict(settings), "labelled": self.labelled,
                                    "rounds": self.rows})
        columns = [key for key in self.rows[0] if key != "queried"]
        lines = [",".join(columns)] + [",".join(str(row[key]) for key in columns) for row in self.rows]
        write_text(folder / ROUNDS, "\n".join(lines) + "\n")


def _start(plan: Plan, settings: Settings, oracle: Oracle, resume: Resume | None,
           console) -> tuple[Pool, np.ndarray]:
    """The pool a run starts from and its labels: the seed set, or what a resumed run had committed."""
    if resume is not None and (resume.folder / STATE).is_file():
        pool = Pool.read(resume.folder)
        if pool.rows and not pool.rows[-1]["queried"]:
            pool.rows.pop()  # the last round had ended but the run had not: train it again for its model
        console(f"Active learning: {plural(len(pool.rows), 'round')} had finished; continuing with "
                f"{plural(len(pool.labelled), 'label')}.")
        return pool, oracle.ask(np.asarray(pool.labelled, dtype=int))
    indices, labels = oracle.seed_set(settings.initial_per_class, np.random.default_rng(plan.recipe.seed))
    return Pool([int(index) for index in indices], []), labels


# A round's figures in TensorBoard (logs/active_learning), against the labels used: the axis is in the tag, so the
# curve never shares a chart with the run's single end-of-run `test_accuracy` (against epochs).
ROUND_SCALARS = ("test_accuracy", "validation_accuracy", "test_loss", "validation_loss")


def _log_round(writer, row: dict[str, Any]) -> None:
    if writer is not None:
        write_scalars(writer, tuple(f"{name}_vs_labels" for name in ROUND_SCALARS),
                      [row.get(name, float("nan")) for name in ROUND_SCALARS], int(row["labels"]))
        writer.flush()


def _row(number: int, labels: int, result: Round, seconds: float) -> dict[str, Any]:
    row = {"round": number, "labels": labels, "epochs": len(result.log.rows), "seconds": round(seconds, 3)}
    for split, values in result.metrics.items():
        row.update({f"{split}_{name}": round(value, 6) for name, value in values.items()})
    return row


def run_loop(plan: Plan, oracle: Oracle, folder: Path | None, resume: Resume | None, console,
             timer: EpochTimer) -> tuple[Round, Pool]:
    """Rounds of train, evaluate, score and query until the budget is used; returns the last round and the pool."""
    settings, features = settings_of(plan.recipe), plan.prepared.splits["train"][0]
    pool, labels = _start(plan, settings, oracle, resume, console)
    writer = tf.summary.create_file_writer(str(folder / "logs" / "active_learning")) if folder else None
    while True:
        started, number = time.perf_counter(), len(pool.rows) + 1
        labelled = np.asarray(pool.labelled, dtype=int)
        result = train_round(plan, features[labelled], labels, timer)
        row = _row(number, len(labelled), result, time.perf_counter() - started)
        chosen = np.zeros(0, dtype=int)
        if len(labelled) < settings.budget:
            unlabelled = np.setdiff1d(np.arange(len(oracle)), labelled)
            scores = None if settings.strategy == "random" else \
                probabilities_of(result.model, features[unlabelled], plan.global_batch)
            chosen = choose(settings.strategy, scores, unlabelled, min(settings.query_size,
                            settings.budget - len(labelled)), np.random.default_rng([plan.recipe.seed, number]))
            labels = np.concatenate([labels, oracle.ask(chosen)])
        pool.rows.append({**row, "queried": [int(index) for index in chosen]})
        pool.labelled += [int(index) for index in chosen]
        if folder is not None:
            pool.write(folder, settings)  # the commit point of this round
        _log_round(writer, row)
        console(f"Round {number}: {row['labels']} labels, validation accuracy "
                f"{row.get('validation_accuracy', float('nan')):.4f}, "
                f"test accuracy {row.get('test_accuracy', float('nan')):.4f}.")
        if not len(chosen):
            return result, pool


def curve_of(rows: list[dict[str, Any]]) -> tuple[list[int], list[float]]:
    """Labels used and test accuracy, one point per round."""
    return [int(row["labels"]) for row in rows], [float(row["test_accuracy"]) for row in rows]


def summary(plan: Plan, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What metrics.json records about the loop: the curve, its area, the labels used to reach the target."""
    labels, accuracies = curve_of(rows)
    target = plan.recipe.targets.get("accuracy")
    return {"settings": dataclasses.asdict(settings_of(plan.recipe)), "labels": labels, "test_accuracy": accuracies,
            "validation_accuracy": [float(row["validation_accuracy"]) for row in rows],
            "area_under_curve": label_efficiency.area_under_curve(labels, accuracies),
            "target_accuracy": target, "labels_to_target": label_efficiency.labels_to_reach(labels, accuracies, target)}


def trial_score(recipe, prepared: data.Prepared, chosen) -> dict[str, float]:
    """A search trial (engine.tune.search): the whole loop as a run would go, scored by its last round's
    validation metrics (`val_accuracy`, `val_loss`); the test split stays unseen by the search."""
    plan = Plan(recipe, {}, {}, prepared, chosen)
    last, _ = run_loop(plan, Oracle(prepared.splits["train"][1]), None, None, lambda line: None, EpochTimer())
    final = last.log.rows[-1] if last.log.rows else {}
    return {**{name: float(value) for name, value in final.items() if name not in ("epoch", "seconds")},
            **{f"val_{name}": value for name, value in last.metrics["validation"].items()}}


class ActiveLearning(ActiveLearningDeclaration, supervised.Supervised):
    """Supervised learning whose training split is a pool of unlabelled samples, labelled round by round; its
    name, settings and their ranges are declared in engine.learning.declarations."""

    def check(self, recipe) -> None:
        """Refuse, before any data is read, what active learning cannot wrap."""
        if recipe.kind not in self.wraps:
            raise RecipeError(f"`active_learning` chooses which samples get labels, so it wraps supervised learning "
                              f"only; this recipe is kind={recipe.kind!r}. Remove `active_learning` or set "
                              "kind='supervised'.")
        if recipe.fine_tune:
            raise RecipeError("`active_learning` retrains one phase each round; remove `fine_tune` from this recipe.")
        settings = settings_of(recipe)
        query_size, budget = settings.query_size, settings.budget
        if isinstance(query_size, int) and isinstance(budget, int) and query_size > budget:
            raise RecipeError(f"`active_learning.query_size={settings.query_size}` asks for more labels in one round "
                              f"than the whole budget ({settings.budget}); lower query_size or raise budget.")
        if settings.strategy not in STRATEGIES:  # the validation table has it too (constraints); a recipe in code
            raise RecipeError(f"`active_learning.strategy` must be one of {', '.join(map(repr, STRATEGIES))}. "
                              f"Received: {settings.strategy!r}.")

    def check_built(self, plan: Plan) -> None:
        """Refuse settings the data cannot meet: a class with too few samples, a budget the pool cannot fill."""
        settings, prepared = settings_of(plan.recipe), plan.prepared
        if isinstance(prepared.splits["train"][0], data.Stream):
            raise RecipeError("`active_learning` scores and picks single samples of the pool, so it needs the "
                              "training split in memory; this source streams it from files.")
        if prepared.task != data.CLASSIFICATION:
            raise RecipeError("`active_learning` ranks samples by the model's class probabilities, so it needs a "
                              f"classification source; {plan.recipe.data.source!r} gives regression targets.")
        labels = _class_labels(prepared.splits["train"][1])
        counts = np.bincount(labels, minlength=prepared.num_classes)
        start = settings.initial_per_class * prepared.num_classes
        if counts.min() < settings.initial_per_class:
            raise RecipeError(f"`active_learning.initial_per_class={settings.initial_per_class}` asks for more samples "
                              f"of class {int(counts.argmin())} than the training split holds ({int(counts.min())}).")
        if not start <= settings.budget <= len(labels):
            raise RecipeError(
                f"`active_learning.budget` must lie between the {start} labels of the seed set (initial_per_class "
                f"{settings.initial_per_class} x {prepared.num_classes} classes) and the {len(labels)} samples of the "
                f"training split. Received: {settings.budget}.")
        if settings.query_size > settings.budget - start:
            raise RecipeError(
                f"`active_learning.query_size={settings.query_size}` asks for more labels in one round than the "
                f"budget leaves after the seed set ({settings.budget} - {start} = {settings.budget - start}); lower "
                "query_size or raise budget.")

    def speed_probe(self, plan: Plan):
        # Each round trains a fresh model on the labelled part of the pool, a few batches an epoch: how many steps
        # the run takes depends on when early stopping ends each round, so no probe can be weighed against it.
        return None, super().speed_probe(plan)[1]

    def train(self, plan: Plan, folder: Path | None, resume: Resume | None, console, verbose: int) -> Trained:
        """The whole loop; the run keeps the last round's model, callbacks, epochs and metrics."""
        started, timer = time.perf_counter(), EpochTimer()
        oracle = Oracle(plan.prepared.splits["train"][1])
        last, pool = run_loop(plan, oracle, folder, resume, console, timer)
        plan.model, plan.callbacks = last.model, last.callbacks
        return Trained(last.log, timer, time.perf_counter() - started, last.metrics, last.stopped_by,
                       last.restored_best, extra={"pool": pool})

    def datasets(self, plan: Plan) -> dict:
        """A round's pipelines: its labelled samples shuffled in the global batch; the held-out splits in batches as
        large as evaluation likes (the numbers do not depend on them, the time per epoch does)."""
        prepared, seed, held_out = plan.prepared, plan.recipe.seed, max(plan.global_batch, EVALUATION_BATCH)
        return {"train": data.pipeline.make_dataset(*prepared.splits["train"], plan.global_batch, shuffle=True,
                                                    seed=seed, augment=prepared.augmentation),
                **{split: data.pipeline.make_dataset(*prepared.splits[split], held_out, shuffle=False, seed=seed)
                   for split in ("validation", "test")}}

    def assess(self, plan: Plan, trained: Trained, folder: Path):
        """The last round's model assessed as a supervised run's, plus the label-efficiency curve, whose area
        joins the test metrics (`label_efficiency_area`: the run's headline, an HParams metric, a possible target)."""
        curve = curve_of(trained.extra["pool"].rows)
        trained.metrics["test"]["label_efficiency_area"] = label_efficiency.area_under_curve(*curve)
        assessment = supervised.assess(plan, trained, folder)
        assessment.pictures["label_efficiency"] = label_efficiency.plot_curves(
            {settings_of(plan.recipe).strategy: curve}, folder / PICTURE, plan.recipe.targets.get("accuracy"),
            title=f"Label efficiency: {plan.recipe.name}")
        return assessment

    def recorded(self, plan: Plan, trained: Trained) -> Recorded:
        """The loop's own entry of metrics.json, section of report.md and console line, for the engine's record."""
        rows = trained.extra["pool"].rows
        found = summary(plan, rows)
        strategy = found["settings"]["strategy"]
        lines = ["## Active learning", "",
                 f"Strategy {strategy!r}: {plural(len(rows), 'round')}, from {found['labels'][0]} to "
                 f"{found['labels'][-1]} labels of the {len(plan.prepared.splits['train'][1])}-sample training split "
                 "(validation and test never enter the pool). `rounds.csv` has every round; "
                 "`active_learning.json` the labelled samples in the order asked for.", "",
                 *label_efficiency.summary_lines({strategy: curve_of(rows)}, found["target_accuracy"]), "",
                 f"![label efficiency]({PICTURE})", "",
                 "Compare strategies on the same seeds with `python -m benchmarks.active_learning`.", ""]
        console = (f"Active learning ({strategy}): area under the label-efficiency curve "
                   f"{found['area_under_curve']:.4f}; "
                   + (f"target reached with {found['labels_to_target']} labels." if found["labels_to_target"]
                      else "target not reached within the budget."))
        return Recorded({"active_learning": found}, lines, [console])

    def trial_fit(self, recipe, model, prepared: data.Prepared, chosen, callbacks: list, epochs: int,
                  initial_epoch: int) -> dict[str, float]:
        """The whole loop of rounds, scored by its last round (see trial_score)."""
        return trial_score(recipe, prepared, chosen)
