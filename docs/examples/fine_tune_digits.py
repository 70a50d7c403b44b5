"""Digits 5-9 from 20 labelled images per class, starting from the zoo's digits04_cnn (trained on digits 0-4).

    make recipe NAME=docs/examples/fine_tune_digits.py

The pretrained network gets a fresh 5-class head (its classes differ from the card's). Phase one trains the
head alone on the frozen backbone; `fine_tune` then unfreezes the backbone (batch normalization stays frozen)
and trains everything at a lower learning rate.
"""

from engine import Data, Model, Recipe

recipe = Recipe(
    data=Data(source="digits", args={"classes": [5, 6, 7, 8, 9]}, test_split=0.2, train_per_class=20,
              preprocessing=[{"name": "rescale", "scale": 1 / 16}, {"name": "reshape", "shape": [8, 8, 1]}]),
    model=Model("digits04_cnn", pretrained=True, freeze_backbone=True),
    loss="sparse_categorical_crossentropy",
    optimizer={"name": "adam", "learning_rate": 1e-3},
    metrics=["accuracy"],
    epochs=20,
    fine_tune={"epochs": 30, "learning_rate": 3e-4},
    seed=42,
    targets={"accuracy": 0.9},
)
