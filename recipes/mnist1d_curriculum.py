"""Curriculum learning on MNIST-1D with 40% of the training labels flipped: the easiest samples first.

mnist1d_cnn's network, data and optimizer (the standard 4,000 training signals, 10% held out for validation,
the package's 1,000 test signals), trained 30 epochs with early stopping on the clean validation split
(restoring the best weights), after symmetric label noise moved 40% of the training labels to another
digit (validation and test stay clean). Two teachers, each the same network trained on one half of the
training split, score the other half by their loss on its (noisy) label; the student then draws its
batches from the easiest 20% at first, growing linearly to the easiest 55% at mid-training and staying
there, so most flipped labels are never shown once the pace stops growing. The 55% was chosen among 50%,
55% and 60% by mean validation accuracy over seeds 1-3 (0.9550, 0.9617, 0.9517), never by test accuracy.

Result: test accuracy 0.940 with seed 42, from `python -m engine recipe mnist1d_curriculum` (68 s of wall
time with its teachers on this shared 2-core CPU); the same recipe without the curriculum reached 0.934. The
target is test accuracy >= 0.92. Over seeds 1-3 (`python -m benchmarks.curriculum`) it reached 0.9577
against 0.9293 for the same training without the curriculum (+2.83 points), 0.8623 for the same pace in
random order and 0.0803 hardest first; on clean labels it loses 2.43 points. The README's curriculum section
has every arm, and what the teachers cost. The catalog test trains 12 epochs (teachers 4): over seeds 42, 1
and 2 on three numeric paths (`python -m benchmarks.spread mnist1d_curriculum`) test accuracy was 0.823 to
0.905 (mean 0.880), and `make test` holds each run to 0.80, the worst less the margin of 0.02 at least.
"""

import dataclasses

from recipes.mnist1d_cnn import recipe as mnist1d_cnn

recipe = dataclasses.replace(
    mnist1d_cnn,
    data=dataclasses.replace(mnist1d_cnn.data, label_noise=0.4),
    callbacks=[
        {"name": "ReduceLROnPlateau", "monitor": "val_loss", "factor": 0.5, "patience": 5},
        # Every arm of the comparison stops on the same clean validation split and keeps its best epoch.
        {"name": "EarlyStopping", "monitor": "val_accuracy", "patience": 8, "restore_best_weights": True},
    ],
    epochs=30,
    curriculum={"difficulty": "teacher_loss", "pacing": "linear", "start_fraction": 0.2, "full_at": 0.5,
                "end_fraction": 0.55, "folds": 2},
    targets={"accuracy": 0.92},
    name=None,
    description="",
)

# The catalog test's shorter budget (see the docstring): a short run under 40% noise is diagnosed as
# underfitting by its training accuracy on the noisy labels, which 12 epochs are not.
test_budget = {"overrides": {"epochs": 12, "curriculum.teacher_epochs": 4}, "targets": {"accuracy": 0.80}}
