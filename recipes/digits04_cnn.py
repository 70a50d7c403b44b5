"""Small CNN on the digits 0-4 only: the pretrained backbone for the transfer study.

The same network and training as digits_cnn, on the 901 images of digits 0 to 4. It ships in
the zoo as `digits04_cnn`, and `digits59_finetune` starts from it. Expected result: test
accuracy >= 0.98.
"""

from engine import Data, Model, Recipe, hp

recipe = Recipe(
    data=Data(
        source="digits",
        args={"classes": [0, 1, 2, 3, 4]},
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
    callbacks=[{"name": "ReduceLROnPlateau", "monitor": "val_loss", "factor": 0.5, "patience": 4}],
    batch_size=32,
    epochs=40,
    seed=42,
    targets={"accuracy": 0.98},
)
