"""PPO (Schulman et al., 2017): an on-policy actor-critic with a clipped surrogate objective.

The loop, as in CleanRL's ppo.py: `environments` copies of the environment step side by side for
`rollout_steps` steps, sampling actions from the policy network's softmax; advantages come from
generalized advantage estimation (`gae_lambda`) on the value network's estimates (an episode cut by a
time limit bootstraps from the value of its last observation, as Stable-Baselines3 does); then
`update_epochs` passes over the rollout in shuffled minibatches of `batch_size` minimize

    -min(ratio * A, clip(ratio, 1 - clip_range, 1 + clip_range) * A) + value_coefficient * (V - R)^2 / 2
    - entropy_coefficient * entropy

with advantages normalized per minibatch and gradients clipped to `max_grad_norm`. With `anneal`, the
learning rate and the clip range fall linearly to 0 over the budget (RL Zoo's `lin_` schedules). The
policy network is the recipe's model (model.keras); the value network is a second copy of the same
architecture with one output (value_model.keras). All the minibatch steps of one update run in one
compiled call.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from engine.learning.declarations import PPOSettings as Settings  # its `agent.args`, each with its reason
from engine.learning.reinforcement.agents.base import Agent, network

# What a rollout keeps of each step.
ROLLOUT = ("observations", "actions", "log_probabilities", "values", "rewards", "dones")


# A collapse's remedy (engine.report.returns): PPO steadies its updates by letting each move the policy less.
STEADIER = "narrow the clip range (agent.args.clip_range) or take fewer passes per rollout (agent.args.update_epochs)"


def unreached(settings: Settings, total_steps: int) -> list[tuple[str, str]]:
    """What a budget of `total_steps` never reaches: the first rollout, hence any update."""
    rollout = settings.environments * settings.rollout_steps
    if rollout <= total_steps:
        return []
    return [(f"one rollout takes agent.args.environments x agent.args.rollout_steps = {rollout:,} steps and the "
             f"budget is agent.total_steps={total_steps:,}, so no rollout is collected and the policy never learns",
             f"agent.total_steps of several rollouts ({10 * rollout:,} or more), or fewer environments or rollout "
             "steps")]


def build(plan, settings: Settings) -> keras.Model:
    """The policy network: the recipe's model from observations to one logit per action."""
    return network(plan.recipe, plan.prepared.observation_shape, plan.prepared.actions)


