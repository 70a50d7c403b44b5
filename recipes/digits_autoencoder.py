"""Autoencoder with deep embedded clustering on the 8x8 digits, trained without labels.

The zoo's `dense_autoencoder` encodes each image (64 pixels scaled to 0-1) through 128 ReLU units
into a code of 10 values and decodes it back through 128 units to 64 sigmoid outputs. For 149 epochs
it learns to reconstruct (mean squared error); from epoch 150, k-means on the training codes places
10 centroids and the loss adds 0.1 times DEC's clustering divergence (IDEC: Guo et al. 2017, after
Xie et al. 2016; see zoo/clustering.py), which pulls each code toward its cluster. Labels never reach
the model or the loss (kind="unsupervised"; the splits are not even stratified by them): they only
judge the codes afterwards. Adam at 1e-3, batch 32, 300 epochs.

One run (seed 42, `python -m engine recipe digits_autoencoder`, test split of 270 images): k-means on the
codes NMI 0.820, ARI 0.736, matched accuracy 0.833, against NMI 0.794, ARI 0.699 and 0.819 for k-means on
the raw pixels; reconstruction MSE 0.0171 against 0.0190 for PCA with 10 components; a linear probe on the
codes 0.907 against 0.963 on the pixels. Over seeds 1-5 (`python -m benchmarks.catalog digits_autoencoder`)
NMI was 0.758 to 0.833, mean 0.797: the target is stated as that mean's NMI >= 0.79, short of the goal of
0.80. Tried on the same five seeds, each worse: clustering weight 0.2 (mean 0.794), clustering from epoch
100 (0.786), both (0.775). Without the clustering loss (model.args.clusters=0) the same autoencoder reaches
NMI 0.790 with a reconstruction MSE of 0.0103: a plain autoencoder's codes only match k-means on the pixels.
A full run takes about 50 s on this 2-core CPU machine, so `make test` trains it for 180 epochs (30 of them
with the clustering loss): over seeds 42, 1 and 2 on three numeric paths (`python -m benchmarks.spread
digits_autoencoder`) NMI was 0.740 to 0.825 (mean 0.796), and `make test` holds each run to 0.72, the worst
less the margin of 0.02 at least.
"""

from engine import Data, Model, Recipe

recipe = Recipe(
    kind="unsupervised",
    data=Data(source="digits", preprocessing=[{"name": "rescale", "scale": 1 / 16}]),
    model=Model("dense_autoencoder", args={
        "code_size": 10, "width": 128, "output_activation": "sigmoid",
        "clusters": 10, "clustering_weight": 0.1, "clustering_from_epoch": 150,
    }),
    loss="mse",
    optimizer={"name": "adam", "learning_rate": 1e-3},
    batch_size=32,
    epochs=300,
    seed=42,
    targets={"nmi": 0.79},  # the mean over seeds 1-5 reached 0.797; the goal is 0.80 (see the docstring)
)

# The catalog test trains 180 epochs (clustering from epoch 150, as in the full run); its bound: see the docstring.
test_budget = {"overrides": {"epochs": 180}, "targets": {"nmi": 0.72}}
