"""The replay buffer of off-policy agents (DQN): the last `capacity` transitions, sampled uniformly.

Stored as NumPy arrays in a ring, as Stable-Baselines3's `ReplayBuffer` does, so that a whole batch of
batches is one fancy-indexing call, and saved whole with the agent's backup
(engine.learning.reinforcement.checkpoint), so a resumed run samples from exactly what it had seen.
"""

from __future__ import annotations

import numpy as np


class ReplayBuffer:
    """Transitions (observation, action, reward, next observation, terminated) in a ring of `capacity`.

    `terminated` is true only when the episode ended inside the task (the pole fell), not when a time
    limit cut it short: a truncated transition still bootstraps from the next observation's value.
    """

    FIELDS = ("observations", "actions", "rewards", "next_observations", "terminated")

    def __init__(self, capacity: int, observation_shape: tuple[int, ...]):
        self.capacity = capacity
        self.observations = np.zeros((capacity, *observation_shape), np.float32)
        self.next_observations = np.zeros((capacity, *observation_shape), np.float32)
        self.actions = np.zeros(capacity, np.int32)
        self.rewards = np.zeros(capacity, np.float32)
        self.terminated = np.zeros(capacity, np.float32)
        self.position = 0  # where the next transition goes
        self.size = 0

    def add(self, observation, action: int, reward: float, next_observation, terminated: bool) -> None:
        index = self.position
        self.observations[index] = observation
        self.actions[index] = action
        self.rewards[index] = reward
        self.next_observations[index] = next_observation
        self.terminated[index] = terminated
        self.position = (index + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, rng: np.random.Generator, batches: int, batch_size: int) -> tuple[np.ndarray, ...]:
        """`batches` batches of `batch_size` transitions drawn uniformly; each field is [batches, batch_size, ...]."""
        indices = rng.integers(0, self.size, size=(batches, batch_size))
        return tuple(getattr(self, name)[indices] for name in self.FIELDS)
