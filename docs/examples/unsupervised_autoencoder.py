"""A dense autoencoder on the 8x8 digits, trained without labels; its codes are judged with them afterwards.

    make recipe NAME=docs/examples/unsupervised_autoencoder.py

The labels never reach the model or the loss. On the test split the report scores the codes: reconstruction
error beside PCA with as many components, k-means NMI and ARI beside k-means on the pixels, a linear probe
beside one on the pixels.
"""

from engine import Data, Model, Recipe

recipe = Recipe(
    kind="unsupervised",
    data=Data(source="digits", preprocessing=[{"name": "rescale", "scale": 1 / 16}]),
    model=Model("dense_autoencoder", args={"code_size": 10, "width": 128, "output_activation": "sigmoid"}),
    loss="mse",
    optimizer={"name": "adam", "learning_rate": 1e-3},
    batch_size=32,
    epochs=100,
    seed=42,
    targets={"nmi": 0.7},
)
