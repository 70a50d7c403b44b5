"""A data source of one's own, registered by name: `Data(source="rings", args={"samples": 600})`.

    import data, own_source          # importing the module registers "rings"
    dataset = data.load("rings", samples=600)

A source shipped with the project goes in data/ and is imported by data/__init__.py; the source contract tests
(tests/data/test_source_contracts.py) then load it and check what every source promises.
"""

import numpy as np

from data.sources import CLASSIFICATION, Dataset, register_source


@register_source("rings")
def rings(samples: int = 600, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Points on two noisy concentric rings in 2-D, radius 1 and 2; 2 classes."""
    generator = np.random.default_rng(seed)
    ring = generator.integers(0, 2, samples)
    angle = generator.uniform(0.0, 2 * np.pi, samples)
    radius = 1.0 + ring + generator.normal(0.0, noise, samples)
    features = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1).astype("float32")
    return Dataset(features, ring, CLASSIFICATION, class_names=["inner", "outer"],
                   description=f"two rings, {samples} points, noise {noise}, seed {seed}")
