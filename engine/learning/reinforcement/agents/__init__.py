"""The agents, one readable module per algorithm in the spirit of CleanRL, sharing agents.base:

- `dqn`: a Q network, a replay buffer, a target network and an epsilon-greedy exploration schedule.
- `ppo`: an on-policy actor-critic with a clipped objective and generalized advantage estimation.

Each module offers `Settings` (its `agent.args`, every field with its default and reason, declared in
engine.learning.declarations so that `make show` reads them without TensorFlow), `unreached(settings,
total_steps)` (the phases a budget never reaches), `build(plan, settings)` (the policy network, from the
recipe's model) and its agent class, whose `learn(session)` is the algorithm's loop
(engine.learning.reinforcement.session runs what is around it).
"""

from __future__ import annotations

from types import ModuleType

from engine.errors import RecipeError, suggestion
from engine.learning.declarations import agent_setting_defaults
from engine.learning.reinforcement.agents import dqn, ppo

ALGORITHMS: dict[str, tuple[ModuleType, type]] = {"dqn": (dqn, dqn.DQN), "ppo": (ppo, ppo.PPO)}


def module_of(algorithm: str) -> ModuleType:
    """The module of an algorithm by its name, or a RecipeError naming the closest."""
    if algorithm not in ALGORITHMS:
        raise RecipeError(f"`agent.algorithm` must be one of {', '.join(ALGORITHMS)}. Received: {algorithm!r}. "
                          f"{suggestion(str(algorithm), ALGORITHMS)}")
    return ALGORITHMS[algorithm][0]


def setting_defaults(algorithm: str) -> dict:
    """Every setting an algorithm takes in `agent.args`, with its default (for overrides of keys not yet set)."""
    return agent_setting_defaults(algorithm)


def settings_for(agent) -> object:
    """The algorithm's `Settings` from `agent.args`, refusing a setting it does not take."""
    module = module_of(agent.algorithm)
    known = setting_defaults(agent.algorithm)
    for key in agent.args:
        if key not in known:
            raise RecipeError(f"Unknown setting `agent.args.{key}` for {agent.algorithm}. {suggestion(key, known)} "
                              f"{agent.algorithm}'s settings: {', '.join(known)}.")
    return module.Settings(**agent.args)


def unreached(agent) -> list[tuple[str, str]]:
    """The phases of the algorithm that the budget `agent.total_steps` never reaches (Learning.unreached)."""
    return module_of(agent.algorithm).unreached(settings_for(agent), agent.total_steps)


def make_agent(plan, settings):
    """The agent of the plan's algorithm, around the plan's built policy network."""
    return ALGORITHMS[plan.recipe.agent.algorithm][1](plan, settings)
