"""Scores of a representation learned without labels, on small synthetic data computed for real."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pytest
from sklearn.decomposition import PCA

from engine.report.representation import (
    cluster_scores,
    linear_probe,
    matched_accuracy,
    reconstruction_picture,
    reconstruction_vs_pca,
    representation_lines,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def low_rank_features(samples: int, seed: int) -> np.ndarray:
    """Samples of 12 features lying near a 3-dimensional subspace, shaped (samples, 3, 4) like small images."""
    generator = np.random.default_rng(seed)
    basis = np.random.default_rng(0).normal(size=(3, 12))
    features = generator.normal(size=(samples, 3)) @ basis + 0.05 * generator.normal(size=(samples, 12))
    return features.reshape(samples, 3, 4)


def blobs(samples: int, seed: int, spread: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated Gaussian blobs in 5 dimensions, with their labels."""
    generator = np.random.default_rng(seed)
    centres = np.array([[0.0] * 5, [8.0] * 5, [0.0, 8.0, 0.0, 8.0, 0.0]])
    labels = generator.integers(0, 3, size=samples)
    return centres[labels] + spread * generator.normal(size=(samples, 5)), labels


def test_pca_baseline_equals_the_model_error_when_the_model_is_pca_itself():
    train, test = low_rank_features(200, seed=1), low_rank_features(80, seed=2)
    pca = PCA(n_components=2, random_state=0).fit(train.reshape(200, -1))
    own = pca.inverse_transform(pca.transform(test.reshape(80, -1)))
    figures = reconstruction_vs_pca(train, test, own, code_size=2)
    assert figures["pca_mse"] == pytest.approx(figures["mse"], rel=1e-9)
    assert figures["code_size"] == 2 and "pca_components" not in figures
    assert figures["mse"] > 0.01  # two components miss part of a three-dimensional signal


def test_a_perfect_reconstruction_beats_pca_with_a_small_code():
    train, test = low_rank_features(200, seed=1), low_rank_features(80, seed=2)
    figures = reconstruction_vs_pca(train, test, test.reshape(80, -1), code_size=1)
    assert figures["mse"] == 0.0
    assert figures["pca_mse"] > 0.1
    more = reconstruction_vs_pca(train, test, test, code_size=3)["pca_mse"]
    assert more < figures["pca_mse"]  # more components, smaller error


def test_pca_components_are_clipped_to_what_the_training_data_allows():
    train, test = low_rank_features(5, seed=1), low_rank_features(10, seed=2)
    assert reconstruction_vs_pca(train, test, test, code_size=8)["pca_components"] == 5  # 5 samples
    wide = reconstruction_vs_pca(low_rank_features(50, seed=3), test, test, code_size=40)
    assert wide["pca_components"] == 12 and wide["code_size"] == 40  # 12 features
    assert wide["pca_mse"] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="values"):
        reconstruction_vs_pca(train, test, test[:5], code_size=2)


def test_well_separated_blobs_cluster_perfectly():
    (train, _), (test, labels) = blobs(150, seed=1), blobs(90, seed=2)
    scores = cluster_scores(train, test, labels, num_clusters=3, seed=0)
    assert scores["nmi"] > 0.99 and scores["ari"] > 0.99 and scores["accuracy"] > 0.99
    assert scores["clusters"] == 3
    assert all(isinstance(scores[key], float) for key in ("nmi", "ari", "accuracy"))


def test_clusters_of_noise_say_nothing_about_the_labels():
    generator = np.random.default_rng(3)
    train, test = generator.normal(size=(200, 4)), generator.normal(size=(300, 4))
    labels = generator.integers(0, 3, size=300)
    scores = cluster_scores(train, test, labels, num_clusters=3, seed=0)
    assert scores["nmi"] < 0.05 and abs(scores["ari"]) < 0.05
    assert scores["accuracy"] < 0.5  # chance with three classes is about a third


def test_matched_accuracy_ignores_cluster_ids_and_handles_unequal_counts():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    clusters = np.array([5, 5, 1, 3, 3, 1, 1, 1, 1])
    expected = 8 / 9  # 5 -> 0, 3 -> 1, 1 -> 2: one sample of class 0 lands in class 2's cluster
    assert matched_accuracy(labels, clusters) == pytest.approx(expected)
    assert matched_accuracy(labels, np.array([2, 0, 1])[clusters % 3]) == pytest.approx(expected)
    assert matched_accuracy(labels, np.zeros(9, dtype=int)) == pytest.approx(4 / 9)  # one cluster, three classes
    assert matched_accuracy(labels, np.arange(9)) == pytest.approx(3 / 9)  # nine clusters: one sample per class


