"""A data function: what the `function` source calls to get a recipe's features and targets."""

import numpy as np


def load(samples: int = 600, seed: int = 0):
    """Two noisy interleaved spirals: (features, targets), features shaped (samples, 2), targets 0 or 1."""
    generator = np.random.default_rng(seed)
    angle = np.sqrt(generator.uniform(0.0, 1.0, samples)) * 3 * np.pi
    arm = generator.integers(0, 2, samples)
    radius = angle / (3 * np.pi)
    sign = np.where(arm == 0, 1.0, -1.0)
    features = np.stack([sign * radius * np.cos(angle), sign * radius * np.sin(angle)], axis=1)
    features += generator.normal(0.0, 0.03, features.shape)
    return features.astype("float32"), arm
