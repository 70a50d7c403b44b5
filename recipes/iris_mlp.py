"""MLP on Fisher's iris flowers, trained with SGD and momentum on one-hot labels.

150 flowers, 4 standardized measurements, 3 species. Expected result: test accuracy
>= 0.93 on the held-out 30 flowers.
"""

from engine import Data, Model, Recipe, hp

recipe = Recipe(
    data=Data(
        source="iris",
        validation_split=0.2,
        test_split=0.2,
        preprocessing=[{"name": "standardize"}, {"name": "one_hot_labels"}],
    ),
    model=Model(
        "mlp",
        args={
            "width": hp.Int("width", 8, 64, step=8, default=16),
            "depth": hp.Int("depth", 1, 3, default=2),
            "activation": hp.Choice("activation", ["relu", "tanh"], default="tanh"),
        },
    ),
    loss="categorical_crossentropy",
    optimizer={
        "name": "sgd",
        "learning_rate": hp.Float("learning_rate", 1e-3, 1e-1, log=True, default=0.05),
        "momentum": 0.9,
    },
    metrics=["accuracy"],
    batch_size=16,
    epochs=60,
    seed=42,
    targets={"accuracy": 0.93},
)
