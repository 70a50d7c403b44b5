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

- `reinforcement`: a Gymnasium environment in place of data; an agent (DQN, PPO) learns from its
  rewards, and is scored by its mean return over greedy episodes against a random policy.

Techniques wrap the supervised kind, each one field of the recipe (`TECHNIQUES`; a recipe declares one
at a time, and `kind_of` gives it in place of the supervised kind):

- `active`: `active_learning` chooses which training samples get labels, round by round, from a model's
  uncertainty (margin, entropy, least confidence) or at random (the control).
- `curriculum`: `curriculum` shows the training samples easiest first at a growing pace (difficulty from
  cross-fitted teachers or declared), against the same pace in random order or hardest first.
"""

from __future__ import annotations

from engine.learning import active, curriculum, reinforcement, supervised, unsupervised
from engine.learning.base import Learning, Trained

KINDS: dict[str, Learning] = {
    "supervised": Learning("supervised", supervised.train, supervised.assess),
    # Trained as supervised learning is, each input its own target (engine.run.building.make_datasets).
    "unsupervised": Learning("unsupervised", supervised.train, unsupervised.assess, unsupervised.check,
                             unsupervised.check_prepared, unsupervised.callbacks, labelled=False),
    # An agent in a Gymnasium environment: no dataset, its own loop, record and report.
    "reinforcement": Learning("reinforcement", reinforcement.train, reinforcement.assess, reinforcement.check,
                              prepare=reinforcement.prepare, build=reinforcement.build, record=reinforcement.record),
}


# Techniques around supervised training, by the recipe field that declares them; each checks it wraps that kind.
TECHNIQUES: dict[str, Learning] = {
    "active_learning": Learning("supervised, active learning", active.train, active.assess, active.check,
                                active.check_built, record=active.record),
    "curriculum": Learning("supervised, curriculum", curriculum.train, curriculum.assess, curriculum.check,
                           curriculum.check_built, curriculum.callbacks, record=curriculum.record),
}
# Each technique's settings with their defaults: the keys overrides may add under its field.
TECHNIQUE_SETTINGS = {"active_learning": active.setting_defaults, "curriculum": curriculum.setting_defaults}


def kind_of(recipe) -> Learning:
    """The kind of learning a recipe declares (`Recipe.kind`, checked against KINDS with the other numbers),
    or the technique that wraps it when the recipe declares one (`active_learning`, `curriculum`)."""
    technique = next((name for name in TECHNIQUES if getattr(recipe, name, None)), None)
    return TECHNIQUES[technique] if technique else KINDS[recipe.kind]


__all__ = ["KINDS", "TECHNIQUES", "Learning", "Trained", "active", "curriculum", "kind_of", "reinforcement",
           "supervised", "unsupervised"]
