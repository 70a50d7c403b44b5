"""PPO on Gymnasium's CartPole-v1: an on-policy actor-critic balancing the pole for up to 500 steps.

Eight environments step side by side for 32 steps per rollout; each rollout of 256 steps is learned
in 20 passes of one minibatch of 256, with generalized advantage estimation (lambda 0.8), discount
0.98, and the learning rate (Adam, 1e-3) and clip range (0.2) falling linearly to 0 over the
100,000-step budget. The policy and value networks are each an `mlp` of two layers of 64 tanh units
with orthogonal initialization. These are the RL Baselines3 Zoo's tuned CartPole-v1 settings for PPO
(hyperparams/ppo.yml), whose benchmark reached 500. Every 10,000 steps ten greedy episodes on
validation seeds score the policy, and the best one is kept.

Target: test mean_return >= 475.00 over 100 greedy episodes on seeds training never used (Gymnasium counts
CartPole-v1 solved at 475). `make test` trains 30,000 steps only: over seeds 42, 1 and 2 on three numeric
paths (`python -m benchmarks.spread cartpole_ppo`) the mean return was 166.4 to 500.0 (mean 385.8), and
`make test` holds each run to 150.00, the worst less a tenth of its distance from the random policy at
least. So short a budget lands anywhere from barely learned to solved; `python -m benchmarks.rl` holds the
mean over seeds 1-3 to 475 on the full budget.
"""

from engine import Agent, Environment, Model, Recipe, Tuner, hp

recipe = Recipe(
    kind="reinforcement",
    environment=Environment("CartPole-v1"),
    agent=Agent(
        "ppo",
        total_steps=100_000,
        gamma=0.98,
        args={
            "environments": 8,
            "rollout_steps": 32,
            "update_epochs": 20,
            "gae_lambda": hp.Float("gae_lambda", 0.8, 0.99, default=0.8),
            "clip_range": 0.2,
            "entropy_coefficient": 0.0,
            "value_coefficient": 0.5,
            "max_grad_norm": 0.5,
            "anneal": True,
            "validation_period": 10_000,
            "validation_episodes": 10,
        },
    ),
    model=Model("mlp", args={"width": 64, "depth": 2, "activation": "tanh", "kernel_initializer": "orthogonal"}),
    optimizer={"name": "adam", "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, log=True, default=1e-3)},
    batch_size=256,
    seed=42,
    # `make tune` searches the ranges above on the mean greedy return of validation episodes.
    tuner=Tuner(name="random", objective="mean_return", max_trials=6),
    targets={"mean_return": 475.0},
)

# The catalog test trains 30,000 steps (the schedules follow the shorter budget); its bound: see the docstring.
test_budget = {"overrides": {"agent.total_steps": 30_000}, "targets": {"mean_return": 150.0}}
