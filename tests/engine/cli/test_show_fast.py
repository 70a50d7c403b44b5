"""`make show` answers without importing TensorFlow, Keras or scikit-learn, and what it reads in their place (the
kinds' declarations, the zoo's and data's registrations read from source, the snapshot of Keras's arguments)
is what importing them gives."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import subprocess
import sys

import pytest

import data
import zoo
from common.declared import Registration, _arguments, registrations
from common.signatures import accepted_arguments
from engine.kinds import BUILT_IN, DECLARATIONS, TECHNIQUES, declaration, every_declaration, every_kind, kind_named
from engine.recipe import keras_signatures, open_keys
from engine.recipe.keras_objects import arguments_of, callback_classes, optimizer_classes
from engine.recipe.loading import load_recipe
from engine.recipe.show import render
from engine.recipe.tuners import TUNERS, tuner_arguments
from tests.conftest import ROOT

HEAVY = ("tensorflow", "keras", "sklearn")


def same(found: dict, expected: dict) -> bool:
    """Equal keys in the same order (make show lists them in it), and each value of the same type."""
    return list(found.items()) == list(expected.items()) and all(
        type(found[key]) is type(expected[key]) for key in expected)


@pytest.mark.parametrize("name", ["digits_cnn", "cartpole_ppo", "digits_active", "mnist1d_curriculum",
                                  "digits59_finetune", "digits_autoencoder"])
def test_make_show_imports_neither_tensorflow_nor_keras_nor_scikit_learn(name):
    # `-X importtime` names every module the command imports, on descriptor 2, which ENGINE_DEBUG=1 leaves on the
    # console (engine.native_logs would send it to a log file).
    found = subprocess.run([sys.executable, "-X", "importtime", "-m", "engine", "show", name], cwd=ROOT,
                           capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT), "ENGINE_DEBUG": "1"})
    assert found.returncode == 0, found.stderr[-3000:]
    imported = {line.rpartition("|")[2].strip().split(".")[0] for line in found.stderr.splitlines()
                if line.startswith("import time:")}
    assert "engine" in imported and not imported & set(HEAVY), sorted(imported & set(HEAVY))
    assert found.stdout == "\n".join(render(load_recipe(name))).rstrip() + "\n"


# The kinds' declarations (engine.learning.declarations) are what each built-in kind's class declares.

DECLARED_MEMBERS = ("name", "fields", "labelled", "servable", "without_epochs", "technique", "wraps", "settings",
                    "docs", "constraints", "open_keys")


@pytest.mark.parametrize("name", [*BUILT_IN, *TECHNIQUES.values()])
def test_each_built_in_kind_declares_what_its_declaration_does(name):
    kind, declared = type(kind_named(name)), type(declaration(name))
    assert name in DECLARATIONS and issubclass(kind, declared) and declared.__module__ == \
        "engine.learning.declarations"
    changed = [member for member in DECLARED_MEMBERS if getattr(kind, member) is not getattr(declared, member)]
    assert not changed, f"{kind.__name__} declares {changed} itself; declare them in {declared.__name__} instead"


def test_every_declaration_stands_for_every_kind_in_order():
    assert [kind.name for kind in every_declaration()] == [kind.name for kind in every_kind()]
    assert [json.dumps(kind.settings()) for kind in every_declaration()] == \
        [json.dumps(kind.settings()) for kind in every_kind()]


# The zoo's builders and data's loaders, read from their source, take what the imported functions take.

def test_the_data_arguments_left_out_of_model_args_are_the_zoos():
    from zoo.registry import DATA_ARGUMENTS

    assert open_keys.DATA_ARGUMENTS == DATA_ARGUMENTS


@pytest.mark.parametrize("name", zoo.list_models())
def test_a_zoo_models_arguments_read_from_source_are_its_builders(name):
    found = {found.name: found for found in registrations("zoo", "register_model")}[name]
    assert found.arguments is not None, f"{name}: a default is not a literal, so make show imports TensorFlow"
    read = {key: value for key, value in found.arguments.items() if key not in open_keys.DATA_ARGUMENTS}
    assert same(read, zoo.model_arguments(zoo.get_builder(name)))
    assert same(open_keys.open_keys({"model": {"name": name}}, "model.args"), read)


@pytest.mark.parametrize("name", data.list_sources())
def test_a_data_sources_arguments_read_from_source_are_its_loaders(name):
    found = {found.name: found for found in registrations("data", "register_source")}[name]
    assert found.arguments is not None, f"{name}: a default is not a literal, so make show imports TensorFlow"
    assert same(found.arguments, accepted_arguments(data.get_source(name)))
    assert same(open_keys.open_keys({"data": {"source": name}}, "data.args"), found.arguments)


SIGNATURES = '''
def plain(a, b=1, *args, c, d=(1, 2.5), e=-3, f=None, g="x", **kwargs): ...
def positional_only(a, b=2, /, c=3, *, d): ...
def method(self, size=1e-3, flags={"on": True, "values": [1, 2]}): ...
def expression(a, b=len("x")): ...
def named(a, b=SOME_CONSTANT): ...
'''


@pytest.mark.parametrize("function", [node for node in ast.parse(SIGNATURES).body])
def test_arguments_read_from_a_signature_are_those_accepted_arguments_gives(function):
    scope = {"SOME_CONSTANT": 7}
    exec(compile(ast.Module([function], []), "<signatures>", "exec"), scope)  # noqa: S102 - this test's own text
    read = _arguments(function.args)
    if function.name in ("expression", "named"):
        assert read is None  # only importing can tell such a default
    else:
        assert same(read, accepted_arguments(scope[function.name]))


def test_a_name_the_source_does_not_register_has_no_arguments_until_the_package_is_imported(monkeypatch):
    monkeypatch.delitem(sys.modules, "zoo")
    assert open_keys._registered(("zoo", "register_model"), "digits_cnn", lambda name: 1 / 0) == {}
    monkeypatch.setitem(sys.modules, "zoo", zoo)  # imported: a recipe file's own registration is found there
    assert open_keys._registered(("zoo", "register_model"), "mine", lambda name: {"live": name}) == {"live": "mine"}
    odd = Registration("small_cnn", "", {}, None)  # a default that is no literal: the builder itself is asked
    monkeypatch.setattr(open_keys, "_registrations", lambda registry: {"small_cnn": odd})
    assert open_keys._registered(("zoo", "register_model"), "small_cnn", lambda name: {"live": name}) == \
        {"live": "small_cnn"}


# The snapshot of Keras's and KerasTuner's arguments is what introspection gives, for every name the recipe accepts.

def test_the_keras_snapshot_was_read_from_the_installed_versions():
    stored = json.loads(keras_signatures.SNAPSHOT.read_text())
    assert stored["versions"] == keras_signatures.installed_versions(), \
        "Keras or KerasTuner changed since the snapshot was written: run python -m engine.recipe.keras_signatures"
    assert keras_signatures._table("optimizers") is not None  # so make show uses it


def test_the_keras_snapshot_names_every_optimizer_callback_and_tuner():
    assert list(keras_signatures._table("optimizers")) == sorted(optimizer_classes())
    assert list(keras_signatures._table("callbacks")) == sorted(callback_classes())
    assert list(keras_signatures._table("tuners")) == list(TUNERS)


@pytest.mark.parametrize("name", sorted(optimizer_classes()))
def test_an_optimizers_arguments_in_the_snapshot_are_its_classs(name):
    expected = arguments_of(optimizer_classes()[name])
    assert same(keras_signatures.optimizer_arguments({"name": name.upper()}), expected)
    assert same(open_keys.open_keys({"optimizer": {"name": name}}, "optimizer"), {"name": None, **expected})


@pytest.mark.parametrize("name", sorted(callback_classes()))
def test_a_callbacks_arguments_in_the_snapshot_are_its_classs(name):
    expected = arguments_of(callback_classes()[name])
    assert same(keras_signatures.callback_arguments({"name": name}), expected)
    assert same(open_keys.open_keys({"callbacks": [{"name": name}]}, "callbacks.0"), {"name": None, **expected})


@pytest.mark.parametrize("name", list(TUNERS))
def test_a_tuners_arguments_in_the_snapshot_are_its_classs(name):
    assert same(keras_signatures.tuner_arguments(name), tuner_arguments(name))


def test_names_keras_does_not_know_have_no_arguments_in_the_snapshot_either():
    assert keras_signatures.optimizer_arguments({"name": "adamm"}) is None
    assert keras_signatures.optimizer_arguments({"name": 3}) is None
    assert keras_signatures.callback_arguments({"name": "EarlyStoping"}) is None
    assert keras_signatures.tuner_arguments("random_search") == tuner_arguments("random_search") == {}


def test_a_snapshot_of_other_versions_is_not_used_and_keras_answers(tmp_path, monkeypatch):
    written = keras_signatures.write_snapshot(tmp_path / "signatures.json")
    stored = json.loads(written.read_text())
    assert {key: value for key, value in stored.items() if key != "versions"} == \
        {group: {name: {key: repr(value) for key, value in arguments.items()} for name, arguments in table.items()}
         for group, table in keras_signatures.live_tables().items()}
    stored["versions"]["keras"] = "0.0.1"
    written.write_text(json.dumps(stored))
    monkeypatch.setattr(keras_signatures, "SNAPSHOT", written)
    keras_signatures._snapshot.cache_clear()
    try:
        assert keras_signatures._table("optimizers") is None
        assert same(keras_signatures.optimizer_arguments({"name": "sgd"}), arguments_of(optimizer_classes()["sgd"]))
        assert keras_signatures.optimizer_arguments({"name": "adamm"}) is None
        assert same(keras_signatures.tuner_arguments("hyperband"), tuner_arguments("hyperband"))
    finally:
        keras_signatures._snapshot.cache_clear()


def test_the_snapshot_refuses_a_default_that_is_no_literal(tmp_path, monkeypatch):
    odd = {"optimizers": {"odd": {"schedule": object()}}, "callbacks": {}, "tuners": {}}
    monkeypatch.setattr(keras_signatures, "live_tables", lambda: odd)
    with pytest.raises(ValueError, match="not a Python literal"):
        keras_signatures.write_snapshot(tmp_path / "signatures.json")
    assert not (tmp_path / "signatures.json").exists()


def test_the_declarations_settings_are_dataclasses_each_kind_module_offers_as_its_own():
    from engine.learning import active, curriculum, declarations
    from engine.learning.reinforcement.agents import dqn, ppo

    assert active.Settings is declarations.ActiveLearningSettings
    assert curriculum.Settings is declarations.CurriculumSettings
    assert (dqn.Settings, ppo.Settings) == (declarations.DQNSettings, declarations.PPOSettings)
    assert all(dataclasses.is_dataclass(cls) for cls in declarations.AGENT_SETTINGS.values())
