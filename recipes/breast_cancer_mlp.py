"""L2-regularized MLP on the Wisconsin breast cancer data: malignant or benign.

569 tumours, 30 standardized measurements, binary cross-entropy on a sigmoid output,
RMSprop, and early stopping on validation loss. Expected result: test accuracy >= 0.95.
"""

from engine import Data, Model, Recipe, hp

recipe = Recipe(
    data=Data(source="breast_cancer", validation_split=0.15, test_split=0.2,
              preprocessing=[{"name": "standardize"}]),
    model=Model(
        "mlp",
        args={
            "width": hp.Int("width", 8, 64, step=8, default=32),
            "depth": 2,
            "l2": hp.Float("l2", 1e-5, 1e-1, log=True, default=1e-3),
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.2),
        },
    ),
    loss="binary_crossentropy",
    optimizer={"name": "rmsprop", "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, log=True, default=1e-3)},
    metrics=["accuracy"],
    callbacks=[
        # Stop once validation loss has not improved for 10 epochs, keeping the best weights.
        {"name": "EarlyStopping", "monitor": "val_loss", "patience": 10, "restore_best_weights": True},
    ],
    batch_size=32,
    epochs=100,
    seed=42,
    targets={"accuracy": 0.95},
)
