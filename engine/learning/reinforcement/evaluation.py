"""Scoring a policy: greedy episodes on seeds that training never used, and the random policy beside it.

Three streams of seeds come from the recipe's seed, each its own `numpy.random.SeedSequence`: the
training environments', the validation episodes' (scored during training to keep the best network)
and the test episodes' (scored once, at the end, for metrics.json). `seeds` keeps each stream apart
from the ones before it, so a test episode never starts where a training or validation one did.

All episodes of one evaluation run side by side: every step asks the compiled policy for the actions
of all the episodes still going, in one call, so 100 CartPole episodes of 500 steps cost 500 calls.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from data import environments

STREAMS = ("training", "validation", "test", "agent")
# Seeds each stream may give; a stream's first seeds are the same whatever the count asked for.
STREAM_LENGTH = 1000
# An environment without a time limit still ends its evaluation episodes after this many steps.
LONGEST_EPISODE = 10_000


def seeds(seed: int, stream: str, count: int) -> list[int]:
    """`count` seeds of one stream, none of them a seed of an earlier stream in STREAMS."""
    if count > STREAM_LENGTH:
        raise ValueError(f"A stream holds at most {STREAM_LENGTH} seeds; {count} were asked for.")
    taken: set[int] = set()
    for earlier in STREAMS[:STREAMS.index(stream)]:
        taken.update(_draw(seed, earlier, STREAM_LENGTH))
    return [value for value in _draw(seed, stream, count + len(taken)) if value not in taken][:count]


def _draw(seed: int, stream: str, count: int) -> list[int]:
    state = np.random.SeedSequence([seed, STREAMS.index(stream)]).generate_state(count)
    return [int(value) & 0x7FFFFFFF for value in state]


def agent_rng(seed: int) -> np.random.Generator:
    """The generator of the agent's own choices (exploration, sampling, replay), apart from the environments'."""
    return np.random.default_rng(np.random.SeedSequence([seed, STREAMS.index("agent")]))


def run_episodes(choose: Callable[[np.ndarray], np.ndarray] | None, environment_id: str, args: dict,
                 episode_seeds: list[int]) -> np.ndarray:
    """The return of one episode per seed, acting with `choose` (observations -> actions) or, when it is None,
    with actions sampled from the action space (seeded with the episode's seed): the random policy."""
    envs = [environments.make(environment_id, args) for _ in episode_seeds]
    observations = [env.reset(seed=seed)[0] for env, seed in zip(envs, episode_seeds, strict=True)]
    for env, seed in zip(envs, episode_seeds, strict=True):
        env.action_space.seed(seed)
    returns = np.zeros(len(envs))
    going = list(range(len(envs)))
    limit = (envs[0].spec.max_episode_steps if envs[0].spec else None) or LONGEST_EPISODE
    for _ in range(limit):
        if not going:
            break
        actions = choose(np.stack([observations[index] for index in going]).astype(np.float32)) \
            if choose is not None else [envs[index].action_space.sample() for index in going]
        still = []
        for index, action in zip(going, actions, strict=True):
            observations[index], reward, terminated, truncated, _ = envs[index].step(_action(action))
            returns[index] += reward
            if not (terminated or truncated):
                still.append(index)
        going = still
    for env in envs:
        env.close()
    return returns


def _action(action):
    return int(action) if np.ndim(action) == 0 else action


def summary(returns: np.ndarray) -> dict[str, float]:
    """Mean, spread and extremes of a set of episode returns."""
    return {"mean_return": float(np.mean(returns)), "std_return": float(np.std(returns)),
            "min_return": float(np.min(returns)), "max_return": float(np.max(returns)), "episodes": len(returns)}
