"""How good is a representation learned without labels? Scored against the classical baselines.

In unsupervised learning the labels never reach the model or its loss; they are used here only,
after training, to judge what the model learned:

- `reconstruction_vs_pca`: the model's test reconstruction error against PCA with as many
  components as the model has code units, fitted on the training features only.
- `cluster_scores`: k-means fitted on training codes and applied to the test codes, scored against
  the test labels (NMI, ARI and the accuracy of the best one-to-one cluster-to-class matching).
- `linear_probe`: the test accuracy of a standardized logistic regression trained on the codes.
- `reconstruction_picture`: originals above their reconstructions (images) or overlaid (sequences).
- `representation_lines`: report.md's table, this model against the baselines.

The same scores computed on the raw features are the baselines of the clustering and the probe.
Pure numpy, scikit-learn and matplotlib: nothing here imports Keras or TensorFlow.

The fits run on one thread (`ONE_THREAD`). Next to TensorFlow's thread pools, scikit-learn's
OpenMP and BLAS threads waited on each other: on 2 cores a linear probe of 18,000 codes took
30-60 s with two threads and 1.4 s with one, to the same accuracy.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402
from sklearn import metrics as sk  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics.cluster import contingency_matrix  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from common.files import atomic_path  # noqa: E402
from common.targets import class_indices  # noqa: E402
from common.text import markdown_table, significant  # noqa: E402

ONE_THREAD = threadpool_limits.wrap(limits=1)


def _flat(values) -> np.ndarray:
    """One row of float64 values per sample."""
    values = np.asarray(values, dtype="float64")
    return values.reshape(len(values), -1)


@ONE_THREAD
def reconstruction_vs_pca(train_features, test_features, reconstructed_test, code_size: int) -> dict[str, Any]:
    """Test MSE of the model's reconstruction and of PCA with `code_size` components (fitted on training data).

    Both errors are means over every value of the test features. PCA cannot have more components than
    min(training samples, features): where `code_size` asks for more, or for as many as there are
    features, the components are clipped to that and the number used is recorded as "pca_components".
    """
    if code_size < 1:
        raise ValueError(f"code_size must be at least 1, not {code_size}")
    train, test = _flat(train_features), _flat(test_features)
    reconstructed = np.asarray(reconstructed_test, dtype="float64")
    if reconstructed.size != test.size:
        raise ValueError(f"the reconstruction has {reconstructed.size} values, the test features {test.size}")
    figures: dict[str, Any] = {"mse": float(np.mean((test - reconstructed.reshape(test.shape)) ** 2))}
    components = code_size
    if code_size >= train.shape[1] or code_size > train.shape[0]:
        components = min(train.shape)
        figures["pca_components"] = components
    pca = PCA(n_components=components, random_state=0).fit(train)
    figures["pca_mse"] = float(np.mean((test - pca.inverse_transform(pca.transform(test))) ** 2))
    figures["code_size"] = code_size
    return figures


def matched_accuracy(labels, clusters) -> float:
    """Share of samples whose cluster maps to their class under the best one-to-one matching (Hungarian).

    Works for any number of clusters and classes: a cluster left without a class, or a class
    without a cluster, counts its samples as wrong.
    """
    matrix = contingency_matrix(np.asarray(labels), np.asarray(clusters))
    rows, columns = linear_sum_assignment(matrix, maximize=True)
    return float(matrix[rows, columns].sum() / matrix.sum())


@ONE_THREAD
def cluster_scores(train_codes, test_codes, test_labels, num_clusters: int, seed: int) -> dict[str, Any]:
    """k-means fitted on the training codes, scored on the test codes against the test labels."""
    kmeans = KMeans(n_clusters=num_clusters, n_init=10, random_state=seed).fit(_flat(train_codes))
    clusters = kmeans.predict(_flat(test_codes))
    labels = class_indices(test_labels)
    return {"nmi": float(sk.normalized_mutual_info_score(labels, clusters)),
            "ari": float(sk.adjusted_rand_score(labels, clusters)),
            "accuracy": matched_accuracy(labels, clusters),
            "clusters": num_clusters}


@ONE_THREAD
def linear_probe(train_codes, train_labels, test_codes, test_labels, seed: int) -> float:
    """Test accuracy of a standardized logistic regression trained on the training codes and labels."""
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    probe.fit(_flat(train_codes), class_indices(train_labels))
    return float(probe.score(_flat(test_codes), class_indices(test_labels)))


def _save(figure, path: Path) -> Path:
    """Lay out, write atomically as PNG and close, as `plots.save_figure` does.

    Not imported from `plots`, whose module brings in the data package and with it TensorFlow.
    """
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=110)
    plt.close(figure)
    return path


def _image_grid(originals: np.ndarray, reconstructions: np.ndarray):
    """Originals on the top row, their reconstructions below, on the originals' value range."""
    count = len(originals)
    figure, axes = plt.subplots(2, count, figsize=(1.4 * count + 0.6, 3.2), squeeze=False)
    low, high = float(originals.min()), float(originals.max())
    span = high - low if high > low else 1.0
    for row, (images, name) in enumerate([(originals, "original"), (reconstructions, "reconstruction")]):
        for column in range(count):
            axis = axes[row, column]
            if images.shape[-1] == 3:  # colour: scaled to [0, 1] by the originals' range
                axis.imshow(np.clip((images[column] - low) / span, 0.0, 1.0))
            else:  # one channel (or the first of several) in grayscale
                axis.imshow(images[column, :, :, 0], cmap="gray", vmin=low, vmax=high)
            axis.set_xticks([])
            axis.set_yticks([])
        axes[row, 0].set_ylabel(name)
    figure.suptitle("Test samples and their reconstructions")
    return figure


