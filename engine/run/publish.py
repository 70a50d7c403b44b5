"""`make publish RUN=runs/<recipe>/<run>`: a finished run becomes a pretrained zoo entry."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import keras

import zoo
from common.files import atomic_path, write_json, write_text
from common.text import plural
from engine.errors import RecipeError
from engine.kinds import kind_named
from engine.recipe.names import check_recipe_name
from engine.recipe.schema import Recipe
from engine.run.plan import versions
from zoo.pretrained import MAX_BYTES, MODEL_FILE, STORE

DATASET_FIELDS = ("source", "args", "validation_split", "test_split", "preprocessing", "train_per_class")


def _read(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    if not path.is_file():
        raise RecipeError(f"{folder} has no {name}: publish takes a finished run folder (runs/<recipe>/<run>).")
    return json.loads(path.read_text())


def publish(run: str | Path, name: str | None = None, store: str | Path | None = None,
            overwrite: bool = False) -> Path:
    """Copy a finished run's model into the store with its card; returns the entry's folder."""
    folder = Path(run)
    if not folder.is_dir():
        raise RecipeError(f"RUN must be a run folder (runs/<recipe>/<run>). {str(folder)!r} does not exist.")
    recipe, env, metrics = _read(folder, "recipe.json"), _read(folder, "env.json"), _read(folder, "metrics.json")
    if env.get("status") != "complete":
        raise RecipeError(f"{folder} is not a complete run (status {env.get('status')!r}); only finished runs publish.")
    if not recipe["model"].get("name") or recipe["model"]["name"] not in zoo.list_models():
        raise RecipeError("Only runs of a registered zoo architecture publish, so that pretrained=False can rebuild "
                          f"it. This run's model: {recipe['model'].get('name') or recipe['model'].get('builder')!r}.")
    name = check_recipe_name(name or recipe["name"])
    store = Path(store or STORE)
    target = store / name
    if target.exists() and not overwrite:
        raise RecipeError(f"The zoo already has {name!r} ({target}). Choose another name (AS=...) or pass "
                          "OVERWRITE=1 to replace it.")
    model = keras.saving.load_model(folder / MODEL_FILE, safe_mode=True, compile=False)
    staging = store / f".{name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with atomic_path(staging / MODEL_FILE) as temporary:
        model.save(temporary)  # compiled=False: no optimizer state, only what inference and fine-tuning need
    size = (staging / MODEL_FILE).stat().st_size
    if size >= MAX_BYTES:
        shutil.rmtree(staging)
        raise RecipeError(f"{name!r} would ship {size:,} bytes of weights; the zoo keeps each under {MAX_BYTES:,}.")
    head = model.get_layer("head")
    card = {
        "name": name,
        # A supervised run's output activation was read off its data and loss; an unsupervised model has its own.
        "architecture": {"name": recipe["model"]["name"], "args": {**recipe["model"]["args"], **(
            {"output_activation": env["output_layer"]["activation"]} if env["output_layer"].get("units") else {})}},
        "input_shape": list(model.input_shape[1:]),
        "num_classes": int(head.units),
        "class_names": metrics.get("evaluation", {}).get("test", {}).get("class_names", []),
        "recipe": recipe,
        # A reinforcement run learned from an environment, not a dataset.
        "dataset": {key: recipe["data"][key] for key in DATASET_FIELDS if key in recipe["data"]}
        if recipe.get("data") else {"environment": recipe["environment"]},
        "metrics": {"test": metrics["test"], "validation": metrics["validation"]},
        "parameters": int(model.count_params()),
        "versions": versions(),
        "sha256": zoo.sha256_of(staging / MODEL_FILE),
        "bytes": size,
        "date": time.strftime("%Y-%m-%d"),
        "source_run": str(folder),
    }
    write_json(staging / "card.json", card)
    write_text(staging / "README.md", model_card(card))
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target


def model_card(card: dict[str, Any]) -> str:
    """The Markdown model card of a zoo entry."""
    recipe = card["recipe"]
    steps = ", ".join(json.dumps(step) for step in card["dataset"].get("preprocessing", [])) or "none"
    tensorflow = card["versions"].get("tensorflow-cpu") or card["versions"].get("tensorflow")
    return "\n".join([
        f"# {card['name']}",
        "",
        (recipe.get("description") or "").strip().splitlines()[0] if recipe.get("description") else "",
        "",
        f"- Architecture: `{card['architecture']['name']}` with {json.dumps(card['architecture']['args'])}; "
        f"{card['parameters']:,} parameters; inputs shaped {tuple(card['input_shape'])}, " + (
            f"{card['num_classes']} output units." if kind_named(recipe.get("kind", Recipe.kind)).labelled else
            f"a head of {card['num_classes']} units trained without labels ({recipe['kind']}); fine-tuning "
            "puts a classifier head on its encoder."),
        _trained_by(card),
        _test_metrics(card),
        f"- Inputs must be prepared as in training: {steps}.",
        f"- Classes: {', '.join(card['class_names'])}." if card["class_names"] else "",
        f"- Weights: `{MODEL_FILE}`, {card['bytes']:,} bytes, sha256 `{card['sha256']}`; Keras "
        f"{card['versions'].get('keras')}, TensorFlow {tensorflow}.",
        "",
        "```python",
        "import zoo",
        f"model = zoo.load({card['name']!r}, pretrained=True)                       # as trained",
        f"model = zoo.load({card['name']!r}, pretrained=True, num_classes=5, freeze_backbone=True)  # to fine-tune",
        f"model = zoo.load({card['name']!r}, pretrained=True, num_classes=5, class_names=['a', 'b', 'c', 'd', 'e'])"
        "  # other classes: a fresh head",
        "```",
        "",
    ])


def _test_metrics(card: dict[str, Any]) -> str:
    """The card's test figures and what they measured: a held-out split, or an agent's greedy episodes."""
    test = dict(card["metrics"]["test"])
    if "environment" in card["dataset"]:  # an agent, scored on greedy episodes
        episodes = test.pop("episodes", card["recipe"]["agent"]["evaluation_episodes"])
        where = (f"{plural(episodes, 'greedy episode')}, one from each of the recipe's test seeds, which neither "
                 "training nor validation used")
    else:
        where = "held-out split of that recipe"
    return f"- Test metrics ({where}): " + ", ".join(f"{key} {value:.4f}" for key, value in test.items()) + "."


def _trained_by(card: dict[str, Any]) -> str:
    """Which recipe trained the entry, on what and for how long."""
    recipe, dataset = card["recipe"], card["dataset"]
    if "environment" in dataset:
        return (f"- Trained by recipe `{recipe['name']}` ({recipe['agent']['algorithm']}) in the Gymnasium environment "
                f"`{dataset['environment']['id']}` (seed {recipe['seed']}, {recipe['agent']['total_steps']:,} "
                "environment steps); its greedy action is the output with the highest value.")
    return (f"- Trained by recipe `{recipe['name']}` on `{dataset['source']}` {json.dumps(dataset['args'])} "
            f"(seed {recipe['seed']}, {plural(recipe['epochs'], 'epoch')}).")
