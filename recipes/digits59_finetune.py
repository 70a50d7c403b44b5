"""Fine-tunes the digits04_cnn backbone on digits 5-9 with only 20 labelled images per class.

Phase one trains a new 5-class head on the frozen backbone; phase two unfreezes the backbone
(batch norm aside) at a ten times lower learning rate. Validation and test use the full held-out
splits of digits 5-9, which digits04_cnn never saw. The same network from scratch on the same
100 images: `make recipe NAME=digits59_finetune ARGS="model.pretrained=false
model.freeze_backbone=false fine_tune={} epochs=60"`. Expected result: test accuracy >= 0.90,
and at least 5 points above scratch averaged over seeds 1-3 (tests/recipes/test_transfer.py).
"""

from engine import Data, Model, Recipe

recipe = Recipe(
    data=Data(
        source="digits",
        args={"classes": [5, 6, 7, 8, 9]},
        validation_split=0.2,
        test_split=0.3,
        train_per_class=20,
        preprocessing=[
            {"name": "rescale", "scale": 1 / 16},
            {"name": "reshape", "shape": [8, 8, 1]},
        ],
    ),
    model=Model("digits04_cnn", pretrained=True, freeze_backbone=True),
    loss="sparse_categorical_crossentropy",
    optimizer={"name": "adam", "learning_rate": 3e-3},
    metrics=["accuracy"],
    batch_size=16,
    epochs=30,
    fine_tune={"epochs": 30, "learning_rate": 3e-4},
    seed=42,
    targets={"accuracy": 0.90},
)
