"""Reinforcement learning: an agent learns from the rewards of a Gymnasium environment, which stands in for data.

A recipe says `kind="reinforcement"`, an `environment` (a Gymnasium id and its arguments, made by
data.environments) and an `agent` (an algorithm of engine.learning.reinforcement.agents, the discount,
the budget in environment steps and the algorithm's own `args`); its `model` is the network (a zoo
model from observations to one output per action), `optimizer` and `batch_size` train it. A recipe of
this kind declares no `data`, `loss`, `metrics`, `callbacks`, `epochs` or `fine_tune`.

The run goes check -> plan -> train -> assess -> record as every run does (engine.run.training):

- check: the environment exists and has discrete actions, the algorithm and its settings are known,
  the replay buffer holds at least one batch; refused with exit 2 before anything is written;
- train: the agent's loop (agents/<algorithm>.py) inside a `Session` (counters, episode rows,
  validation on seeds of their own keeping the best network, backups every `backup_interval` seconds);
- assess: the mean return of `agent.evaluation_episodes` greedy episodes on test seeds training never
  used, beside the random policy on the same seeds, a diagnosis of the returns and their plot;
- record: model.keras (the policy or Q network), history.csv (one row per episode), TensorBoard
  scalars, metrics.json (`test.mean_return`, `test.std_return`, the random baseline), report.md, env.json.

A killed run resumes from its last backup (`resume=`): networks, optimizer, replay buffer, counters,
episodes and every random generator's state.
"""

from engine.learning.reinforcement.kind import Reinforcement

__all__ = ["Reinforcement"]
