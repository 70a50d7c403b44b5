"""DQN on Gymnasium's CartPole-v1: balance a pole on a cart for up to 500 steps.

A Q network (`mlp`, two layers of 256 ReLU units) learns from a replay buffer of 100,000 transitions
against a target network, exploring epsilon-greedily with epsilon falling from 1 to 0.04 over the first
16% of the 50,000-step budget; every 256 steps it takes 128 gradient steps on batches of 64 (Adam,
learning rate 2.3e-3). These are the RL Baselines3 Zoo's tuned CartPole-v1 settings for DQN
(hyperparams/dqn.yml of its earlier releases), whose benchmark reached 500. Every 5,000 steps ten
greedy episodes on validation seeds score the network, and the best one is kept.

Target: test mean_return >= 475.00 over 100 greedy episodes on seeds training never used (Gymnasium counts
CartPole-v1 solved at 475). A full run takes about 100 s of training on this 2-core machine, so `make test`
trains 10,000 steps only: over seeds 42, 1 and 2 on three numeric paths (`python -m benchmarks.spread
cartpole_dqn`) the mean return was 110.5 to 224.9 (mean 169.5), and `make test` holds each run to 100.00,
the worst less a tenth of its distance from the random policy at least. `python -m benchmarks.rl` holds the
mean over seeds 1-3 to 475 on the full budget.
"""

from engine import Agent, Environment, Model, Recipe, Tuner, hp

recipe = Recipe(
    kind="reinforcement",
    environment=Environment("CartPole-v1"),
    agent=Agent(
        "dqn",
        total_steps=50_000,
        gamma=0.99,
        args={
            "buffer_size": 100_000,
            "learning_starts": 1_000,
            "train_frequency": 256,
            "gradient_steps": 128,
            "target_update_period": 10,
            "exploration_initial": 1.0,
            "exploration_final": 0.04,
            "exploration_fraction": hp.Float("exploration_fraction", 0.05, 0.3, default=0.16),
            "validation_period": 5_000,
            "validation_episodes": 10,
        },
    ),
    model=Model("mlp", args={"width": 256, "depth": 2, "activation": "relu"}),
    optimizer={"name": "adam", "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, log=True, default=2.3e-3)},
    batch_size=64,
    seed=42,
    # `make tune` searches the ranges above on the mean greedy return of validation episodes.
    tuner=Tuner(name="random", objective="mean_return", max_trials=6),
    targets={"mean_return": 475.0},
)

# The full run takes minutes; the catalog test trains 10,000 steps; its bound: see the docstring.
test_budget = {"overrides": {"agent.total_steps": 10_000}, "targets": {"mean_return": 100.0}}
