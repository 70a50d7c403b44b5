"""1-D CNN on MNIST-1D (Greydanus 2020, "Scaling Down Deep Learning").

MNIST-1D turns the ten digits into 1-D signals of 40 steps: each digit's template is padded,
scaled, circularly translated, sheared and given correlated and i.i.d. noise. The `mnist1d`
source generates the standard set offline from seed 42 with the `mnist1d` package: 4,000
training and 1,000 test signals, shaped (40, 1). 10% of the training signals are held out for
validation; the test split is the package's own 1,000.

The zoo's `conv1d`: three 'same' convolutions of kernel 5 (32, 64, 128 filters), each with batch
normalization, ReLU and max-pooling by 2, then global average pooling over time and dropout 0.2
before the softmax head. Training batches are shifted in time by up to 4 steps (circularly, as
the generator translates). Adam at 3e-3, halved when validation loss stalls, batch 64, 60 epochs.

Result: test accuracy 0.987 with seed 42 (also 0.987 with seed 1), from `python -m engine recipe
mnist1d_cnn`; the target is test accuracy >= 0.97. A full run took about 85 s of wall time (about 71 s of
training) on this 2-core CPU machine. For reference, the paper reports test accuracies of 0.32 (logistic
regression), 0.68 (MLP), 0.91 (GRU), 0.94 (CNN) and 0.96 (human) on the same task (Greydanus 2020). Trained
40 epochs without the shifts, this network reaches 0.981, and the zoo's default `conv1d` (2 blocks of kernel
3, no batch normalization) 0.943. `make test` trains it for 12 epochs only: over seeds 42, 1 and 2 on three
numeric paths (`python -m benchmarks.spread mnist1d_cnn`) test accuracy was 0.941 to 0.962 (mean 0.954), and
`make test` holds each run to 0.92, the worst less the margin of 0.02 at least. `make bench` holds its mean
to 0.97 on its full 60.
"""

from engine import Data, Model, Recipe

recipe = Recipe(
    data=Data(
        source="mnist1d",
        validation_split=0.1,
        # The generator translates each signal circularly, so wrapped shifts keep it a real sample.
        augmentation=[{"name": "random_shift", "max_shift": 4, "fill_mode": "wrap"}],
    ),
    model=Model(
        "conv1d",
        args={"filters": 32, "blocks": 3, "kernel_size": 5, "batch_norm": True, "dropout": 0.2},
    ),
    loss="sparse_categorical_crossentropy",
    optimizer={"name": "adam", "learning_rate": 3e-3},
    metrics=["accuracy"],
    callbacks=[{"name": "ReduceLROnPlateau", "monitor": "val_loss", "factor": 0.5, "patience": 5}],
    batch_size=64,
    epochs=60,
    seed=42,
    targets={"accuracy": 0.97},
)

# The full run takes over a minute; the catalog test trains 12 epochs; its bound: see the docstring.
test_budget = {"overrides": {"epochs": 12}, "targets": {"accuracy": 0.92}}
