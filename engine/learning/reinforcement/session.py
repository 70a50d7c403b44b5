"""The run around an agent's loop, the same for every algorithm (Stable-Baselines3 keeps this in its base class).

An agent's `learn(session)` steps its environments and tells the session what happened:
`session.stepped(n)` after n environment steps, `session.episode_ended(return, length, figures)` when
an episode ends, `session.may_back_up(agent)` where its state is whole (DQN: between episodes; PPO:
between rollouts). The session counts steps against the budget, scores the greedy policy on the
validation seeds every `validation_period` steps and keeps the network that scored best (as
EarlyStopping's restore_best_weights does in supervised runs), and backs the agent up every
`backup_interval` seconds (engine.learning.reinforcement.checkpoint).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from engine.learning.reinforcement import checkpoint, evaluation
from engine.learning.reinforcement.episodes import EpisodeLog, read_rows
from engine.report.tensorboard_logs import write_scalars

# Console lines during training: one every this many seconds at most, besides one per validation.
CONSOLE_PERIOD = 5.0


class Session:
    """Counters, episodes, validation and backups for one agent's training."""

    def __init__(self, plan, agent, folder: Path | None, console, validation_period: int, validation_episodes: int):
        recipe = plan.recipe
        self.agent, self.folder, self.console = agent, folder, console
        self.environment = (recipe.environment.id, recipe.environment.args)
        self.total_steps = recipe.agent.total_steps
        self.backup_interval = recipe.backup_interval
        self.validation_period = validation_period
        self.validation_seeds = evaluation.seeds(recipe.seed, "validation", validation_episodes)
        self.steps = 0
        self.episodes = EpisodeLog(folder)
        self.validations: list[dict[str, float]] = []
        self.best: dict[str, Any] | None = None  # steps and mean return of the best validation, and its weights
        self.seconds_before = 0.0  # training time of the runs this one resumes
        self.started = time.perf_counter()
        self._backed_up_at: float | None = None
        self._said_at = time.monotonic()
        self._writer = None  # TensorBoard's logs/validation, opened at the first backup
        self._written_validations = 0

    @property
    def done(self) -> bool:
        return self.steps >= self.total_steps

    @property
    def seconds(self) -> float:
        return self.seconds_before + time.perf_counter() - self.started

    def stepped(self, count: int = 1) -> None:
        before, self.steps = self.steps, self.steps + count
        if self.validation_period and before // self.validation_period < self.steps // self.validation_period:
            self.validate()

    def episode_ended(self, episode_return: float, length: int, figures: dict[str, float]) -> None:
        self.episodes.add(self.steps, episode_return, length, figures)
        if time.monotonic() - self._said_at >= CONSOLE_PERIOD:
            self._said_at = time.monotonic()
            best = f", best validation {self.best['mean_return']:.1f}" if self.best else ""
            self.console(f"  step {self.steps:,}/{self.total_steps:,}: {self.episodes.count:,} episodes, mean return "
                         f"of the last 20 {self.episodes.recent_mean():.1f}{best} ({self.seconds:.0f} s)")

    def validate(self) -> None:
        """Score the greedy policy on the validation seeds; keep its weights when it is the best so far."""
        returns = evaluation.run_episodes(self.agent.greedy, *self.environment, self.validation_seeds)
        entry = {"steps": self.steps, "mean_return": float(np.mean(returns)), "std_return": float(np.std(returns)),
                 "seconds": round(self.seconds, 3)}
        self.validations.append(entry)
        if self.best is None or entry["mean_return"] >= self.best["mean_return"]:
            self.best = {**entry, "weights": [np.array(value) for value in self.agent.policy_weights()]}
        self.console(f"  step {self.steps:,}/{self.total_steps:,}: greedy validation mean return "
                     f"{entry['mean_return']:.1f} over {len(returns)} episodes (best {self.best['mean_return']:.1f}, "
                     f"{self.seconds:.0f} s)")

    def may_back_up(self, force: bool = False) -> None:
        """Back up when `backup_interval` seconds have passed since the last backup (the first comes at once)."""
        if self.folder is None:
            return
        if not force and self._backed_up_at is not None and \
                time.monotonic() - self._backed_up_at < self.backup_interval:
            return
        self._backed_up_at = time.monotonic()
        self.episodes.commit()
        self._write_validations()
        arrays = self.agent.arrays()
        if self.best is not None:
            arrays.update(checkpoint.weights_to_arrays("best", self.best["weights"]))
        best = {key: value for key, value in (self.best or {}).items() if key != "weights"} or None
        checkpoint.save(self.folder, {"steps": self.steps, "episodes": self.episodes.count,
                                      "seconds": self.seconds, "validations": self.validations, "best": best,
                                      "agent": self.agent.state()}, arrays)

    def restore(self, folder: Path) -> bool:
        """Continue from `folder`'s last backup; False when it had none (training starts again)."""
        saved = checkpoint.load(folder)
        if saved is None:
            return False
        state, arrays = saved
        self.steps, self.seconds_before = state["steps"], state["seconds"]
        self.episodes = EpisodeLog(self.folder, read_rows(folder / "history.csv", state["episodes"]))
        self.validations = state["validations"]
        self._written_validations = len(self.validations)
        if state["best"] is not None:
            self.best = {**state["best"], "weights": checkpoint.arrays_to_weights("best", arrays)}
        self.agent.restore(state["agent"], arrays)
        self._backed_up_at = time.monotonic()
        return True

    def _write_validations(self) -> None:
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.folder / "logs" / "validation"))
        for entry in self.validations[self._written_validations:]:
            write_scalars(self._writer, ("mean_return_vs_environment_steps", "std_return_vs_environment_steps"),
                          [entry["mean_return"], entry["std_return"]], entry["steps"])
        self._written_validations = len(self.validations)
        self._writer.flush()

    def finish(self) -> None:
        """Write what is left, close the logs and put the best validated weights back into the policy."""
        if self.validation_period and (not self.validations or self.validations[-1]["steps"] != self.steps):
            self.validate()
        if self.folder is not None:
            self.episodes.commit()
            self._write_validations()
            self.episodes.close()
            self._writer.close()
        if self.best is not None:
            self.agent.set_policy_weights(self.best["weights"])