def _sequence_panels(originals: np.ndarray, reconstructions: np.ndarray):
    """One panel per sample: the original and its reconstruction as two lines (first feature)."""
    count = len(originals)
    columns = min(4, count)
    rows = math.ceil(count / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.4 * rows), squeeze=False)
    steps = np.arange(originals.shape[1])
    for index, axis in enumerate(axes.flat):
        if index >= count:
            axis.set_visible(False)
            continue
        axis.plot(steps, originals[index, :, 0], label="original", color="tab:blue")
        axis.plot(steps, reconstructions[index, :, 0], label="reconstruction", color="tab:orange", linestyle="--")
        axis.set_title(f"test sample {index}")
        axis.grid(alpha=0.3)
    axes[0, 0].legend()
    features = originals.shape[2]
    figure.suptitle("Test sequences and their reconstructions" + (" (first feature)" if features > 1 else ""))
    return figure


PIXEL_NAME = re.compile(r"pixel_(\d+)_(\d+)")


def pixel_grid(feature_names: list[str] | None) -> tuple[int, int, int] | None:
    """The image shape (rows, columns, 1) of flat features named by their pixel, as scikit-learn names the 8x8
    digits' (`pixel_0_0` ... `pixel_7_7`, row by row); None for features named otherwise."""
    found = [PIXEL_NAME.fullmatch(str(name)) for name in feature_names or []]
    if not found or not all(found):
        return None
    places = [(int(match[1]), int(match[2])) for match in found]
    rows, columns = max(row for row, _ in places) + 1, max(column for _, column in places) + 1
    if places != [(row, column) for row in range(rows) for column in range(columns)]:
        return None
    return rows, columns, 1


def reconstruction_picture(originals, reconstructions, path: str | Path, count: int = 8,
                           image_shape: tuple[int, ...] | None = None) -> Path:
    """A PNG of `reconstruction_figure`'s picture; returns `path`."""
    return _save(reconstruction_figure(originals, reconstructions, count, image_shape), Path(path))


def reconstruction_figure(originals, reconstructions, count: int = 8, image_shape: tuple[int, ...] | None = None):
    """The first `count` test samples against their reconstructions, as a matplotlib figure.

    Images (N, H, W, C) make a two-row grid; sequences (N, steps) or (N, steps, features) one panel
    per sample. Reconstructions are reshaped to the originals' shape (a model may output them flat).
    `image_shape` (H, W, C) says that flat samples are images (the 8x8 digits' 64 pixels, `pixel_grid`):
    they are drawn as images, not as 64-point lines.
    """
    originals = np.asarray(originals, dtype="float64")
    reconstructions = np.asarray(reconstructions, dtype="float64")
    if reconstructions.size != originals.size:
        raise ValueError(f"{reconstructions.size} reconstructed values for {originals.size} original ones")
    if count < 1 or len(originals) == 0:
        raise ValueError("nothing to draw: count and the number of samples must be at least 1")
    if image_shape is not None and originals.ndim != 4 and math.prod(originals.shape[1:]) == math.prod(image_shape):
        originals = originals.reshape(len(originals), *image_shape)
    if originals.ndim not in (2, 3, 4):
        raise ValueError(f"expected images (N, H, W, C) or sequences (N, steps[, features]), not {originals.shape}")
    reconstructions = reconstructions.reshape(originals.shape)[:count]
    originals = originals[:count]
    if originals.ndim == 4:
        return _image_grid(originals, reconstructions)
    shape = (*originals.shape[:2], -1)
    return _sequence_panels(originals.reshape(shape), reconstructions.reshape(shape))


def representation_lines(figures: dict[str, Any]) -> list[str]:
    """report.md's table: this model's figures against their baselines, for the parts that were measured.

    `figures` may hold "reconstruction" (from `reconstruction_vs_pca`), "clustering" with "codes" and
    "raw" (each from `cluster_scores`) and "linear_probe" with "codes" and "raw" accuracies.
    """
    rows: list[list[Any]] = []
    reconstruction = figures.get("reconstruction")
    if reconstruction:
        components = reconstruction.get("pca_components", reconstruction["code_size"])
        rows.append([f"test reconstruction MSE (baseline: PCA, {components} components)",
                     significant(reconstruction["mse"]), significant(reconstruction["pca_mse"])])
    clustering = figures.get("clustering") or {}
    codes, raw = clustering.get("codes") or {}, clustering.get("raw") or {}
    if codes or raw:
        clusters = codes.get("clusters", raw.get("clusters"))
        for key, name in [("nmi", "NMI"), ("ari", "ARI"), ("accuracy", "matched accuracy")]:
            rows.append([f"k-means ({clusters} clusters) {name} (baseline: raw features)",
                         codes.get(key), raw.get(key)])
    probe = figures.get("linear_probe") or {}
    if probe:
        rows.append(["linear probe test accuracy (baseline: raw features)", probe.get("codes"), probe.get("raw")])
    if not rows:
        return []
    return [*markdown_table(["", "this model", "baseline"], rows), ""]
