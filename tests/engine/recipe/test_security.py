"""What a file, a name or a port from outside can and cannot make the engine do.

Unsafe calls in the code itself (pickle, eval, shell commands, binding to every interface) are
found by ruff's bandit rules (`S` in pyproject.toml, run by tests/test_lint.py); these tests
check behaviour: what a crafted file or name actually gets.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import keras
import pytest

import zoo
from engine.errors import RecipeError
from engine.run.publish import publish
from zoo.pretrained import sha256_of

ROOT = Path(__file__).resolve().parents[3]


def save_model_carrying_code(path: Path) -> None:
    """A model whose Lambda layer holds Python code, which Keras's safe mode refuses to deserialize."""
    source = keras.Input((3,))
    outputs = keras.layers.Lambda(lambda x: x * 2.0, name="head")(keras.layers.Dense(3, name="backbone")(source))
    keras.Model(source, outputs).save(path)


def test_a_pretrained_file_carrying_code_is_refused_even_with_a_matching_hash(tmp_path):
    entry = tmp_path / "store" / "sneaky"
    entry.mkdir(parents=True)
    save_model_carrying_code(entry / "model.keras")
    card = zoo.read_card("digits_cnn") | {"name": "sneaky", "input_shape": [3],
                                          "sha256": sha256_of(entry / "model.keras")}
    (entry / "card.json").write_text(json.dumps(card))
    with pytest.raises(zoo.ZooError, match="safe mode"):
        zoo.load("sneaky", pretrained=True, store=tmp_path / "store")


def test_publishing_a_run_whose_model_carries_code_is_refused_and_writes_nothing(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "recipe.json").write_text(json.dumps({"name": "sneaky", "model": {"name": "mlp", "args": {}}, "data": {}}))
    (run / "env.json").write_text(json.dumps({"status": "complete", "output_layer": {"activation": "softmax"}}))
    (run / "metrics.json").write_text(json.dumps({"test": {}, "validation": {}}))
    save_model_carrying_code(run / "model.keras")
    store = tmp_path / "store"
    with pytest.raises(Exception, match="safe_mode") as caught:
        publish(run, store=store)
    assert "Lambda" in str(caught.value)
    assert not store.exists() or not any(store.iterdir())


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


def test_make_tensorboard_listens_on_127_0_0_1_only(tmp_path):
    """Run the real `make tensorboard` target against a stand-in tensorboard that records its arguments."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    recorded = tmp_path / "arguments.txt"
    stand_in = venv / "bin" / "tensorboard"
    stand_in.write_text('#!/bin/sh\nprintf \'%s\\n\' "$@" > "$RECORD_TO"\n')
    stand_in.chmod(0o755)
    stamp = venv / ".installed-cpu"  # newer than pyproject.toml, so make does not reinstall the environment
    stamp.touch()
    os.utime(stamp, (4102444800, 4102444800))  # the year 2100
    result = subprocess.run([make, "-s", "-C", str(ROOT), "tensorboard", f"VENV={venv}", f"RUNS={tmp_path / 'runs'}",
                             "PORT=6123"], env={**os.environ, "RECORD_TO": str(recorded)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    arguments = recorded.read_text().split()
    assert arguments.count("--host") == 1 and "--bind_all" not in arguments, arguments
    assert arguments[arguments.index("--host") + 1] == "127.0.0.1", arguments
