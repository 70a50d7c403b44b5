"""Active learning (engine.learning.active): the oracle, the pool, reproducibility, resume, refusals."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from engine import Data, Model, Recipe
from engine.cli import main
from engine.learning import active, supervised
from engine.recipe.overrides import apply_overrides
from engine.run import training
from engine.run.plan import build, plan_recipe
from engine.run.resume import check_resume
from tests.conftest import only_run_folder, read_json

# 3 classes of 2-D blobs: real-valued rows, so no two samples of different splits are equal.
SETTINGS = {"initial_per_class": 2, "query_size": 5, "budget": 21, "strategy": "margin"}
ROUNDS = 4  # 6, 11, 16 and 21 labels


def small_recipe(**changes) -> Recipe:
    recipe = Recipe(
        data=Data(source="blobs", args={"n_samples": 240, "cluster_std": 3.0}, validation_split=0.2, test_split=0.2),
        model=Model("mlp", args={"width": 16, "depth": 1}),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        callbacks=[{"name": "EarlyStopping", "monitor": "val_loss", "patience": 2, "restore_best_weights": True}],
        batch_size=16, epochs=4, seed=3, active_learning=dict(SETTINGS), name="blobs_active")
    return apply_overrides(recipe, changes) if changes else recipe


class CountingOracle(active.Oracle):
    """Records every sample the loop asks a label for, as an audit would."""

    def __init__(self, targets):
        super().__init__(targets)
        self.questions: list[list[int]] = []

    def ask(self, indices):
        self.questions.append([int(index) for index in indices])
        return super().ask(indices)


@pytest.fixture(scope="module")
def looped():
    """One loop in memory with a counting oracle, recording what the model trained on and scored, and each call
    of the engine's one `model.fit` (epochs, batches of the training and of the validation dataset)."""
    plan = build(plan_recipe(small_recipe()))
    oracle = CountingOracle(plan.prepared.splits["train"][1])
    seen = {"trained": [], "scored": [], "fits": []}
    train_round, probabilities_of, fit_model = active.train_round, active.probabilities_of, supervised.fit_model
    supervised.fit_model = lambda model, train, validation, *args, **kwargs: (
        seen["fits"].append((args[1], int(train.cardinality()), int(validation.cardinality())))
        or fit_model(model, train, validation, *args, **kwargs))
    active.train_round = lambda plan, features, targets, timer: (
        seen["trained"].append(features) or train_round(plan, features, targets, timer))
    active.probabilities_of = lambda model, features, batch: (
        seen["scored"].append(features) or probabilities_of(model, features, batch))
    try:
        last, pool = active.run_loop(plan, oracle, None, None, lambda line: None, active.EpochTimer())
    finally:
        active.train_round, active.probabilities_of, supervised.fit_model = train_round, probabilities_of, fit_model
    return plan, oracle, pool, seen


def test_each_round_trains_through_supervised_learnings_one_fit(looped):
    # The recipe's 4 epochs on 6, 11, 16 and 21 labelled samples (batches of 16); the 48 validation samples in one
    # batch, as large as evaluation likes.
    assert looped[3]["fits"] == [(4, 1, 1), (4, 1, 1), (4, 1, 1), (4, 2, 1)]


def test_the_oracle_is_asked_only_for_the_chosen_samples(looped):
    _, oracle, pool, _ = looped
    seed_set = oracle.questions[0]
    queried = [row["queried"] for row in pool.rows]
    # The seed set, then exactly each round's query, each sample once; the last round asks nothing.
    assert oracle.questions == [seed_set, *queried[:-1]]
    assert queried[-1] == []
    assert oracle.asked == pool.labelled and len(set(pool.labelled)) == len(pool.labelled) == SETTINGS["budget"]
    assert [row["labels"] for row in pool.rows] == [6, 11, 16, 21]
    assert np.bincount(looped[0].prepared.splits["train"][1][seed_set]).tolist() == [2, 2, 2]


def _rows(array) -> set[bytes]:
    return {row.tobytes() for row in np.asarray(array)}


def test_validation_and_test_never_enter_the_pool(looped):
    plan, _, _, seen = looped
    splits = {name: _rows(features) for name, (features, _) in plan.prepared.splits.items()}
    assert not splits["train"] & (splits["validation"] | splits["test"])
    assert len(seen["trained"]) == ROUNDS and len(seen["scored"]) == ROUNDS - 1
    for features in seen["trained"] + seen["scored"]:
        assert _rows(features) <= splits["train"]
    # Every unlabelled training sample is scored, and no labelled one.
    assert all(len(scored) == len(plan.prepared.splits["train"][0]) - 6 - 5 * number
               for number, scored in enumerate(seen["scored"]))


@pytest.fixture(scope="module")
def crashed_and_resumed(tmp_path_factory):
    """A run that crashes as round 3 begins, then resumed."""
    runs_dir = tmp_path_factory.mktemp("runs")
    train_round, rounds = active.train_round, []

    def crash(plan, features, targets, timer):
        rounds.append(len(features))
        if len(rounds) == 3:
            raise RuntimeError("crash in round 3")
        return train_round(plan, features, targets, timer)

    active.train_round = crash
    try:
        with pytest.raises(RuntimeError, match="crash in round 3"):
            training.run_recipe(small_recipe(), runs_dir, console=lambda line: None, verbose=0)
    finally:
        active.train_round = train_round
    folder = only_run_folder(runs_dir, "blobs_active")
    crashed = read_json(folder / "env.json")["status"], read_json(folder / active.STATE)
    resume = check_resume(str(folder), runs_dir, "blobs_active")
    lines: list[str] = []
    training.run_recipe(resume.recipe, runs_dir, console=lines.append, verbose=0, resume=resume)
    return folder, crashed, lines