class PPO(Agent):
    def __init__(self, plan, settings: Settings):
        super().__init__(plan, settings, settings.environments)
        self.value = network(plan.recipe, self.description.observation_shape, 1)
        self.optimizer.build(self.trainable_variables())
        self.initial_learning_rate = float(keras.ops.convert_to_numpy(self.optimizer.learning_rate))
        self.figures = {"policy_loss": math.nan, "value_loss": math.nan, "entropy": math.nan}
        signature = [tf.TensorSpec([None, *self.description.observation_shape], tf.float32)]
        self._act = tf.function(self._logits_and_values, input_signature=signature)
        self._update = tf.function(self._minibatch_steps, reduce_retracing=True)

    def networks(self) -> dict[str, keras.Model]:
        return {"policy": self.policy, "value": self.value}

    def _logits_and_values(self, observations):
        return self.policy(observations, training=False), self.value(observations, training=False)[:, 0]

    def learn(self, session) -> None:
        count = self.settings.environments
        self.observations = np.stack([self.reset(index) for index in range(count)])
        self.returns, self.lengths = np.zeros(count), np.zeros(count, np.int64)
        # Whole rollouts only, and never past the budget: 100,000 steps in rollouts of 256 make 99,840.
        while session.total_steps - session.steps >= count * self.settings.rollout_steps:
            self._anneal(session.steps)
            self._optimize(self._collect(session))
            session.may_back_up()  # between rollouts; the episodes under way start over if the run resumes

    def _collect(self, session) -> dict[str, np.ndarray]:
        """One rollout: `rollout_steps` steps of every environment, as arrays shaped [steps, environments, ...]."""
        rollout: dict[str, list] = {name: [] for name in ROLLOUT}
        for _ in range(self.settings.rollout_steps):
            observations = self.observations.copy()
            logits, values = (tensor.numpy() for tensor in self._act(observations))
            actions, log_probabilities = self._sample(logits)
            rewards, dones = self._step(actions, session)
            for name, value in zip(ROLLOUT, (observations, actions, log_probabilities, values, rewards, dones),
                                   strict=True):
                rollout[name].append(value)
        stacked = {name: np.stack(values) for name, values in rollout.items()}
        stacked["last_values"] = self._act(self.observations)[1].numpy()
        return stacked

    def _step(self, actions: np.ndarray, session) -> tuple[np.ndarray, np.ndarray]:
        """Step every environment once; episodes that end are counted and their environment starts a new one."""
        count = len(self.environments)
        rewards, dones, ended, cut = np.zeros(count, np.float32), np.zeros(count, np.float32), [], []
        for index, env in enumerate(self.environments):
            observation, reward, terminated, truncated, _ = env.step(int(actions[index]))
            rewards[index] = reward
            self.returns[index] += reward
            self.lengths[index] += 1
            if terminated or truncated:
                if truncated and not terminated:
                    cut.append((index, np.asarray(observation, np.float32)))
                ended.append((float(self.returns[index]), int(self.lengths[index])))
                self.returns[index], self.lengths[index], dones[index] = 0.0, 0, 1.0
                observation = self.reset(index)
            self.observations[index] = observation
        if cut:  # a time limit is not the end of the task: bootstrap from the value of where it stopped
            values = self._act(np.stack([observation for _, observation in cut]))[1].numpy()
            for (index, _), value in zip(cut, values, strict=True):
                rewards[index] += self.gamma * value
        session.stepped(count)
        for episode_return, length in ended:
            session.episode_ended(episode_return, length, self.figures)
        return rewards, dones

    def _sample(self, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Actions drawn from the softmax of `logits` with the agent's generator, and their log-probabilities."""
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        cumulative = np.exp(log_probabilities).cumsum(axis=1)
        draws = self.rng.random(len(logits))[:, None]
        actions = np.minimum((draws > cumulative).sum(axis=1), logits.shape[1] - 1)
        return actions.astype(np.int32), log_probabilities[np.arange(len(actions)), actions]

    def _advantages(self, rollout: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Generalized advantage estimates and the returns the value network learns, shaped [steps, environments]."""
        rewards, values, dones = rollout["rewards"], rollout["values"], rollout["dones"]
        advantages = np.zeros_like(rewards)
        running, next_values = np.zeros(rewards.shape[1], np.float32), rollout["last_values"]
        for step in reversed(range(len(rewards))):
            going = 1.0 - dones[step]  # the episode went on after this step
            delta = rewards[step] + self.gamma * next_values * going - values[step]
            running = delta + self.gamma * self.settings.gae_lambda * going * running
            advantages[step] = running
            next_values = values[step]
        return advantages, advantages + values

    def _optimize(self, rollout: dict[str, np.ndarray]) -> None:
        advantages, returns = self._advantages(rollout)
        size = advantages.size
        batch = min(self.recipe.batch_size, size)
        per_epoch = size // batch
        order = np.concatenate([self.rng.permutation(size)[:per_epoch * batch].reshape(per_epoch, batch)
                                for _ in range(self.settings.update_epochs)])
        columns = [rollout["observations"], rollout["actions"], rollout["log_probabilities"], advantages, returns]
        batches = [tf.convert_to_tensor(column.reshape(size, *column.shape[2:])[order]) for column in columns]
        figures = self._update(*batches, tf.constant(self.clip_range, tf.float32))
        self.figures = dict(zip(self.figures, (float(value) for value in figures), strict=True))

    def _minibatch_steps(self, observations, actions, old_log_probabilities, advantages, returns, clip_range):
        """One gradient step per minibatch; the policy loss, value loss and entropy of the last."""
        policy_loss = value_loss = entropy = tf.constant(0.0)
        for index in tf.range(tf.shape(observations)[0]):
            advantage = advantages[index]
            advantage = (advantage - tf.reduce_mean(advantage)) / (tf.math.reduce_std(advantage) + 1e-8)
            with tf.GradientTape() as tape:
                log_probabilities = tf.nn.log_softmax(self.policy(observations[index], training=True))
                chosen = tf.gather(log_probabilities, actions[index], batch_dims=1)
                ratio = tf.exp(chosen - old_log_probabilities[index])
                clipped = tf.clip_by_value(ratio, 1.0 - clip_range, 1.0 + clip_range)
                policy_loss = -tf.reduce_mean(tf.minimum(ratio * advantage, clipped * advantage))
                values = self.value(observations[index], training=True)[:, 0]
                value_loss = 0.5 * tf.reduce_mean(tf.square(returns[index] - values))
                entropy = -tf.reduce_mean(tf.reduce_sum(tf.exp(log_probabilities) * log_probabilities, axis=1))
                loss = policy_loss + self.settings.value_coefficient * value_loss \
                    - self.settings.entropy_coefficient * entropy
            variables = self.trainable_variables()
            gradients = tape.gradient(loss, variables)
            if self.settings.max_grad_norm is not None:
                gradients, _ = tf.clip_by_global_norm(gradients, self.settings.max_grad_norm)
            self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
        return policy_loss, value_loss, entropy

    def _anneal(self, steps: int) -> None:
        """With `anneal`, the learning rate and clip range fall linearly from their settings to 0 over the budget."""
        remaining = 1.0 - steps / self.recipe.agent.total_steps if self.settings.anneal else 1.0
        self.clip_range = self.settings.clip_range * remaining
        if self.settings.anneal:
            self.optimizer.learning_rate = self.initial_learning_rate * remaining

    def state(self) -> dict[str, Any]:
        return {**super().state(), "figures": self.figures}

    def restore(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        super().restore(state, arrays)
        self.figures = {key: math.nan if value is None else value for key, value in state["figures"].items()}
