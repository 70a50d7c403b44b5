"""What every agent shares: its networks from the zoo, compiled greedy actions, seeded environments, and
its state as arrays and JSON for backups. Each algorithm's module adds its settings and its loop."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

import zoo
from common.signatures import keep_accepted
from data import environments
from engine.learning.reinforcement import checkpoint, evaluation
from engine.recipe.schema import Recipe, load_builder


def network(recipe: Recipe, observation_shape: tuple[int, ...], units: int) -> keras.Model:
    """The recipe's model (a zoo name or a builder) from observations to `units` linear outputs."""
    spec = recipe.model
    arguments = {**spec.args, "output_activation": "linear"}
    if spec.name:
        return zoo.create(spec.name, observation_shape, units, **arguments)
    builder = load_builder(spec.builder)
    return builder(**keep_accepted(builder, {"input_shape": observation_shape, "num_classes": units, **arguments}))


class Agent:
    """The parts of an agent every algorithm has; subclasses set `networks()` and write `learn(session)`.

    `policy` (the recipe's model, what model.keras saves) chooses actions: the greedy action is the
    one with the highest output, a Q value for DQN, a logit for PPO. Every random choice the agent
    makes comes from `rng`; each environment is seeded once, at its first reset, from the training seeds.
    """

    def __init__(self, plan, settings, environment_count: int = 1):
        recipe = plan.recipe
        self.recipe, self.settings, self.description = recipe, settings, plan.prepared
        self.gamma = recipe.agent.gamma
        self.policy: keras.Model = plan.model
        self.optimizer = plan.model.optimizer
        self.rng = evaluation.agent_rng(recipe.seed)
        self.environments = [environments.make(recipe.environment.id, recipe.environment.args)
                             for _ in range(environment_count)]
        self.training_seeds = evaluation.seeds(recipe.seed, "training", environment_count)
        self.started = [False] * environment_count
        signature = [tf.TensorSpec([None, *self.description.observation_shape], tf.float32)]
        self._greedy = tf.function(self._greedy_actions, input_signature=signature)

    def _greedy_actions(self, observations: tf.Tensor) -> tf.Tensor:
        return tf.argmax(self.policy(observations, training=False), axis=1, output_type=tf.int32)

    def greedy(self, observations: np.ndarray) -> np.ndarray:
        """The greedy actions for a batch of observations, from one compiled call."""
        return self._greedy(tf.convert_to_tensor(observations, tf.float32)).numpy()

    def reset(self, index: int = 0) -> np.ndarray:
        """Start a new episode in environment `index`: its first reset is seeded, later ones continue its generator."""
        env = self.environments[index]
        if self.started[index]:
            return np.asarray(env.reset()[0], np.float32)
        self.started[index] = True
        env.action_space.seed(self.training_seeds[index])
        return np.asarray(env.reset(seed=self.training_seeds[index])[0], np.float32)

    def networks(self) -> dict[str, keras.Model]:
        return {"policy": self.policy}

    def trainable_variables(self) -> list:
        return [variable for model in self.networks().values() for variable in model.trainable_variables
                if model is not getattr(self, "target", None)]

    def policy_weights(self) -> list[np.ndarray]:
        return self.policy.get_weights()

    def set_policy_weights(self, weights: list[np.ndarray]) -> None:
        self.policy.set_weights(weights)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array a resumed run needs: each network's weights and the optimizer's variables."""
        found = {}
        for name, model in self.networks().items():
            found.update(checkpoint.weights_to_arrays(name, model.weights))
        found.update(checkpoint.weights_to_arrays("optimizer", self.optimizer.variables))
        return found

    def state(self) -> dict[str, Any]:
        """The JSON-ready part of a backup: random generators' states and which environments have started."""
        return {"rng": self.rng.bit_generator.state, "started": self.started,
                "environments": [environments.random_state(env) for env in self.environments]}

    def restore(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        for name, model in self.networks().items():
            checkpoint.assign(model.weights, checkpoint.arrays_to_weights(name, arrays))
        checkpoint.assign(self.optimizer.variables, checkpoint.arrays_to_weights("optimizer", arrays))
        self.rng.bit_generator.state = state["rng"]
        self.started = list(state["started"])
        for env, saved in zip(self.environments, state["environments"], strict=True):
            environments.restore_random_state(env, saved)

    def close(self) -> None:
        for env in self.environments:
            env.close()
