"""What a file, a name or a port from outside can and cannot make the engine do."""

import json
import re
from pathlib import Path

import keras
import pytest

import zoo
from engine.errors import RecipeError
from engine.run.publish import publish
from zoo.pretrained import sha256_of

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "data", "zoo", "benchmarks", "recipes")


def sources():
    for package in PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def test_a_pretrained_file_carrying_code_is_refused_even_with_a_matching_hash(tmp_path):
    inputs = keras.Input((3,))
    outputs = keras.layers.Lambda(lambda x: x * 2.0, name="head")(keras.layers.Dense(3, name="backbone")(inputs))
    entry = tmp_path / "store" / "sneaky"
    entry.mkdir(parents=True)
    keras.Model(inputs, outputs).save(entry / "model.keras")
    card = zoo.read_card("digits_cnn") | {"name": "sneaky", "input_shape": [3],
                                          "sha256": sha256_of(entry / "model.keras")}
    (entry / "card.json").write_text(json.dumps(card))
    with pytest.raises(zoo.ZooError, match="safe mode"):
        zoo.load("sneaky", pretrained=True, store=tmp_path / "store")


def test_no_code_path_unpickles_freely_or_turns_safe_mode_off():
    risky = re.compile(r"pickle\.loads?\(|allow_pickle\s*=\s*True|safe_mode\s*=\s*False|torch\.load|joblib\.load")
    found = [f"{path.relative_to(ROOT)}:{number}" for path in sources()
             for number, line in enumerate(path.read_text().splitlines(), 1) if risky.search(line)]
    assert found == []


def test_every_load_model_call_states_safe_mode():
    calls = [(path, line) for path in sources() for line in path.read_text().splitlines()
             if "load_model(" in line and "def " not in line and "load_model(...)" not in line]
    assert calls, "the engine loads models somewhere"
    assert all("safe_mode=True" in line for _, line in calls), calls


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden"])
def test_a_zoo_entry_name_cannot_leave_the_store(name, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "recipe.json").write_text(json.dumps({"name": "digits_cnn", "model": {"name": "small_cnn"}}))
    (run / "env.json").write_text(json.dumps({"status": "complete"}))
    (run / "model.keras").write_bytes(b"")
    (run / "metrics.json").write_text("{}")
    with pytest.raises(RecipeError):
        publish(run, name)


def test_servers_listen_on_127_0_0_1_only():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"tensorboard --logdir \S+ --host 127\.0\.0\.1", makefile)
    assert not [path for path in sources() if re.search(r"0\.0\.0\.0|\[::\]", path.read_text())]
