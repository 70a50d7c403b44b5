"""What each built-in kind and technique declares, in a module that imports neither TensorFlow nor Keras.

A kind declares its name, its fields, its settings with their meanings (the comment beside each field) and their
valid ranges, and the keys of the open parts it owns (engine.kinds.Learning). The modules that train import
TensorFlow, Keras and scikit-learn, which takes seconds; `make show` and the checks of a recipe need only these
declarations. So each built-in's declaration is a class here, and the kind's own class in its module subclasses
it and adds the steps of a run: `make show` reads the very same declarations without loading the kind
(engine.kinds.declaration). The settings dataclasses live here for that reason too; each kind's module offers
its own under its usual name (`engine.learning.curriculum.Settings`, `...agents.dqn.Settings`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from common.declared import field_docs
from engine.kinds import Learning
from engine.recipe.validation import NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE, POSITIVE_INT, UNIT, Interval, Options


class SupervisedDeclaration(Learning):
    """engine.learning.supervised.Supervised: data with labels; the base of every kind that fits on a dataset."""

    name = "supervised"
    servable = True


class UnsupervisedDeclaration(SupervisedDeclaration):
    """engine.learning.unsupervised.Unsupervised: labels never reach the model or the loss."""

    name = "unsupervised"
    labelled = False
    servable = False


@dataclass(frozen=True)
class ActiveLearningSettings:
    """The `active_learning` field of a recipe; the numbers' ranges are in engine.recipe.validation."""

    # Labelled samples of each class to start from: a class-balanced seed set, as a labeller is first asked for.
    initial_per_class: int = 2
    # Labels asked for in each round, after the model of that round has scored the unlabelled pool.
    query_size: int = 10
    # Labels in all at which the loop stops (the last round trains on exactly this many).
    budget: int = 200
    # How the unlabelled samples are ranked: the smallest gap between the two likeliest classes ("margin"),
    # the highest entropy ("entropy"), the lowest top probability ("least_confidence"), or "random" (the control).
    strategy: str = "margin"


STRATEGIES = ("margin", "entropy", "least_confidence", "random")


class TechniqueDeclaration(SupervisedDeclaration):
    """A technique's settings are the fields of its `settings_class`, under the recipe field `technique`."""

    settings_class: type

    def settings(self) -> dict[str, Any]:
        return dataclasses.asdict(self.settings_class())

    def docs(self, config: dict) -> dict[str, str]:
        return {f"{self.technique}.{key}": doc for key, doc in field_docs(self.settings_class).items()}


class ActiveLearningDeclaration(TechniqueDeclaration):
    """engine.learning.active.ActiveLearning: which training samples get labels, round by round."""

    name = "supervised, active learning"
    technique = "active_learning"
    settings_class = ActiveLearningSettings
    wraps = ("supervised",)
    without_epochs = "an active-learning recipe trains in rounds of labelling, each a new fit"

    def constraints(self) -> dict[str, Any]:
        return {"active_learning.initial_per_class": POSITIVE_INT, "active_learning.query_size": POSITIVE_INT,
                "active_learning.budget": POSITIVE_INT, "active_learning.strategy": Options(set(STRATEGIES))}


@dataclass(frozen=True)
class CurriculumSettings:
    """The `curriculum` field of a recipe; the numbers' ranges are in engine.recipe.validation."""

    # "teacher_loss" (cross-fitted), a ".npy" file of one score per training sample, or "file.py:function".
    difficulty: str = "teacher_loss"
    # How the allowed fraction grows: "linear", "step" or "exponential".
    pacing: str = "linear"
    # The fraction of the training split (easiest first) the first epoch draws from.
    start_fraction: float = 0.2
    # The fraction of the epochs after which the pace reaches `end_fraction`.
    full_at: float = 0.5
    # The fraction allowed from `full_at` on: 1 shows every sample in the end; below 1 keeps only the easiest
    # (a cross-fitted teacher's small-loss selection under label noise, after Han et al. 2018, "Co-teaching").
    end_fraction: float = 1.0
    # "curriculum" (easiest first); the controls "random" (same pace, random order) and "anti" (hardest first).
    order: str = "curriculum"
    # Folds of the training split for `teacher_loss`: each is scored by a teacher trained on the others.
    folds: int = 2
    # The teachers' epochs (with the recipe's callbacks, so early stopping still applies); null: the recipe's.
    teacher_epochs: int | None = None


PACINGS = ("linear", "step", "exponential")
ORDERS = ("curriculum", "random", "anti")


class CurriculumDeclaration(TechniqueDeclaration):
    """engine.learning.curriculum.Curriculum: the order and pace in which training samples are shown."""

    name = "supervised, curriculum"
    technique = "curriculum"
    settings_class = CurriculumSettings
    wraps = ("supervised",)
    without_epochs = "a curriculum recipe trains at a pace fixed over all its epochs"

    def constraints(self) -> dict[str, Any]:
        fraction = Interval(Real, 0, 1, closed="right")
        return {"curriculum.start_fraction": fraction, "curriculum.full_at": fraction,
                "curriculum.end_fraction": fraction, "curriculum.pacing": Options(set(PACINGS)),
                "curriculum.order": Options(set(ORDERS)),
                # one fold would leave no teacher any data
                "curriculum.folds": Interval(Integral, 2, None, closed="left"),
                "curriculum.teacher_epochs": (POSITIVE_INT, None)}


