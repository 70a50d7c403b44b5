"""Fine-tunes the self-supervised MNIST-1D encoder on all ten digits with only 10 labelled signals per class.

The encoder of `mnist1d_selfsupervised` (contrastive pretraining on 25,000 unlabelled signals generated
from seed 7, apart from the standard set) gets a 10-class head in place of its projection, and all
layers train together on the 100 labelled signals of the standard set (seed 42), shifted in time as
in mnist1d_cnn. The validation split (400 held-out training signals) stops training once its loss
has not improved for 40 epochs and puts back the best epoch's weights. The test split is the standard
set's 1,000 test signals. Adam at 1e-3, batch 16, at most 200 epochs.

Result: test accuracy 0.893 with seed 42, from `python -m engine recipe mnist1d_selfsupervised_finetune`; the target
is test accuracy >= 0.85. The version of `benchmarks.transfer` before commit f4d40a7 (seeds 1-3, the same labelled
signals in every arm, compared at the recipe's own 10 labels per class) measured 0.900 on average against 0.846 for
the same encoder from scratch at its best learning rate (3e-3 of 3e-4, 1e-3 and 3e-3, chosen by validation accuracy,
with the same early stopping) and 0.304 for an RBF SVM: +5.4 points over scratch, meeting the goal of 5 that version
held it to. Freezing the encoder for the first 20 epochs did worse (0.793), and with 5 labels per class fine-tuning
falls to 0.777, below scratch with 10. `make test` trains it for at most 60 epochs: over seeds 42, 1 and 2 on three
numeric paths (`python -m benchmarks.spread mnist1d_selfsupervised_finetune`) test accuracy was 0.847 to 0.879 (mean
0.864), and `make test` holds each run to 0.82, the worst less the margin of 0.02 at least. `make bench` holds its
mean to 0.85 on its full settings. """

from engine import Data, Model, Recipe

recipe = Recipe(
    data=Data(
        source="mnist1d",
        validation_split=0.1,
        train_per_class=10,
        augmentation=[{"name": "random_shift", "max_shift": 4, "fill_mode": "wrap"}],
    ),
    model=Model("mnist1d_selfsupervised", pretrained=True),
    loss="sparse_categorical_crossentropy",
    optimizer={"name": "adam", "learning_rate": 1e-3},
    metrics=["accuracy"],
    callbacks=[{"name": "EarlyStopping", "monitor": "val_loss", "patience": 40, "restore_best_weights": True}],
    batch_size=16,
    epochs=200,
    seed=42,
    targets={"accuracy": 0.85},
)

# The catalog test trains at most 60 epochs; its bound: see the docstring.
test_budget = {"overrides": {"epochs": 60}, "targets": {"accuracy": 0.82}}
