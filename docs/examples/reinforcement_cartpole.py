"""DQN on Gymnasium's CartPole-v1: an environment where a supervised recipe has data, an agent where it has a loss.

    make recipe NAME=docs/examples/reinforcement_cartpole.py
"""

from engine import Agent, Environment, Model, Recipe, hp

recipe = Recipe(
    kind="reinforcement",
    environment=Environment("CartPole-v1"),  # a Gymnasium id, and gymnasium.make's arguments in `args`
    agent=Agent(
        "dqn",
        total_steps=50_000,  # the budget, in environment steps
        gamma=0.99,
        args={"buffer_size": 100_000, "train_frequency": 256, "gradient_steps": 128, "target_update_period": 10,
              "exploration_final": 0.04, "exploration_fraction": 0.16},
    ),
    model=Model("mlp", args={"width": 256, "depth": 2}),  # observations in, one output per action
    optimizer={"name": "adam", "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, log=True, default=2.3e-3)},
    batch_size=64,
    seed=42,
    targets={"mean_return": 475.0},
)
