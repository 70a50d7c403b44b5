"""The reinforcement kind's steps: check, prepare (the environment), build, train, assess and record."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from common.files import atomic_path
from common.text import plural
from data import environments
from engine.errors import RecipeError
from engine.kinds import Trained
from engine.learning.declarations import ReinforcementDeclaration
from engine.learning.reinforcement import agents, evaluation
from engine.learning.reinforcement.session import Session
from engine.recipe.keras_objects import build_optimizer
from engine.recipe.schema import Recipe
from engine.report import returns
from engine.report.cost import peak_memory_bytes
from engine.report.diagnosis import Finding, say_unreached, unreached_findings
from engine.report.reinforcement_report import render
from engine.report.tensorboard_logs import write_pictures, write_run_summaries
from engine.run.plan import Plan

# Fields of the other kinds, refused here unless left at their defaults, and why.
NOT_HERE = {
    "epochs": "the budget is `agent.total_steps`, in environment steps",
    "metrics": "an agent is scored by its return, not by Keras metrics",
    "callbacks": "the agent's loop is not `model.fit`, so Keras callbacks would never be called",
    "fine_tune": "it is a second phase of supervised fine-tuning",
    "precision": "agents train in float32 (their networks are small: 16-bit arithmetic buys nothing)",
    "steps_per_execution": "the agent compiles its own steps",
}
ONE_DEVICE = ("auto", "cpu", "gpu")


def _defaults() -> dict[str, Any]:
    return {item.name: item.default if item.default is not dataclasses.MISSING else item.default_factory()
            for item in dataclasses.fields(Recipe)}


def check(recipe: Recipe) -> None:
    """Refuse, before anything is written, what a reinforcement recipe cannot use."""
    defaults = _defaults()
    for name, why in NOT_HERE.items():
        if getattr(recipe, name) != defaults[name]:
            raise RecipeError(f"`{name}` has no place in a reinforcement recipe (kind='reinforcement'): {why}. "
                              "Remove it.")
    if recipe.strategy not in ONE_DEVICE:
        raise RecipeError(f"An agent trains on one device: `strategy` must be one of {', '.join(ONE_DEVICE)}. "
                          f"Received: {recipe.strategy!r}.")
    if recipe.model.pretrained or recipe.model.freeze_backbone:
        raise RecipeError("An agent's network starts from fresh weights: remove model.pretrained and "
                          "model.freeze_backbone.")
    settings = agents.settings_for(recipe.agent)
    description = environments.check(recipe.environment.id, recipe.environment.args)
    algorithm = recipe.agent.algorithm
    if not description.discrete:
        raise RecipeError(f"{algorithm.upper()} chooses among discrete actions, but {description.id} has the "
                          f"continuous action space {description.action_space}. Choose an environment with "
                          "discrete actions (CartPole-v1, Acrobot-v1, MountainCar-v0).")
    if algorithm == "dqn" and settings.buffer_size < recipe.batch_size:
        raise RecipeError(f"`agent.args.buffer_size` ({settings.buffer_size}) must hold at least one batch "
                          f"(`batch_size` {recipe.batch_size}). Raise buffer_size or lower batch_size.")
    if algorithm == "ppo" and settings.anneal and isinstance(recipe.optimizer, dict) and \
            isinstance(recipe.optimizer.get("learning_rate"), dict):
        raise RecipeError("PPO's `anneal` lowers a learning rate given as a number; this one is a schedule. Set "
                          "agent.args.anneal=false to follow the schedule, or give the rate as a number.")
    if algorithm == "ppo" and recipe.batch_size > settings.environments * settings.rollout_steps:
        raise RecipeError(f"`batch_size` ({recipe.batch_size}) must fit in one rollout of "
                          f"{settings.environments * settings.rollout_steps} steps (environments x rollout_steps).")


def prepare(recipe: Recipe) -> environments.Description:
    """What stands for the data: the environment's description (its spaces, threshold and time limit)."""
    return environments.check(recipe.environment.id, recipe.environment.args)


def build(plan) -> None:
    """The policy network (the recipe's model), compiled with the recipe's optimizer."""
    settings = agents.settings_for(plan.recipe.agent)
    with plan.chosen.strategy.scope():
        model = agents.module_of(plan.recipe.agent.algorithm).build(plan, settings)
        model.compile(optimizer=build_optimizer(plan.recipe.optimizer), jit_compile=False)
    plan.model, plan.callbacks = model, []
    plan.output = {"units": plan.prepared.actions, "activation": "linear"}