@dataclass
class DQNSettings:
    """DQN's own settings (`agent.args`); gamma, the budget, the network, optimizer and batch are the recipe's."""

    buffer_size: int = 100_000  # transitions kept for replay; the oldest are overwritten
    learning_starts: int = 1_000  # steps of experience collected before the first gradient step
    train_frequency: int = 4  # environment steps between rounds of gradient steps
    gradient_steps: int = 1  # gradient steps per round
    target_update_period: int = 1_000  # environment steps between target network updates
    tau: float = 1.0  # how far each update moves the target network towards the Q network (1: a copy)
    exploration_initial: float = 1.0  # epsilon at the first step
    exploration_final: float = 0.05  # epsilon once the schedule has run
    exploration_fraction: float = 0.1  # share of the budget over which epsilon falls linearly
    max_grad_norm: float | None = 10.0  # gradients are clipped to this global norm, Stable-Baselines3's default
    validation_period: int = 5_000  # steps between greedy validations (0: none, the last network is kept)
    validation_episodes: int = 10  # greedy episodes per validation, on seeds apart from training's and test's


@dataclass
class PPOSettings:
    """PPO's own settings (`agent.args`); gamma, the budget, the network, optimizer and batch are the recipe's."""

    environments: int = 8  # environments stepped side by side
    rollout_steps: int = 32  # steps of each environment per rollout, before an update
    update_epochs: int = 10  # passes over each rollout
    gae_lambda: float = 0.95  # generalized advantage estimation's trade of bias (0) for variance (1)
    clip_range: float = 0.2  # how far one update may move the probability ratio from 1
    entropy_coefficient: float = 0.0  # weight of the entropy bonus (exploration)
    value_coefficient: float = 0.5  # weight of the value loss
    max_grad_norm: float | None = 0.5  # gradients are clipped to this global norm (None: not clipped)
    anneal: bool = True  # learning rate and clip range fall linearly to 0 over the budget
    validation_period: int = 10_000  # steps between greedy validations (0: none, the last network is kept)
    validation_episodes: int = 10  # greedy episodes per validation, on seeds apart from training's and test's


# Each algorithm's settings, by the name `agent.algorithm` gives it (engine.learning.reinforcement.agents).
AGENT_SETTINGS: dict[str, type] = {"dqn": DQNSettings, "ppo": PPOSettings}


def agent_setting_defaults(algorithm: str) -> dict[str, Any]:
    """Every setting an algorithm takes in `agent.args`, with its default; {} for an unknown algorithm."""
    if algorithm not in AGENT_SETTINGS:
        return {}
    return {field.name: field.default for field in dataclasses.fields(AGENT_SETTINGS[algorithm])}


class ReinforcementDeclaration(Learning):
    """engine.learning.reinforcement.Reinforcement: an agent in a Gymnasium environment."""

    name = "reinforcement"
    fields = ("environment", "agent", "model")
    without_epochs = "a reinforcement recipe trains in environment steps"

    def open_keys(self, config: dict, path: str) -> dict[str, Any] | None:
        if path == "agent.args" and isinstance(config.get("agent"), dict):
            return agent_setting_defaults(config["agent"].get("algorithm"))
        return None

    def docs(self, config: dict) -> dict[str, str]:
        algorithm = (config.get("agent") or {}).get("algorithm")
        if algorithm not in AGENT_SETTINGS:
            return {}
        return {f"agent.args.{key}": doc for key, doc in field_docs(AGENT_SETTINGS[algorithm]).items()}

    def constraints(self) -> dict[str, Any]:
        # A discount above 1 makes returns grow without bound, a negative one flips the sign of every later reward.
        share = Interval(Real, 0, 1, closed="right")
        return {
            "agent.total_steps": POSITIVE_INT, "agent.gamma": UNIT, "agent.evaluation_episodes": POSITIVE_INT,
            "agent.args.buffer_size": POSITIVE_INT, "agent.args.learning_starts": NON_NEGATIVE_INT,
            "agent.args.train_frequency": POSITIVE_INT, "agent.args.gradient_steps": POSITIVE_INT,
            "agent.args.target_update_period": POSITIVE_INT, "agent.args.tau": share,
            "agent.args.exploration_initial": UNIT, "agent.args.exploration_final": UNIT,
            "agent.args.exploration_fraction": share, "agent.args.validation_period": NON_NEGATIVE_INT,
            "agent.args.validation_episodes": POSITIVE_INT, "agent.args.environments": POSITIVE_INT,
            "agent.args.rollout_steps": POSITIVE_INT, "agent.args.update_epochs": POSITIVE_INT,
            "agent.args.gae_lambda": UNIT, "agent.args.clip_range": POSITIVE,
            "agent.args.entropy_coefficient": NON_NEGATIVE, "agent.args.value_coefficient": NON_NEGATIVE,
            "agent.args.max_grad_norm": (POSITIVE, None),
        }
