"""The contract every registered preprocessing step keeps: it learns from the training split only.

Each step is fitted on the same training arrays twice. One copy transforms a held-out set A;
the other transforms B, which holds A's rows followed by rows unlike anything seen in
training. A's rows must come out the same either way, transforming must not change what the
step learned (`describe()`), and what it learned must not depend on the held-out data.

Steps need inputs of their own kind (images for `reshape`, labels for `one_hot_labels`, a
table for `feature_space`, texts for `text_vectorize`): a new step fails here until it has an
entry in STEP_INPUTS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas
import pytest

import data
from data.preprocessing import build_step

Arrays = tuple[Any, np.ndarray]


@dataclass
class StepInput:
    """A step's declaration and the task, training split, held-out split and wild rows it is tried on."""

    config: dict
    task: str
    train: Callable[[], Arrays]
    held_out: Callable[[], Arrays]
    # Rows unlike the training split (huge values, unseen words or categories, gaps), appended to the held-out rows.
    wild: Callable[[], Arrays]


def numbers(rows: int, columns: int, seed: int, scale: float = 1.0, gaps: bool = False) -> np.ndarray:
    values = np.random.default_rng(seed).normal(0, scale, (rows, columns)).astype("float32")
    if gaps:
        values[::3, 0] = np.nan
    return values


def labels(rows: int, classes: int = 3) -> np.ndarray:
    return (np.arange(rows) % classes).astype("int64")


