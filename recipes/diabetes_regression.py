"""MLP regression of diabetes progression one year on, from 10 baseline measurements.

442 patients; inputs and target standardized on the training split, so MSE and MAE are
in units of the target's standard deviation (R^2 does not depend on the scale). Expected
result: test R^2 >= 0.40 (linear regression reaches about 0.45 on this data).

On its full settings, over seeds 42, 1 and 2 on three numeric paths (`python -m benchmarks.spread
diabetes_regression`) test R^2 was 0.418 to 0.502 (mean 0.454), and `make test` holds each run to 0.39, the
worst less the margin of 0.02 at least.
"""

from engine import Data, Model, Recipe, hp

recipe = Recipe(
    data=Data(
        source="diabetes",
        validation_split=0.15,
        test_split=0.2,
        preprocessing=[{"name": "standardize"}, {"name": "standardize_targets"}],
    ),
    model=Model(
        "mlp",
        args={
            "width": hp.Int("width", 8, 64, step=8, default=16),
            "depth": 1,
            "l2": hp.Float("l2", 1e-5, 1e-1, log=True, default=1e-2),
        },
    ),
    loss="mse",
    optimizer={"name": "adam", "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, log=True, default=3e-3)},
    metrics=["mae", "r2_score"],
    callbacks=[{"name": "EarlyStopping", "monitor": "val_loss", "patience": 15, "restore_best_weights": True}],
    batch_size=32,
    epochs=200,
    seed=42,
    targets={"r2_score": 0.40},
)

# `make test` trains the full settings and holds each run to the worst measured over seeds and numeric paths
# less a margin (see the docstring); `make bench` holds the mean over seeds to `targets`.
test_budget = {"overrides": {}, "targets": {"r2_score": 0.39}}
