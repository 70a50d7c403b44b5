"""Small CNN on scikit-learn's 8x8 handwritten digits (the default recipe).

1,797 images of 10 digits, pixel values 0-16 rescaled to 0-1. Expected result: test
accuracy >= 0.98 on the held-out 20% (an RBF-kernel SVM reaches about 0.99 on this data).

On its full settings, over seeds 42, 1 and 2 on three numeric paths (`python -m benchmarks.spread
digits_cnn`) test accuracy was 0.989 to 0.994 (mean 0.990), and `make test` holds each run to 0.96, the
worst less the margin of 0.02 at least.
"""

from engine import Data, Model, Recipe, Tuner, hp

recipe = Recipe(
    data=Data(
        source="digits",
        validation_split=0.15,
        test_split=0.2,
        preprocessing=[
            {"name": "rescale", "scale": 1 / 16},
            {"name": "reshape", "shape": [8, 8, 1]},
        ],
    ),
    model=Model(
        "small_cnn",
        args={
            "filters": hp.Int("filters", 16, 64, step=16, default=32),
            "blocks": 2,
            "dense_units": hp.Int("dense_units", 32, 256, step=32, default=128),
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.3),
        },
    ),
    loss="sparse_categorical_crossentropy",
    optimizer={"name": "adam", "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, log=True, default=2e-3)},
    metrics=["accuracy"],
    # Halving the step size when validation loss stalls settles the last few errors.
    callbacks=[{"name": "ReduceLROnPlateau", "monitor": "val_loss", "factor": 0.5, "patience": 4}],
    batch_size=32,
    epochs=40,
    seed=42,
    # `make tune NAME=digits_cnn` searches the ranges above for the best validation accuracy.
    tuner=Tuner(name="bayesian", objective="val_accuracy", max_trials=10),
    targets={"accuracy": 0.98},
)

# `make test` trains the full settings and holds each run to the worst measured over seeds and numeric paths
# less a margin (see the docstring); `make bench` holds the mean over seeds to `targets`.
test_budget = {"overrides": {}, "targets": {"accuracy": 0.96}}
