"""What differs between kinds of learning? Each kind is one module saying how it trains and is assessed.

Every run goes check -> plan -> train -> assess -> record (engine.run); only train and assess differ by
kind. Names offered:

- `Learning`: a kind, with its `train(plan, folder, resume, console, verbose) -> Trained` and
  `assess(plan, trained, folder) -> Assessment` (engine.learning.base).
- `Trained`: what training gives back (history, timer, metrics, why it stopped).
- `KINDS`, `kind_of(recipe)`: the registered kinds and the one a recipe declares.
- `supervised` (the default): data with labels; `model.fit` in one or two phases, then scikit-learn
  metrics against the easy baseline, a diagnosis, the cost and the plots.

The unsupervised and reinforcement kinds, and the curriculum and active-learning techniques that wrap
supervised training, each add one module here and one entry in `KINDS`.
"""

from __future__ import annotations

from engine.learning import supervised
from engine.learning.base import Learning, Trained

KINDS: dict[str, Learning] = {
    "supervised": Learning("supervised", supervised.train, supervised.assess),
}


def kind_of(recipe) -> Learning:
    """The kind of learning a recipe declares; every recipe is supervised until the schema names others."""
    return KINDS["supervised"]


__all__ = ["KINDS", "Learning", "Trained", "kind_of", "supervised"]
