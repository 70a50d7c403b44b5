"""What differs between kinds of learning? Each kind is one module saying how it trains and is assessed.

Every run goes check -> plan -> train -> assess -> record (engine.run); only train and assess differ by
kind. Names offered:

- `Learning`: a kind, with its `train(plan, folder, resume, console, verbose) -> Trained` and
  `assess(plan, trained, folder) -> Assessment` (engine.learning.base).
- `Trained`: what training gives back (history, timer, metrics, why it stopped).
- `KINDS`, `kind_of(recipe)`: the registered kinds and the one a recipe declares.
- `supervised` (the default): data with labels; `model.fit` in one or two phases, then scikit-learn
  metrics against the easy baseline, a diagnosis, the cost and the plots.
- `unsupervised`: labels never reach the model or the loss; an autoencoder trains to reconstruct its
  inputs, then its codes are judged against PCA, by clustering and by a linear probe.

The reinforcement kind, and the curriculum and active-learning techniques that wrap supervised
training, each add one module here and one entry in `KINDS`.
"""

from __future__ import annotations

from engine.learning import supervised, unsupervised
from engine.learning.base import Learning, Trained

KINDS: dict[str, Learning] = {
    "supervised": Learning("supervised", supervised.train, supervised.assess),
    # Trained as supervised learning is, each input its own target (engine.run.building.make_datasets).
    "unsupervised": Learning("unsupervised", supervised.train, unsupervised.assess, unsupervised.check,
                             unsupervised.check_prepared, unsupervised.callbacks),
}


def kind_of(recipe) -> Learning:
    """The kind of learning a recipe declares (`Recipe.kind`, checked against KINDS with the other numbers)."""
    return KINDS[recipe.kind]


__all__ = ["KINDS", "Learning", "Trained", "kind_of", "supervised", "unsupervised"]
