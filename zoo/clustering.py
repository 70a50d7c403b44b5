"""Deep embedded clustering on an autoencoder's code: a layer that adds a clustering loss to the model.

DEC (Xie, Girshick and Farhadi 2016, "Unsupervised Deep Embedding for Clustering Analysis") assigns
each code softly to k centroids with a Student's t kernel, q_ij proportional to
(1 + |z_i - mu_j|^2)^-1, sharpens those assignments into a target p_ij proportional to q_ij^2 / f_j
(f_j: the cluster's total assignment), and trains encoder and centroids to lower KL(P || Q). IDEC
(Guo et al. 2017) keeps the reconstruction loss beside it so the code stays faithful to the input;
that is what an autoencoder with `clusters` does here: its loss is the reconstruction error plus
`weight` times the KL divergence. The target is sharpened within each batch.

The layer passes the codes through unchanged. It adds nothing to the loss until its centroids are
set (`start`), which the unsupervised kind does with k-means on the training codes once the epoch
`from_epoch` begins (engine.learning.unsupervised.StartClustering).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class ClusteringLoss(keras.layers.Layer):
    """Soft assignment of codes to `clusters` centroids, and `weight` * KL(P || Q) added to the loss."""

    def __init__(self, clusters: int, weight: float = 0.1, from_epoch: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.clusters, self.weight, self.from_epoch = int(clusters), float(weight), int(from_epoch)

    def build(self, input_shape):
        self.centroids = self.add_weight(shape=(self.clusters, int(input_shape[-1])), initializer="zeros",
                                         name="centroids")
        # 0 until `start` sets the centroids; saved with the weights, so a resumed run knows it started.
        self.active = self.add_weight(shape=(), initializer="zeros", trainable=False, name="active")

    def assignments(self, codes):
        """q: each code's soft assignment to every centroid (rows sum to 1)."""
        distances = ops.sum(ops.square(ops.expand_dims(codes, 1) - self.centroids), axis=-1)
        kernel = 1.0 / (1.0 + distances)
        return kernel / ops.sum(kernel, axis=1, keepdims=True)

    def call(self, codes):
        codes = ops.cast(codes, "float32")
        q = self.assignments(codes)
        sharpened = ops.square(q) / ops.sum(q, axis=0, keepdims=True)
        p = ops.stop_gradient(sharpened / ops.sum(sharpened, axis=1, keepdims=True))
        divergence = ops.mean(ops.sum(p * (ops.log(p + 1e-12) - ops.log(q + 1e-12)), axis=1))
        self.add_loss(self.active * self.weight * divergence)
        return codes

    def start(self, centroids: np.ndarray) -> None:
        """Set the centroids (from k-means on the codes) and switch the clustering loss on."""
        self.centroids.assign(np.asarray(centroids, dtype="float32"))
        self.active.assign(1.0)

    @property
    def started(self) -> bool:
        return bool(float(self.active.numpy()) > 0)

    def get_config(self):
        return {**super().get_config(), "clusters": self.clusters, "weight": self.weight,
                "from_epoch": self.from_epoch}


def clustering_layer(model: keras.Model) -> ClusteringLoss | None:
    """The model's clustering layer, looked for in nested models too, or None."""
    for layer in model.layers:
        if isinstance(layer, ClusteringLoss):
            return layer
        if isinstance(layer, keras.Model):
            found = clustering_layer(layer)
            if found is not None:
                return found
    return None
