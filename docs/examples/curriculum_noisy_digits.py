"""A curriculum on the 8x8 digits with a fifth of the training labels flipped: the easiest samples first.

    make recipe NAME=docs/examples/curriculum_noisy_digits.py

Two teachers, each trained on half of the training split, score the other half by their loss on its labels
(cross-fitting); each epoch then draws from the easiest fraction of the training split, growing from 20% to
70%, so that most flipped labels are never shown. Validation and test labels stay clean.
"""

from engine import Data, Model, Recipe

recipe = Recipe(
    data=Data(source="digits", test_split=0.2, label_noise=0.2,
              preprocessing=[{"name": "rescale", "scale": 1 / 16}]),
    model=Model("mlp", args={"width": 128, "depth": 2}),
    loss="sparse_categorical_crossentropy",
    optimizer={"name": "adam", "learning_rate": 1e-3},
    metrics=["accuracy"],
    callbacks=[{"name": "EarlyStopping", "monitor": "val_accuracy", "patience": 8, "restore_best_weights": True}],
    epochs=40,
    seed=42,
    curriculum={"difficulty": "teacher_loss", "pacing": "linear", "start_fraction": 0.2, "full_at": 0.5,
                "end_fraction": 0.7, "order": "curriculum", "folds": 2},
    targets={"accuracy": 0.9},
)
