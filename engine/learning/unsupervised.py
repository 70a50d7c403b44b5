"""Unsupervised learning: the labels never reach the model or the loss; they only judge what it learned.

A recipe says `kind="unsupervised"` and names an autoencoder (a zoo model of kind "autoencoder",
whose `backbone` encodes and whose `head` decodes, or a builder returning such a model) or a
contrastive model (kind "contrastive", zoo.contrastive: two random views of each input, told apart
from the other samples' views by the loss `zoo.contrastive:NTXent`). It trains
like a supervised run (engine.learning.supervised: same callbacks, backups, resume and TensorBoard)
with each input as its own target, and splits the data without reading the labels, so shuffling the
labels changes nothing in the trained weights.

Assessment, on the test split: for an autoencoder, reconstruction error beside PCA with as many
components as the code has values (fitted on the training split); when the data has classes, k-means on the codes scored
with NMI, ARI and Hungarian-matched accuracy beside k-means on the raw inputs, and a linear probe
(logistic regression on the codes) beside one on the raw inputs; a picture of inputs and their
reconstructions (autoencoders). These figures join the test metrics, so a recipe's `targets` may name them
(`{"nmi": 0.8}`).

An autoencoder built with `clusters` (zoo.clustering, deep embedded clustering) also learns to group
its codes: `StartClustering` sets its centroids by k-means on the training codes when its epoch comes.
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
from sklearn.cluster import KMeans

import data
import zoo
from engine.errors import RecipeError
from engine.kinds import Trained
from engine.learning.declarations import UnsupervisedDeclaration
from engine.learning.supervised import Supervised, loss_name
from engine.recipe.schema import Recipe
from engine.report import plots
from engine.report.assessment import Assessment
from engine.report.cost import measure
from engine.report.diagnosis import best_epoch, diagnose, missed_targets, uninformed_loss, with_unreached
from engine.report.evaluation import predict
from engine.report.representation import (
    cluster_scores,
    linear_probe,
    pixel_grid,
    reconstruction_picture,
    reconstruction_vs_pca,
)
from engine.run.plan import Plan
from zoo.clustering import ClusteringLoss, clustering_layer

# The zoo's kinds of model that learn without labels.
LABEL_FREE = ("autoencoder", "contrastive")
# What an unsupervised recipe may not declare, and why.
SUPERVISED_ONLY = {
    "data.train_per_class": "chooses labelled samples",
    "data.augmentation": "would change the inputs but not their targets",
    "fine_tune": "is a second phase of supervised fine-tuning",
    "model.freeze_backbone": "would leave only the decoder to train",
    "data.label_noise": "flips labels, and no label reaches an unsupervised model or its loss",
}


def check(recipe: Recipe) -> None:
    """Refuse, before any data is read, what an unsupervised recipe cannot use."""
    declared = {"data.train_per_class": recipe.data.train_per_class is not None,
                "data.augmentation": bool(recipe.data.augmentation), "fine_tune": bool(recipe.fine_tune),
                "model.freeze_backbone": recipe.model.freeze_backbone,
                "data.label_noise": bool(recipe.data.label_noise)}
    for field, why in SUPERVISED_ONLY.items():
        if declared[field]:
            raise RecipeError(f"`{field}` has no place in an unsupervised recipe (kind='unsupervised'): it {why}. "
                              "Remove it, or train with kind='supervised'.")
    name = recipe.model.name
    if name and name not in zoo.list_pretrained() and zoo.model_info(name)["kind"] not in LABEL_FREE:
        fitting = [model for model in zoo.list_models() if zoo.model_info(model)["kind"] in LABEL_FREE]
        raise RecipeError(f"An unsupervised recipe trains an autoencoder or a contrastive model; {name!r} is a "
                          f"{zoo.model_info(name)['kind']}. Use one of: {', '.join(fitting)}.")


def check_prepared(plan: Plan) -> None:
    """Refuse what only the data and the built model can tell: streamed files, a model that does not
    reconstruct its input's shape, or one without an encoder named `backbone`."""
    features = plan.prepared.splits["train"][0]
    if isinstance(features, data.Stream):
        raise RecipeError("Unsupervised recipes hold their data in memory; this source streams from files. "
                          "Set data.args.stream=false (the data must fit in memory).")
    names = [layer.name for layer in plan.model.layers]
    contrastive = plan.recipe.model.name and zoo.model_info(plan.recipe.model.name)["kind"] == "contrastive"
    if (not contrastive and not reconstructs(plan)) or "backbone" not in names:
        raise RecipeError(
            f"An unsupervised model must give back its input's shape {tuple(plan.prepared.input_shape)} and encode "
            f"with a layer named 'backbone'; this one gives {tuple(plan.model.output_shape[1:])} and has layers "
            f"{', '.join(names)}. Use a zoo autoencoder, or build yours as zoo/autoencoder.py does.")


def reconstructs(plan: Plan) -> bool:
    """Whether the model gives back its input (an autoencoder) rather than something else (a contrastive model)."""
    return tuple(plan.model.output_shape[1:]) == tuple(plan.prepared.input_shape)


class StartClustering(keras.callbacks.Callback):
    """Once epoch `from_epoch` begins, k-means on the training codes sets the centroids of the model's
    clustering layer (zoo.clustering) and switches its loss on; a resumed run that had started keeps its own."""

    def __init__(self, layer: ClusteringLoss, features, seed: int):
        super().__init__()
        self.layer, self.features, self.seed = layer, features, seed

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        if epoch + 1 < self.layer.from_epoch or self.layer.started:
            return
        codes = predict(self.model.get_layer("backbone"), self.features)
        kmeans = KMeans(n_clusters=self.layer.clusters, n_init=10, random_state=self.seed).fit(codes)
        self.layer.start(kmeans.cluster_centers_)


