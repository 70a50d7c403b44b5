"""Catalog results: each recipe's test metric beside a scikit-learn baseline on the same split.

    make bench            # or: python -m benchmarks.catalog [recipe ...]

The baseline is fitted in the same run on exactly the recipe's training split (after the
recipe's preprocessing) and scored on its test split: an RBF-kernel SVM for classification,
ordinary least squares for regression, k-means on the raw inputs for an unsupervised recipe (NMI,
like the recipe's codes). Prints a Markdown table for README.md; exits 1 when a recipe misses its target.
"""

from __future__ import annotations

import sys
import tempfile
import time

from sklearn.linear_model import LinearRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.svm import SVC

import data
from common.targets import class_indices
from common.text import markdown_table
from engine.recipe.loading import catalog_names, load_recipe
from engine.recipe.resolve import resolve
from engine.report.representation import cluster_scores
from engine.run.building import prepare_data
from engine.run.training import run_recipe


def baseline(prepared: data.Prepared, kind: str = "supervised", seed: int = 0) -> tuple[str, float]:
    """Name and test score of the scikit-learn baseline for the prepared splits."""
    (train_x, train_y), (test_x, test_y) = prepared.splits["train"], prepared.splits["test"]
    train_x, test_x = train_x.reshape(len(train_x), -1), test_x.reshape(len(test_x), -1)
    if kind == "unsupervised":
        scores = cluster_scores(train_x, test_x, test_y, prepared.num_classes, seed)
        return "k-means on raw inputs NMI", scores["nmi"]
    if prepared.task == data.CLASSIFICATION:
        train_y, test_y = class_indices(train_y), class_indices(test_y)  # one-hot labels back to indices
        model = SVC(kernel="rbf").fit(train_x, train_y)
        return "RBF SVM accuracy", float(accuracy_score(test_y, model.predict(test_x)))
    model = LinearRegression().fit(train_x, train_y)
    return "linear regression R^2", float(r2_score(test_y, model.predict(test_x)))


def main(names: list[str]) -> int:
    rows = []
    with tempfile.TemporaryDirectory() as runs_dir:
        # Reinforcement recipes have no dataset for a scikit-learn baseline: benchmarks.rl runs them.
        for name in names or [name for name in catalog_names() if load_recipe(name).kind != "reinforcement"]:
            recipe = load_recipe(name)
            baseline_name, baseline_score = baseline(prepare_data(resolve(recipe)), recipe.kind, recipe.seed)
            started = time.perf_counter()
            result = run_recipe(recipe, runs_dir=runs_dir, console=lambda line: None, verbose=0)
            wall = time.perf_counter() - started
            metric, target = next(iter(recipe.targets.items()))
            score = result.metrics["test"][metric]
            rows.append((name, metric, score, target, baseline_name, baseline_score, result.train_seconds, wall))
            print(f"{name}: test {metric} {score:.4f} (target {target}); {baseline_name} {baseline_score:.4f}",
                  file=sys.stderr, flush=True)
    header = ["recipe", "test metric", "result", "target", "same-split baseline", "train s", "wall s"]
    cells = [[f"`{name}`", metric, score, f">= {target}", f"{baseline_name} {baseline_score:.4f}", f"{train:.1f}",
              f"{wall:.1f}"] for name, metric, score, target, baseline_name, baseline_score, train, wall in rows]
    print("\n".join(markdown_table(header, cells)))
    return 0 if all(row[2] >= row[3] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
