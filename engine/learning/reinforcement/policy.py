"""`make evaluate RUN=runs/<recipe>/<run>` (or a zoo entry's name): a trained policy's greedy return over N episodes.

The policy is the run's model.keras (or the shipped entry's, checked by sha256), the environment the
one its recipe names. By default the episodes start from the recipe's test seeds, so 100 episodes
repeat the figure metrics.json holds; `seed=` draws the test seeds of another seed instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

import zoo
from engine.errors import RecipeError
from engine.learning.reinforcement import evaluation
from engine.recipe.validation import check_value
from engine.run.artifacts import load_run_model


def load_policy(location: str) -> tuple[Any, dict[str, Any]]:
    """The policy network and the recipe (as JSON) of a run folder or a shipped zoo entry."""
    folder = Path(location)
    if folder.is_dir():
        model = load_run_model(folder)
        recipe = json.loads((folder / "recipe.json").read_text())
    elif location in zoo.list_pretrained():
        model, recipe = zoo.load(location, pretrained=True), zoo.read_card(location)["recipe"]
    else:
        raise RecipeError(f"{location!r} is neither a run folder (runs/<recipe>/<run>) nor a shipped zoo entry "
                          f"({', '.join(zoo.list_pretrained())}).")
    if recipe.get("kind") != "reinforcement":
        raise RecipeError(f"{location} was trained by a {recipe.get('kind', 'supervised')} recipe; only the policy "
                          "of a reinforcement run can be evaluated in an environment.")
    return model, recipe


def evaluate(location: str, episodes: int = 100, seed: int | None = None) -> dict[str, Any]:
    """Greedy and random returns over `episodes` episodes from the test seeds of `seed` (the recipe's by default)."""
    if not 1 <= episodes <= evaluation.STREAM_LENGTH:
        raise RecipeError(f"`episodes` must be an integer in [1, {evaluation.STREAM_LENGTH}]. Received: {episodes}.")
    if seed is not None:  # checked against the range a recipe's own seed has, before anything is loaded
        check_value("seed", seed)
    model, recipe = load_policy(location)
    seeds = evaluation.seeds(recipe["seed"] if seed is None else seed, "test", episodes)
    environment = recipe["environment"]

    def greedy(observations: np.ndarray) -> np.ndarray:
        return np.asarray(model(observations, training=False)).argmax(axis=1)

    where = (environment["id"], environment["args"], seeds)
    return {"environment": environment["id"], "seeds_of": recipe["seed"] if seed is None else seed,
            "greedy": evaluation.summary(evaluation.run_episodes(greedy, *where)),
            "random": evaluation.summary(evaluation.run_episodes(None, *where))}