def train(plan, folder: Path | None, resume, console, verbose: int) -> Trained:
    """The agent's loop inside its session; a resumed run continues from its last backup."""
    settings = agents.settings_for(plan.recipe.agent)
    say_unreached(agents.unreached(plan.recipe.agent), console)
    agent = agents.make_agent(plan, settings)
    session = Session(plan, agent, folder, console, settings.validation_period, settings.validation_episodes)
    if resume is not None and session.restore(resume.folder):
        console(f"Continuing after step {session.steps:,} and episode {session.episodes.count:,} (the last backup).")
    try:
        agent.learn(session)
        session.finish()
    finally:
        agent.close()
    best = {key: value for key, value in (session.best or {}).items() if key != "weights"}
    return Trained(session.episodes, None, session.seconds, {"test": {}, "validation": best},
                   extra={"agent": agent, "session": session, "settings": settings})


@dataclass
class Assessment:
    """The greedy policy and the random one on the test seeds, the diagnosis, the cost and the plot."""

    test: dict[str, float]
    baseline: dict[str, float]
    test_seeds: list[int]
    findings: list[Finding]
    cost: dict[str, Any]
    pictures: dict[str, Path] = field(default_factory=dict)

    @property
    def diverged(self) -> bool:
        return False


def assess(plan, trained: Trained, folder: Path) -> Assessment:
    recipe, agent, session = plan.recipe, trained.extra["agent"], trained.extra["session"]
    test_seeds = evaluation.seeds(recipe.seed, "test", recipe.agent.evaluation_episodes)
    arguments = (recipe.environment.id, recipe.environment.args, test_seeds)
    test = evaluation.summary(evaluation.run_episodes(agent.greedy, *arguments))
    baseline = evaluation.summary(evaluation.run_episodes(None, *arguments))
    rows, threshold = session.episodes.rows, plan.prepared.reward_threshold
    findings = [*unreached_findings(agents.unreached(recipe.agent)),
                *returns.diagnose([row["return"] for row in rows], test["mean_return"], baseline["mean_return"],
                                  threshold, agents.module_of(recipe.agent.algorithm).STEADIER)]
    cost = {"parameters": int(sum(model.count_params() for name, model in agent.networks().items()
                                  if name != "target")),
            "environment_steps": session.steps, "episodes": session.episodes.count,
            "train_seconds": trained.seconds, "environment_steps_per_second": session.steps / trained.seconds,
            "peak_memory_bytes": peak_memory_bytes()}
    picture = returns.learning_curves(rows, session.validations, baseline["mean_return"], threshold, test,
                                      folder / "learning_curves.png")
    return Assessment(test, baseline, test_seeds, findings, cost, {"learning_curves": picture})


def _time_to_target(recipe: Recipe, validations: list[dict[str, float]]) -> dict[str, Any]:
    """For each target, the first validation whose mean return reached it: its steps and training seconds."""
    found = {}
    for name, bound in recipe.targets.items():
        reached = next((entry for entry in validations if name == "mean_return" and entry["mean_return"] >= bound),
                       None)
        found[name] = {"target": bound, "steps": reached["steps"] if reached else None,
                       "seconds": reached.get("seconds") if reached else None}
    return found


def _metrics(plan, trained: Trained, assessment: Assessment) -> dict[str, Any]:
    session = trained.extra["session"]
    return {
        "test": assessment.test,
        "validation": {**trained.metrics["validation"], "curve": session.validations},
        "evaluation": {"test": {"policy": "greedy", "seeds": assessment.test_seeds}},
        "baseline": {"test": {"kind": "random policy (actions sampled from the action space)", **assessment.baseline}},
        "diagnosis": [finding.to_dict() for finding in assessment.findings],
        "cost": assessment.cost,
        "time_to_target": _time_to_target(plan.recipe, session.validations),
    }


def save(plan, trained: Trained, assessment: Assessment, folder: Path) -> None:
    """TensorBoard's summaries (by environment step) and every network the agent keeps but its target copy."""
    steps = assessment.cost["environment_steps"]
    logs = folder / "logs"
    test_scalars = {key: value for key, value in assessment.test.items() if isinstance(value, float)}
    agent = plan.recipe.agent
    shown = {key: value for key, value in plan.hyperparameters.items() if key != "epochs"}
    shown.update(algorithm=agent.algorithm, total_steps=agent.total_steps, gamma=agent.gamma)
    write_run_summaries(logs, folder.name, plan.recipe.to_dict(), shown, test_scalars, steps)
    write_pictures(logs, assessment.pictures, {}, steps)
    for name, model in trained.extra["agent"].networks().items():
        if name != "target":
            # Saved without the optimizer, whose state (shared by PPO's two networks) only the backup needs.
            saved = keras.models.clone_model(model)
            saved.set_weights(model.get_weights())
            with atomic_path(folder / ("model.keras" if name == "policy" else f"{name}_model.keras")) as temporary:
                saved.save(temporary)


def finished(plan, assessment: Assessment) -> dict[str, Any]:
    return {"environment_steps": assessment.cost["environment_steps"], "episodes": assessment.cost["episodes"],
            "parameters": assessment.cost["parameters"], "output_layer": plan.output,
            "environment": plan.prepared.to_dict()}


