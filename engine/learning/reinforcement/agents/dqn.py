"""DQN (Mnih et al., 2015): a Q network learned from a replay buffer against a slowly following target network.

The loop, as in CleanRL's dqn.py: act epsilon-greedily (epsilon falls linearly from
`exploration_initial` to `exploration_final` over the first `exploration_fraction` of the budget),
store each transition, and every `train_frequency` steps take `gradient_steps` gradient steps on
batches drawn uniformly from the buffer, each towards r + gamma * max_a' Q_target(s', a') (the max is 0
after a terminal state, not after a time limit). Every `target_update_period` steps the target network
moves to tau * Q + (1 - tau) * target (tau=1: a copy). The TD error is scored with the Huber loss, as
Stable-Baselines3 does. Action selection and the gradient steps are compiled (`tf.function`): all the
gradient steps of one round run in one call.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from engine.learning.declarations import DQNSettings as Settings  # its `agent.args`, each with its reason
from engine.learning.reinforcement.agents.base import Agent, network
from engine.learning.reinforcement.replay import ReplayBuffer

# A collapse's remedy (engine.report.returns): DQN steadies its updates by moving its target network less often.
STEADIER = "update the target network less often (agent.args.target_update_period) or more gently (agent.args.tau)"


def linear_schedule(start: float, end: float, duration: float, step: int) -> float:
    """From `start` at step 0 to `end` at `duration` steps, then `end`."""
    return end if duration <= 0 else max(end, start + (end - start) * step / duration)


def unreached(settings: Settings, total_steps: int) -> list[tuple[str, str]]:
    """What a budget of `total_steps` never reaches: the first gradient step, the first target network update."""
    found = []
    if settings.learning_starts >= total_steps:
        found.append((f"DQN takes its first gradient step after agent.args.learning_starts="
                      f"{settings.learning_starts:,} steps and the budget is agent.total_steps={total_steps:,}, so the "
                      "Q network never learns",
                      f"agent.total_steps above {settings.learning_starts:,}, or a lower agent.args.learning_starts"))
    elif settings.target_update_period > total_steps:
        found.append((f"the target network is first updated after agent.args.target_update_period="
                      f"{settings.target_update_period:,} steps and the budget is agent.total_steps={total_steps:,}, "
                      "so the Q network learns against a copy of its starting weights throughout",
                      f"agent.args.target_update_period well below {total_steps:,} (the default is 1,000)"))
    return found


def build(plan, settings: Settings) -> keras.Model:
    """The Q network: the recipe's model from observations to one value per action."""
    return network(plan.recipe, plan.prepared.observation_shape, plan.prepared.actions)


class DQN(Agent):
    def __init__(self, plan, settings: Settings):
        super().__init__(plan, settings)
        self.target = keras.models.clone_model(self.policy)
        self.target.set_weights(self.policy.get_weights())
        self.optimizer.build(self.policy.trainable_variables)
        self.buffer = ReplayBuffer(settings.buffer_size, self.description.observation_shape)
        self.batch_size = plan.recipe.batch_size
        self.loss = self.q_mean = math.nan
        self._train = tf.function(self._gradient_steps, reduce_retracing=True)
        self._update_target = tf.function(self._move_target)

    def networks(self) -> dict[str, keras.Model]:
        return {"policy": self.policy, "target": self.target}

    def exploration_rate(self, step: int) -> float:
        settings = self.settings
        return linear_schedule(settings.exploration_initial, settings.exploration_final,
                               settings.exploration_fraction * self.recipe.agent.total_steps, step)

    def learn(self, session) -> None:
        settings, env = self.settings, self.environments[0]
        observation, episode_return, length = self.reset(), 0.0, 0
        while not session.done:
            epsilon = self.exploration_rate(session.steps)
            if self.rng.random() < epsilon:
                action = int(env.action_space.sample())
            else:
                action = int(self.greedy(observation[None])[0])
            next_observation, reward, terminated, truncated, _ = env.step(action)
            next_observation = np.asarray(next_observation, np.float32)
            self.buffer.add(observation, action, reward, next_observation, terminated)
            observation, episode_return, length = next_observation, episode_return + float(reward), length + 1
            session.stepped()
            if session.steps > settings.learning_starts and session.steps % settings.train_frequency == 0:
                self.train()
            if session.steps % settings.target_update_period == 0:
                self._update_target(tf.constant(settings.tau, tf.float32))
            if terminated or truncated:
                session.episode_ended(episode_return, length,
                                      {"loss": self.loss, "q_mean": self.q_mean, "exploration_rate": epsilon})
                session.may_back_up()  # between episodes: the environment holds nothing but its generator
                observation, episode_return, length = self.reset(), 0.0, 0

    def train(self) -> None:
        batches = self.buffer.sample(self.rng, self.settings.gradient_steps, self.batch_size)
        loss, q_mean = self._train(*(tf.convert_to_tensor(batch) for batch in batches))
        self.loss, self.q_mean = float(loss), float(q_mean)

    def _gradient_steps(self, observations, actions, rewards, next_observations, terminated):
        """One gradient step per leading index of the batches; the mean loss and Q value of the last."""
        loss, q_mean = tf.constant(0.0), tf.constant(0.0)
        for index in tf.range(tf.shape(observations)[0]):
            next_values = tf.reduce_max(self.target(next_observations[index], training=False), axis=1)
            targets = rewards[index] + self.gamma * (1.0 - terminated[index]) * next_values
            with tf.GradientTape() as tape:
                values = self.policy(observations[index], training=True)
                chosen = tf.gather(values, actions[index], batch_dims=1)
                loss = tf.reduce_mean(_huber(tf.stop_gradient(targets) - chosen))
            gradients = tape.gradient(loss, self.policy.trainable_variables)
            if self.settings.max_grad_norm is not None:
                gradients, _ = tf.clip_by_global_norm(gradients, self.settings.max_grad_norm)
            self.optimizer.apply_gradients(zip(gradients, self.policy.trainable_variables, strict=True))
            q_mean = tf.reduce_mean(chosen)
        return loss, q_mean

    def _move_target(self, tau):
        for target, source in zip(self.target.weights, self.policy.weights, strict=True):
            target.assign(tau * source + (1.0 - tau) * target)

    def arrays(self) -> dict[str, np.ndarray]:
        found = super().arrays()
        found.update({f"replay/{name}": getattr(self.buffer, name)[:self.buffer.size] for name in ReplayBuffer.FIELDS})
        return found

    def state(self) -> dict[str, Any]:
        return {**super().state(), "replay": {"position": self.buffer.position, "size": self.buffer.size},
                "loss": self.loss, "q_mean": self.q_mean}

    def restore(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        super().restore(state, arrays)
        self.buffer.position, self.buffer.size = state["replay"]["position"], state["replay"]["size"]
        for name in ReplayBuffer.FIELDS:
            getattr(self.buffer, name)[:self.buffer.size] = arrays[f"replay/{name}"]
        self.loss, self.q_mean = (math.nan if state[key] is None else state[key] for key in ("loss", "q_mean"))


def _huber(error: tf.Tensor, delta: float = 1.0) -> tf.Tensor:
    absolute = tf.abs(error)
    return tf.where(absolute <= delta, 0.5 * tf.square(error), delta * (absolute - 0.5 * delta))
