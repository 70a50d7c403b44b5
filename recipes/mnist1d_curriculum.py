"""Curriculum learning on MNIST-1D with 40% of the training labels flipped: the easiest samples first.

mnist1d_cnn's network, data and optimizer (the standard 4,000 training signals, 10% held out for validation,
the package's 1,000 test signals), trained 30 epochs with early stopping on the clean validation split
(restoring the best weights), after symmetric label noise moved 40% of the training labels to another
digit (validation and test stay clean). Two teachers, each the same network trained on one half of the
training split, score the other half by their loss on its (noisy) label; the student then draws its
batches from the easiest 20% at first, growing linearly to the easiest 60% at mid-training and staying
there, so most flipped labels are never shown once the pace stops growing.

Result: see the README's curriculum table (`python -m benchmarks.curriculum`: this curriculum against
standard training, the same pace in random order and hardest first, on the same 3 seeds).
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
                "end_fraction": 0.6, "folds": 2},
    targets={"accuracy": 0.8},
    name=None,
    description="",
)

# Teachers and student take about 95 s of wall time; the catalog test trains 12 epochs (teachers 4), see above.
test_budget = {"overrides": {"epochs": 12, "curriculum.teacher_epochs": 4}, "targets": {"accuracy": 0.87}}