def summary(plan, trained: Trained, assessment: Assessment, folder: Path) -> list[str]:
    test, baseline = assessment.test, assessment.baseline
    return ["", f"{plan.recipe.name}: test mean return {test['mean_return']:.1f} +- {test['std_return']:.1f} over "
            f"{plural(test['episodes'], 'greedy episode')} (random policy {baseline['mean_return']:.1f}); "
            f"{assessment.cost['environment_steps']:,} environment steps, "
            f"{plural(assessment.cost['episodes'], 'episode')}, {trained.seconds:.1f} s of training",
            f"Run folder: {folder}",
            f"  report.md, metrics.json, model.keras, history.csv (one row per episode), recipe.json "
            f"(make recipe NAME={folder}/recipe.json repeats this run), env.json, logs/"]




def trial_model(recipe: Recipe, prepared: environments.Description, chosen) -> keras.Model:
    """A search trial's policy network (engine.tune.search): what a run with the same values would build."""
    plan = Plan(recipe, {}, {}, prepared, chosen)
    build(plan)
    return plan.model


def trial_score(recipe: Recipe, model: keras.Model, prepared: environments.Description, chosen) -> dict[str, float]:
    """Train a search trial's agent as a run would, then score its kept network: the mean greedy return of
    `agent.evaluation_episodes` episodes on validation seeds (the test seeds stay unseen by the search)."""
    plan = Plan(recipe, {}, {}, prepared, chosen, model=model)
    settings = agents.settings_for(recipe.agent)
    agent = agents.make_agent(plan, settings)
    session = Session(plan, agent, None, lambda line: None, settings.validation_period, settings.validation_episodes)
    try:
        agent.learn(session)
        session.finish()
    finally:
        agent.close()
    seeds = evaluation.seeds(recipe.seed, "validation", recipe.agent.evaluation_episodes)
    returns = evaluation.run_episodes(agent.greedy, recipe.environment.id, recipe.environment.args, seeds)
    return {"mean_return": float(np.mean(returns))}


class Reinforcement(ReinforcementDeclaration):
    """An agent in a Gymnasium environment: no dataset, its own loop, assessment and record (this module). Its
    name, fields, the agents' settings and their ranges are declared in engine.learning.declarations."""

    def check(self, recipe: Recipe) -> None:
        check(recipe)

    def unreached(self, plan: Plan) -> list[tuple[str, str]]:
        return agents.unreached(plan.recipe.agent)

    def prepare(self, recipe: Recipe) -> environments.Description:
        return prepare(recipe)

    def build(self, plan: Plan) -> None:
        build(plan)

    def train(self, plan: Plan, folder: Path | None, resume, console, verbose: int) -> Trained:
        return train(plan, folder, resume, console, verbose)

    def assess(self, plan: Plan, trained: Trained, folder: Path) -> Assessment:
        return assess(plan, trained, folder)

    def metrics(self, plan: Plan, trained: Trained, assessment: Assessment) -> dict[str, Any]:
        return _metrics(plan, trained, assessment)

    def save(self, plan: Plan, trained: Trained, assessment: Assessment, folder: Path, metrics: dict) -> None:
        save(plan, trained, assessment, folder)

    def report(self, plan: Plan, trained: Trained, assessment: Assessment, metrics: dict, folder: Path, env: dict,
               sections: list[str]) -> str:
        return render(plan, trained, assessment, metrics, folder, env, sections)

    def finished(self, plan: Plan, trained: Trained, assessment: Assessment) -> dict[str, Any]:
        return finished(plan, assessment)

    def summary(self, plan: Plan, trained: Trained, assessment: Assessment, folder: Path, metrics: dict) -> list[str]:
        return summary(plan, trained, assessment, folder)

    def resume_line(self, epochs_done: int) -> str:
        return "the agent continues from its last backup."

    def progress(self, recipe: dict, env: dict, history_rows) -> dict[str, str]:
        """Environment steps of the budget: env.json's count once finished, else the last episode's."""
        steps = env.get("environment_steps")
        if steps is None:
            rows = history_rows()
            steps = int(rows[-1]["steps"]) if rows and "steps" in rows[-1] else None
        budget = (recipe.get("agent") or {}).get("total_steps")
        return {"environment steps": "/".join(f"{value:,}" if isinstance(value, int) else "?"
                                              for value in (steps, budget))}

    def objectives(self, logged: list[str]) -> list[str]:
        return ["mean_return"]  # an agent is searched on its greedy return on validation seeds

    def trial_model(self, recipe: Recipe, prepared: environments.Description, chosen) -> keras.Model:
        return trial_model(recipe, prepared, chosen)

    def trial_fit(self, recipe: Recipe, model: keras.Model, prepared: environments.Description, chosen,
                  callbacks: list, epochs: int, initial_epoch: int) -> dict[str, float]:
        return trial_score(recipe, model, prepared, chosen)
