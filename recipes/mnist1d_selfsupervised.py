"""Contrastive self-supervised pretraining on unlabelled MNIST-1D signals (SimCLR, for 1-D signals).

The zoo's `contrastive_conv1d` encodes each signal with three convolution blocks of 32, 64 and 128 filters
(kernel 5) and global pooling into a code of 128 values. While training, every signal is seen twice through
random views (a circular shift of up to 8 steps, a scaling by 0.7-1.3, Gaussian noise of 0.1), a projection
of 128 ReLU units then 64 maps both views, and the NT-Xent loss at temperature 0.5 asks each view to pick
out its twin among the batch's 511 other views. Labels never reach the model or the loss
(kind="unsupervised"); they only judge the codes afterwards. The signals are 25,000 generated from seed 7,
apart from the standard set (seed 42) that `mnist1d_selfsupervised_finetune` tests on: 18,000 train, 2,000
validate and the generator's 5,000 test signals judge. Adam at 1e-3, batch 256, 200 epochs. It ships in the
zoo as `mnist1d_selfsupervised`.

Result with seed 42, from `python -m engine recipe mnist1d_selfsupervised`: a linear probe on the codes
reaches 0.945 of the test signals against 0.331 on the raw signals; k-means on the codes NMI 0.441 against
0.147 on the raw signals. The target is linear probe accuracy >= 0.90. That run trained for 1,152 s on this
2-core CPU machine while other jobs shared it; an earlier run of the same settings under another name gave
the same figures in 620 s with the CPU to itself. So `make test` trains it for 2 epochs only: over seeds 42,
1 and 2 on three numeric paths (`python -m benchmarks.spread mnist1d_selfsupervised`) the probe's accuracy
was 0.841 to 0.869 (mean 0.855), and `make test` holds each run to 0.80, the worst less the margin of 0.02
at least.
"""

from engine import Data, Model, Recipe

recipe = Recipe(
    kind="unsupervised",
    data=Data(source="mnist1d", args={"num_samples": 25000, "seed": 7}, validation_split=0.1),
    model=Model("contrastive_conv1d", args={
        "filters": 32, "blocks": 3, "kernel_size": 5, "projection": 64, "projection_hidden": 128,
        "max_shift": 8, "scale": 0.3, "noise": 0.1, "seed": 7,
    }),
    loss={"class_name": "zoo.contrastive:NTXent", "config": {"temperature": 0.5}},
    optimizer={"name": "adam", "learning_rate": 1e-3},
    batch_size=256,
    epochs=200,
    seed=42,
    targets={"linear_probe_accuracy": 0.90},
)

# The full run takes about 10 minutes; the catalog test trains 2 epochs; its bound: see the docstring.
test_budget = {"overrides": {"epochs": 2}, "targets": {"linear_probe_accuracy": 0.80}}
