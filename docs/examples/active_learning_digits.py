"""Active learning on the 8x8 digits: the model asks for the labels it is least sure of, 10 at a time.

    make recipe NAME=docs/examples/active_learning_digits.py
"""

from engine import Data, Model, Recipe

recipe = Recipe(
    data=Data(source="digits", test_split=0.25, preprocessing=[{"name": "rescale", "scale": 1 / 16}]),
    model=Model("mlp", args={"width": 128, "depth": 1}),
    loss="sparse_categorical_crossentropy",
    optimizer={"name": "adam", "learning_rate": 1e-2},
    metrics=["accuracy"],
    # Each round trains a fresh model and stops on the validation split, which never enters the pool.
    callbacks=[{"name": "EarlyStopping", "monitor": "val_loss", "patience": 5, "restore_best_weights": True}],
    batch_size=16,
    epochs=100,
    seed=42,
    active_learning={"initial_per_class": 2, "query_size": 10, "budget": 100, "strategy": "margin"},
    targets={"accuracy": 0.9},
)