def test_cluster_scores_do_not_change_when_the_labels_are_renamed():
    (train, _), (test, labels) = blobs(150, seed=1, spread=3.0), blobs(90, seed=2, spread=3.0)
    scores = cluster_scores(train, test, labels, num_clusters=3, seed=0)
    renamed = cluster_scores(train, test, np.array([2, 0, 1])[labels], num_clusters=3, seed=0)
    assert scores == pytest.approx(renamed)
    assert scores["accuracy"] < 0.99  # overlapping blobs: the invariance is not the trivial one of a perfect score


def test_linear_probe_on_separable_data_is_near_perfect_and_accepts_one_hot_labels():
    (train, train_labels), (test, test_labels) = blobs(150, seed=1, spread=1.0), blobs(90, seed=2, spread=1.0)
    assert linear_probe(train, train_labels, test, test_labels, seed=0) > 0.98
    one_hot = np.eye(3)[train_labels]
    assert linear_probe(train, one_hot, test, np.eye(3)[test_labels], seed=0) > 0.98
    shuffled = np.random.default_rng(4).permutation(train_labels)
    assert linear_probe(train, shuffled, test, test_labels, seed=0) < 0.7  # labels unrelated to the codes


def assert_readable_png(path) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    picture = matplotlib.image.imread(path)
    assert picture.ndim == 3 and picture.shape[0] > 50 and picture.shape[1] > 50


@pytest.mark.parametrize("channels", [1, 3])
def test_an_image_picture_is_a_readable_png(tmp_path, channels):
    originals = np.random.default_rng(0).random((10, 6, 5, channels))
    path = reconstruction_picture(originals, 0.9 * originals.reshape(10, -1), tmp_path / "images.png", count=4)
    assert path == tmp_path / "images.png"
    assert_readable_png(path)
    assert [item.name for item in tmp_path.iterdir()] == ["images.png"]  # no temporary file left behind


@pytest.mark.parametrize("shape", [(5, 30), (5, 30, 1), (5, 30, 2)])
def test_a_sequence_picture_is_a_readable_png(tmp_path, shape):
    originals = np.sin(np.linspace(0, 6, int(np.prod(shape)))).reshape(shape)
    path = reconstruction_picture(originals, originals + 0.1, tmp_path / "sequences.png")  # count 8 > 5 samples
    assert_readable_png(path)


def test_a_picture_refuses_reconstructions_of_another_size(tmp_path):
    with pytest.raises(ValueError, match="reconstructed values"):
        reconstruction_picture(np.zeros((4, 10)), np.zeros((4, 9)), tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def test_representation_lines_write_each_figure_beside_its_baseline():
    figures = {
        "reconstruction": {"mse": 0.0123456, "pca_mse": 0.0456789, "code_size": 16},
        "clustering": {"codes": {"nmi": 0.81234, "ari": 0.7, "accuracy": 0.9, "clusters": 10},
                       "raw": {"nmi": 0.5, "ari": 0.39876, "accuracy": 0.55, "clusters": 10}},
        "linear_probe": {"codes": 0.95, "raw": 0.875},
    }
    lines = representation_lines(figures)
    assert lines[:2] == ["|  | this model | baseline |", "|---|---|---|"]
    assert lines[2] == "| test reconstruction MSE (baseline: PCA, 16 components) | 0.01235 | 0.04568 |"
    assert lines[3] == "| k-means (10 clusters) NMI (baseline: raw features) | 0.8123 | 0.5000 |"
    assert "| 0.7000 | 0.3988 |" in lines[4] and "| 0.9000 | 0.5500 |" in lines[5]
    assert lines[6] == "| linear probe test accuracy (baseline: raw features) | 0.9500 | 0.8750 |"
    assert lines[-1] == ""


def test_representation_lines_keep_only_what_was_measured():
    assert representation_lines({}) == []
    lines = representation_lines({"reconstruction": {"mse": 0.5, "pca_mse": 0.25, "code_size": 40,
                                                      "pca_components": 12}})
    assert len(lines) == 4 and "PCA, 12 components" in lines[2]
    probe_only = representation_lines({"linear_probe": {"codes": 0.5, "raw": 0.25}})
    assert not any("k-means" in line or "MSE" in line for line in probe_only) and "0.2500" in probe_only[2]