def unreached(plan: Plan) -> list[tuple[str, str]]:
    """The clustering phase, when it is set to start after the last epoch (see engine.kinds.Learning.unreached)."""
    layer = clustering_layer(plan.model)
    epochs = plan.recipe.epochs
    if layer is None or layer.from_epoch <= epochs:
        return []
    return [(f"the clustering phase starts at epoch {layer.from_epoch} (model.args.clustering_from_epoch) and this "
             f"run ends after {epochs} epochs, so it never starts: the model trains as a plain autoencoder, its codes "
             "never pulled toward clusters", f"epochs={2 * layer.from_epoch} (about as many epochs of clustering as of "
             f"reconstruction alone), or model.args.clustering_from_epoch={max(1, epochs // 2)} to start it within "
             f"these {epochs} epochs")]


def callbacks(recipe: Recipe, model: keras.Model, prepared: data.Prepared) -> list[keras.callbacks.Callback]:
    """What this kind adds to the recipe's callbacks (in runs and search trials alike): the start of
    clustering when the model clusters."""
    layer = clustering_layer(model)
    return [StartClustering(layer, prepared.splits["train"][0], recipe.seed)] if layer else []


def assess(plan: Plan, trained: Trained, folder: Path) -> Assessment:
    """Reconstruction against PCA, and, where there are labels, clustering and a linear probe of the codes."""
    prepared, seed = plan.prepared, plan.recipe.seed
    (train_x, train_y), (test_x, test_y) = prepared.splits["train"], prepared.splits["test"]
    encoder = plan.model.get_layer("backbone")
    train_codes, test_codes = predict(encoder, train_x), predict(encoder, test_x)
    figures, test_metrics, pictures = {}, {}, {}
    if reconstructs(plan):
        reconstructed = predict(plan.model, test_x)
        code_size = int(math.prod(test_codes.shape[1:]))
        figures["reconstruction"] = reconstruction_vs_pca(train_x, test_x, reconstructed, code_size)
        test_metrics = {"reconstruction_mse": figures["reconstruction"]["mse"],
                        "pca_mse": figures["reconstruction"]["pca_mse"]}
        pictures["reconstructions"] = reconstruction_picture(test_x, reconstructed, folder / "reconstructions.png",
                                                             image_shape=pixel_grid(prepared.raw_inputs.get("names")))
    if prepared.task == data.CLASSIFICATION:
        flat_train, flat_test = train_x.reshape(len(train_x), -1), test_x.reshape(len(test_x), -1)
        clusters = prepared.num_classes
        figures["clustering"] = {"codes": cluster_scores(train_codes, test_codes, test_y, clusters, seed),
                                 "raw": cluster_scores(flat_train, flat_test, test_y, clusters, seed)}
        figures["linear_probe"] = {"codes": linear_probe(train_codes, train_y, test_codes, test_y, seed),
                                   "raw": linear_probe(flat_train, train_y, flat_test, test_y, seed)}
        codes = figures["clustering"]["codes"]
        test_metrics.update(nmi=codes["nmi"], ari=codes["ari"], cluster_accuracy=codes["accuracy"],
                            linear_probe_accuracy=figures["linear_probe"]["codes"])
    trained.metrics["test"].update(test_metrics)  # so that targets and the summary can name them
    history = trained.log.history()
    epochs = plan.recipe.epochs
    findings = diagnose(history, epochs, trained.stopped_by, trained.restored_best, data.REGRESSION, None, None,
                        uninformed_loss(loss_name(plan.recipe.loss), data.REGRESSION, train_x),
                        missed_targets(plan.recipe.targets, trained.metrics["test"]))
    findings = with_unreached(findings, unreached(plan))
    best = best_epoch(history)
    cost = measure(plan.model, prepared.input_shape, trained.timer, len(train_x), trained.seconds)
    pictures = {"learning_curves": plots.learning_curves(history, best, folder / "learning_curves.png"), **pictures}
    baseline = {"kind": "PCA with as many components as the code has values",
                "mse": figures["reconstruction"]["pca_mse"]} if "reconstruction" in figures else \
        {"kind": "k-means and a linear probe on the raw inputs"}
    return Assessment(None, "", baseline, findings, cost, best, pictures, representation=figures)



class Unsupervised(UnsupervisedDeclaration, Supervised):
    """Trained as supervised learning is, each input its own target; assessed by what its codes hold. Its name and
    what it declares (no labels, nothing to serve) are in engine.learning.declarations."""

    def check(self, recipe: Recipe) -> None:
        check(recipe)

    def check_built(self, plan: Plan) -> None:
        check_prepared(plan)

    def build(self, plan: Plan) -> None:
        """As a supervised model is built; the output, whose shape is the model's own, is described by it."""
        super().build(plan)
        plan.output["shape"] = [int(size) for size in plan.model.output_shape[1:]]

    def unreached(self, plan: Plan) -> list[tuple[str, str]]:
        return unreached(plan)

    def callbacks(self, recipe: Recipe, model: keras.Model, prepared: data.Prepared) -> list:
        return callbacks(recipe, model, prepared)

    def assess(self, plan: Plan, trained: Trained, folder: Path) -> Assessment:
        return assess(plan, trained, folder)
