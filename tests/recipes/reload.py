"""A run's model.keras reloaded in a fresh interpreter as the README shows, with nothing of the engine imported.

    python tests/recipes/reload.py MODEL.keras INPUTS.npz OUTPUTS.npy [--predict-only]

Run as a script (not `-m`), so that only Keras, NumPy and the documented one-line import below are loaded
before `keras.saving.load_model`: the test that calls it checks that this is all a user needs. A model
compiled with a loss or metric written in a recipe's own file loads with `compile=False` (`--predict-only`):
nothing outside the engine knows that function, and predictions do not need it.
"""

import sys

import keras
import numpy as np

# The documented import (`import data, zoo`): it registers the project's layers and losses with Keras.
import data  # noqa: F401
import zoo  # noqa: F401


def main(model_path: str, inputs_path: str, outputs_path: str, *options: str) -> None:
    model = keras.saving.load_model(model_path, compile="--predict-only" not in options)
    with np.load(inputs_path) as stored:
        names = list(stored.files)
        inputs = stored["inputs"] if names == ["inputs"] else {name: stored[name] for name in names}
    np.save(outputs_path, np.asarray(model(inputs, training=False)))


if __name__ == "__main__":
    main(*sys.argv[1:])