def float_targets(rows: int, seed: int, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(5, scale, rows).astype("float32")


WORDS = ["red", "green", "blue", "round", "square", "small", "large", "bright"]


def texts(rows: int, seed: int, words: list[str] = WORDS) -> np.ndarray:
    generator = np.random.default_rng(seed)
    return np.array([" ".join(generator.choice(words, 4)) for _ in range(rows)])


def frame(rows: int, seed: int, colours=("red", "blue"), scale: float = 1.0) -> pandas.DataFrame:
    generator = np.random.default_rng(seed)
    table = pandas.DataFrame({
        "size": generator.normal(10, 2 * scale, rows) * scale,
        "colour": np.array(colours, dtype=object)[np.arange(rows) % len(colours)],
        "count": (np.arange(rows) % 4).astype("int64"),
    })
    table.loc[::4, "size"] = np.nan
    table.loc[1::5, "colour"] = None
    return table


CLASSES, REGRESSES = data.CLASSIFICATION, data.REGRESSION

# step name -> how to try it. Every registered step needs an entry (see the test below).
STEP_INPUTS: dict[str, StepInput] = {
    "rescale": StepInput(
        {"name": "rescale", "scale": 0.5, "offset": 1.0}, CLASSES,
        lambda: (numbers(30, 4, 0), labels(30)), lambda: (numbers(8, 4, 1), labels(8)),
        lambda: (numbers(5, 4, 2, scale=1e6), labels(5))),
    "standardize": StepInput(
        {"name": "standardize"}, CLASSES,
        lambda: (numbers(30, 4, 0), labels(30)), lambda: (numbers(8, 4, 1), labels(8)),
        lambda: (numbers(5, 4, 2, scale=1e6) + 1e7, labels(5))),
    "reshape": StepInput(
        {"name": "reshape", "shape": [4, 4, 1]}, CLASSES,
        lambda: (numbers(30, 16, 0), labels(30)), lambda: (numbers(8, 16, 1), labels(8)),
        lambda: (numbers(5, 16, 2, scale=1e6), labels(5))),
    "one_hot_labels": StepInput(
        {"name": "one_hot_labels"}, CLASSES,
        lambda: (numbers(30, 4, 0), labels(30)), lambda: (numbers(8, 4, 1), labels(8)),
        lambda: (numbers(5, 4, 2, scale=1e6), np.full(5, 2, dtype="int64"))),
    "standardize_targets": StepInput(
        {"name": "standardize_targets"}, REGRESSES,
        lambda: (numbers(30, 4, 0), float_targets(30, 0)), lambda: (numbers(8, 4, 1), float_targets(8, 1)),
        lambda: (numbers(5, 4, 2), float_targets(5, 2, scale=1e6))),
    "impute": StepInput(
        {"name": "impute", "strategy": "median"}, CLASSES,
        lambda: (numbers(30, 4, 0, gaps=True), labels(30)), lambda: (numbers(8, 4, 1, gaps=True), labels(8)),
        lambda: (numbers(6, 4, 2, scale=1e6, gaps=True), labels(6))),
    "text_vectorize": StepInput(
        {"name": "text_vectorize", "max_tokens": 20, "output_mode": "tf_idf"}, CLASSES,
        lambda: (texts(30, 0), labels(30)), lambda: (texts(8, 1), labels(8)),
        lambda: (texts(5, 2, ["never", "seen", "words", "zebra", "red"]), labels(5))),
    "feature_space": StepInput(
        {"name": "feature_space"}, CLASSES,
        lambda: (frame(30, 0), labels(30)), lambda: (frame(8, 1), labels(8)),
        lambda: (frame(6, 2, colours=("purple", "red"), scale=1e3), labels(6))),
}


def join(first: Arrays, second: Arrays) -> Arrays:
    """The rows of `first` followed by those of `second`."""
    if isinstance(first[0], pandas.DataFrame):
        features = pandas.concat([first[0], second[0]], ignore_index=True)
    else:
        features = np.concatenate([first[0], second[0]])
    return features, np.concatenate([first[1], second[1]])


def fitted(name: str):
    if name not in STEP_INPUTS:
        pytest.fail(f"The preprocessing step {name!r} has no entry in STEP_INPUTS in {__file__}: add its "
                    "declaration and a training split, a held-out split and wild rows of the kind it takes.")
    inputs = STEP_INPUTS[name]
    step = build_step(inputs.config)
    step.fit(*inputs.train(), inputs.task)
    return step, inputs


def assert_rows_equal(first: Arrays, second: Arrays, rows: int) -> None:
    for part_first, part_second in zip(first, second, strict=True):
        np.testing.assert_array_equal(np.asarray(part_first)[:rows], np.asarray(part_second)[:rows])


@pytest.mark.parametrize("name", data.list_steps())
def test_held_out_rows_transform_the_same_whatever_else_is_held_out(name):
    step, inputs = fitted(name)
    held_out = inputs.held_out()
    with_wild = join(held_out, inputs.wild())
    alone = step.transform(*held_out)
    learned = json.dumps(step.describe(), sort_keys=True)  # also: what it learned is plain data for the report

    fresh, _ = fitted(name)
    among_wild = fresh.transform(*with_wild)
    assert len(among_wild[0]) == len(with_wild[0]) and len(among_wild[1]) == len(with_wild[1])
    assert_rows_equal(alone, among_wild, len(held_out[0]))
    assert json.dumps(fresh.describe(), sort_keys=True) == learned, "the held-out data changed what it learned"


@pytest.mark.parametrize("name", data.list_steps())
def test_transforming_held_out_data_teaches_the_step_nothing(name):
    step, inputs = fitted(name)
    learned = json.dumps(step.describe(), sort_keys=True)
    held_out = inputs.held_out()
    before = step.transform(*held_out)
    step.transform(*join(held_out, inputs.wild()))
    assert json.dumps(step.describe(), sort_keys=True) == learned
    assert_rows_equal(before, step.transform(*held_out), len(held_out[0]))


@pytest.mark.parametrize("name", data.list_steps())
def test_what_a_step_learns_comes_from_the_training_split_through_prepare(name, monkeypatch):
    """Through `data.prepare`: held-out rows made wild before fitting leave describe() unchanged."""
    _, inputs = fitted(name)
    train, held_out, wild = inputs.train(), inputs.held_out(), inputs.wild()

    def run(test_rows: Arrays) -> list:
        def source() -> data.Dataset:
            return data.Dataset(features=train[0], targets=train[1], task=inputs.task,
                                class_names=["a", "b", "c"] if inputs.task == CLASSES else [], test=test_rows)

        monkeypatch.setitem(data.sources._SOURCES, "step_contract", source)
        monkeypatch.setitem(data.sources._NEEDS, "step_contract", None)
        return data.prepare("step_contract", validation_split=0.2, preprocessing=[inputs.config], seed=0).steps

    assert run(held_out) == run(join(held_out, wild))


def test_every_step_input_belongs_to_a_registered_step():
    assert set(STEP_INPUTS) <= set(data.list_steps())