def test_a_crashed_loop_resumes_at_its_round_and_runs_each_round_once(looped, crashed_and_resumed):
    folder, (status, state), lines = crashed_and_resumed
    assert status == "failed" and len(state["rounds"]) == 2
    assert "Active learning: 2 rounds had finished; continuing with 16 labels." in lines
    with open(folder / active.ROUNDS, newline="") as file:
        assert [int(row["round"]) for row in csv.DictReader(file)] == list(range(1, ROUNDS + 1))
    assert read_json(folder / "env.json")["status"] == "complete"
    assert not (folder / "backup").exists()
    # The resumed run asked for the same samples, in the same order, as the loop that never stopped.
    assert read_json(folder / active.STATE)["labelled"] == looped[2].labelled
    metrics = read_json(folder / "metrics.json")["active_learning"]
    assert metrics["labels"] == [6, 11, 16, 21] and len(metrics["test_accuracy"]) == ROUNDS
    assert "## Active learning" in (folder / "report.md").read_text()
    assert (folder / active.PICTURE).is_file() and any((folder / "logs" / "active_learning").iterdir())


def test_the_queried_sets_are_reproducible_from_the_seed(looped, crashed_and_resumed):
    _, _, pool, _ = looped
    # A run of the same recipe in its own run folder (crashed, then resumed) asked for the same samples.
    assert read_json(crashed_and_resumed[0] / active.STATE)["labelled"] == pool.labelled
    # Another seed (two rounds are enough to tell) asks for other samples.
    plan = build(plan_recipe(small_recipe(seed=4, **{"active_learning.budget": 11})))
    other = active.run_loop(plan, active.Oracle(plan.prepared.splits["train"][1]), None, None, lambda line: None,
                            active.EpochTimer())[1]
    assert len(other.labelled) == 11 and other.labelled != pool.labelled[:11]


def test_random_choice_is_seeded_and_uncertainty_picks_the_closest_calls():
    probabilities = np.array([[0.9, 0.1, 0.0], [0.4, 0.35, 0.25], [0.5, 0.5, 0.0], [0.34, 0.33, 0.33]])
    unlabelled = np.array([10, 11, 12, 13])
    generator = lambda: np.random.default_rng(0)  # noqa: E731
    assert active.choose("margin", probabilities, unlabelled, 1, generator()).tolist() == [12]
    assert active.choose("least_confidence", probabilities, unlabelled, 1, generator()).tolist() == [13]
    assert active.choose("entropy", probabilities, unlabelled, 1, generator()).tolist() == [13]
    first, again = (active.choose("random", None, unlabelled, 2, generator()) for _ in range(2))
    assert first.tolist() == again.tolist()


BAD = [
    ('active_learning.strategy="maximum"', "`active_learning.strategy` must be one of"),
    ("active_learning.budget=0", "`active_learning.budget` must be an integer in [1, inf). Received: 0."),
    ("active_learning.query_size=2.5", "Override `active_learning.query_size` expects int. Received: 2.5"),
    ("active_learning.batch=3", "Unknown override key `active_learning.batch`"),
    ("active_learning.budget=5000", "`active_learning.budget` must lie between the 6 labels of the seed set"),
    ("active_learning.initial_per_class=200", "asks for more samples of class"),
    ("active_learning.query_size=30", "asks for more labels in one round than the whole budget (21)"),
    ("active_learning.query_size=16", "than the budget leaves after the seed set (21 - 6 = 15)"),
    ('curriculum={"pacing": "linear"}', "one technique at a time: `active_learning` or `curriculum`"),
]


@pytest.mark.parametrize("override, message", BAD, ids=[override.split("=")[0] + str(i) for i, (override, _)
                                                        in enumerate(BAD)])
def test_bad_settings_exit_2_and_write_nothing(override, message, tmp_path, capsys):
    recipe_file = tmp_path / "blobs_active.py"
    recipe_file.write_text("from tests.engine.learning.test_active_learning import small_recipe\n\n"
                           "recipe = small_recipe()\nrecipe.name = None\n")
    runs_dir = tmp_path / "runs"
    code = main(["recipe", str(recipe_file), override, "--runs-dir", str(runs_dir)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not runs_dir.exists()


def test_active_learning_settings_are_json_and_the_kind_refuses_other_kinds():
    recipe = small_recipe()
    assert json.loads(json.dumps(recipe.to_dict()))["active_learning"] == SETTINGS
    with pytest.raises(active.RecipeError, match="wraps supervised learning only"):
        active.ActiveLearning().check(apply_overrides(recipe, {"kind": "unsupervised", "loss": "mse"}))


def test_make_tune_searches_the_query_strategy(tmp_path, capsys):
    recipe_file = tmp_path / "blobs_active_tune.py"
    recipe_file.write_text(
        "from engine import Tuner, hp\nfrom tests.engine.learning.test_active_learning import small_recipe\n\n"
        "recipe = small_recipe(**{'active_learning.budget': 11})\nrecipe.name = None\n"
        "recipe.active_learning['strategy'] = hp.Choice('strategy', ['margin', 'random'], default='margin')\n"
        "recipe.tuner = Tuner(name='grid', objective='val_accuracy', max_trials=2)\n")
    runs_dir = tmp_path / "runs"
    assert main(["tune", str(recipe_file), "--runs-dir", str(runs_dir)]) == 0, capsys.readouterr().err
    best = read_json(next((runs_dir / "blobs_active_tune").glob("tune-*")) / "best.json")
    assert best["trials"] == {"COMPLETED": 2} and best["hyperparameters"]["strategy"] in ("margin", "random")
    assert 0 < best["score"] <= 1
