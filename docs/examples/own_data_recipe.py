"""An MLP on the spirals of own_data.py, read through the `function` source.

    make recipe NAME=docs/examples/own_data_recipe.py

A relative "own_data.py" is found beside this recipe file, whatever the current folder.
"""

from engine import Data, Model, Recipe

recipe = Recipe(
    data=Data(source="function", args={"function": "own_data.py:load", "args": {"samples": 600}}),
    model=Model("mlp", args={"width": 32, "depth": 2}),
    loss="sparse_categorical_crossentropy",
    optimizer={"name": "adam", "learning_rate": 1e-2},
    metrics=["accuracy"],
    epochs=40,
    seed=42,
    targets={"accuracy": 0.9},
)
