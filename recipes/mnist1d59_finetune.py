"""Fine-tunes the mnist1d04_cnn backbone on MNIST-1D digits 5-9 with only 10 labelled signals per class.

The pretrained network (trained on digits 0-4 of a separately generated set) gets a fresh 5-class
head, since its classes differ from the card's, and all layers train together on the 50 labelled
signals of the standard set (seed 42), shifted in time as in mnist1d_cnn. The validation split
(201 held-out training signals of digits 5-9) stops training once its loss has not improved
for 40 epochs and puts back the best epoch's weights. The test split is the standard set's 493
signals of digits 5-9. Adam at 1e-3, batch 16, at most 200 epochs.

Result: test accuracy 0.945 with seed 42, from `python -m engine recipe mnist1d59_finetune`; the target is test
accuracy >= 0.90. `python -m benchmarks.transfer mnist1d59_finetune` (seeds 1-3, the same labelled signals in every
arm; 21 minutes on a shared 2-core Xeon) measured what pretraining saves against the same network from scratch at
its best learning rate (3e-4 of 3e-4, 1e-3 and 3e-3, chosen by mean validation accuracy at 10 labels per class, with
the same early stopping). Labels: scratch with 10 per class averages 0.885 on test; fine-tuning beats that with 5
per class (0.930) but not with 3 (0.869), so it needs half the labels, short of issue 25's goal of a third. Other
settings of the fine-tuned arm at 3 labels per class (seeds 1-3, mean test accuracy) stayed below 0.885 too:
learning rate 3e-3 0.874, 3e-4 0.836, the backbone frozen 0.748, frozen and then all layers for 60 epochs at 1e-4
0.784. Epochs: fine-tuning reaches the validation accuracy scratch ends with at epochs 24, 24 and 30 where scratch
needs 87, 124 and 92, 0.194 to 0.326 as many, meeting the goal of a third. With 20 labels per class fine-tuning
reaches 0.976 (scratch 0.924); an RBF SVM on the 10 per class reaches 0.379.

On its full settings, over seeds 42, 1 and 2 on three numeric paths (`python -m benchmarks.spread
mnist1d59_finetune`) test accuracy was 0.945 to 0.953 (mean 0.948), and `make test` holds each run to 0.90,
the worst less the margin of 0.02 at least.
"""

from engine import Data, Model, Recipe

recipe = Recipe(
    data=Data(
        source="mnist1d",
        args={"digits": [5, 6, 7, 8, 9]},
        validation_split=0.1,
        train_per_class=10,
        augmentation=[{"name": "random_shift", "max_shift": 4, "fill_mode": "wrap"}],
    ),
    model=Model("mnist1d04_cnn", pretrained=True),
    loss="sparse_categorical_crossentropy",
    optimizer={"name": "adam", "learning_rate": 1e-3},
    metrics=["accuracy"],
    callbacks=[{"name": "EarlyStopping", "monitor": "val_loss", "patience": 40, "restore_best_weights": True}],
    batch_size=16,
    epochs=200,
    seed=42,
    targets={"accuracy": 0.90},
)
