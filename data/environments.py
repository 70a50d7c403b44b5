"""Gymnasium environments: where a reinforcement recipe's experience comes from, as a source is a dataset's.

    description = data.environments.check("CartPole-v1", {})     # refuses what cannot be made, with close matches
    environment = data.environments.make("CartPole-v1", {}, seed=42)

An environment stands in for the dataset of the supervised kind: a reinforcement recipe declares one where a
supervised recipe declares its data. So it is made here, in the room that says where data comes from, and
engine/ only asks for one by name.
Gymnasium's classic-control environments (CartPole-v1, Acrobot-v1, MountainCar-v0, Pendulum-v1, ...)
need no system library; others (Box2D, MuJoCo, Atari) need packages of their own and are refused with
Gymnasium's own advice when those are missing.

Seeds: `make(..., seed=s)` seeds the environment's first reset and its action space with `s`; later
resets continue the environment's own generator, as Gymnasium intends.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import gymnasium
import numpy as np

from common.errors import suggestion
from data.errors import DataError

# Every environment here installs with gymnasium alone and needs no display.
CLASSIC_CONTROL = ("Acrobot-v1", "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1")


@dataclass(frozen=True)
class Description:
    """What an agent must know about an environment before it builds its network."""

    id: str
    observation_shape: tuple[int, ...]
    actions: int | None  # the number of discrete actions; None for a continuous action space
    action_space: str  # Gymnasium's own description, e.g. "Discrete(2)" or "Box(-2.0, 2.0, (1,), float32)"
    reward_threshold: float | None  # the return at which Gymnasium counts the task solved
    max_episode_steps: int | None

    @property
    def discrete(self) -> bool:
        return self.actions is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def registered() -> list[str]:
    """Every environment id Gymnasium knows (some need packages of their own)."""
    return sorted(gymnasium.registry)


def make(environment_id: str, args: dict | None = None, seed: int | None = None,
         render_mode: str | None = None) -> gymnasium.Env:
    """A new environment; with `seed`, its first reset and its action space are seeded with it."""
    check_id(environment_id)
    arguments = dict(args or {})
    if render_mode is not None:
        arguments["render_mode"] = render_mode
    try:
        environment = gymnasium.make(environment_id, **arguments)
    except gymnasium.error.DependencyNotInstalled as error:
        raise DataError(f"The environment {environment_id!r} needs a package that is not installed: {error}") \
            from None
    except (TypeError, ValueError, gymnasium.error.Error) as error:
        raise DataError(f"gymnasium.make({environment_id!r}, **{arguments!r}) refused its arguments: {error}. "
                        "Check `environment.args` against the environment's documentation.") from None
    if seed is not None:
        environment.reset(seed=seed)
        environment.action_space.seed(seed)
    return environment


def check_id(environment_id: str) -> None:
    """Refuse an id Gymnasium does not know, naming the closest ones."""
    if not isinstance(environment_id, str) or environment_id not in gymnasium.registry:
        raise DataError(f"No Gymnasium environment named {environment_id!r}. "
                        f"{suggestion(str(environment_id), registered())} Environments that need nothing but "
                        f"gymnasium: {', '.join(CLASSIC_CONTROL)}.")


def check(environment_id: str, args: dict | None = None) -> Description:
    """Make the environment once to read its spaces, and reset and step it once, so that an unknown id, bad
    arguments, a missing package or arguments that fail only once the environment runs (a render mode that
    needs a display library) are refused before a run starts."""
    environment = make(environment_id, args)
    try:
        description = describe(environment, environment_id)
        try:
            environment.reset(seed=0)
            environment.step(environment.action_space.sample())
        except gymnasium.error.DependencyNotInstalled as error:
            raise DataError(f"The environment {environment_id!r} with `environment.args` {dict(args or {})!r} needs "
                            f"a package that is not installed once it runs: {error}") from None
        except Exception as error:  # noqa: BLE001  (whatever the environment's own code raises)
            raise DataError(f"The environment {environment_id!r} with `environment.args` {dict(args or {})!r} fails "
                            f"at its first reset or step: {type(error).__name__}: {error}. Check `environment.args` "
                            "against the environment's documentation.") from None
        return description
    finally:
        environment.close()


def describe(environment: gymnasium.Env, environment_id: str) -> Description:
    observation, action = environment.observation_space, environment.action_space
    if not isinstance(observation, gymnasium.spaces.Box):
        raise DataError(f"{environment_id!r} observes {observation}; the agents here read vectors of numbers "
                        "(a Box observation space). Choose an environment with one, e.g. CartPole-v1.")
    spec = environment.spec
    return Description(
        id=environment_id,
        observation_shape=tuple(int(size) for size in observation.shape),
        actions=int(action.n) if isinstance(action, gymnasium.spaces.Discrete) else None,
        action_space=str(action),
        reward_threshold=None if spec is None or spec.reward_threshold is None else float(spec.reward_threshold),
        max_episode_steps=None if spec is None else spec.max_episode_steps,
    )


def random_state(environment: gymnasium.Env) -> dict[str, Any]:
    """The environment's and its action space's random generator states, as JSON-ready data (for backups)."""
    return {"environment": _plain(environment.unwrapped.np_random.bit_generator.state),
            "action_space": _plain(environment.action_space.np_random.bit_generator.state)}


def restore_random_state(environment: gymnasium.Env, state: dict[str, Any]) -> None:
    """Put back what `random_state` gave: later resets and samples continue as they would have."""
    environment.unwrapped.np_random.bit_generator.state = state["environment"]
    environment.action_space.np_random.bit_generator.state = state["action_space"]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    return value
