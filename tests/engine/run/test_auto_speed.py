"""speed="auto" (the default) fills the speed settings a recipe leaves unset, records its choice so that a rerun
from recipe.json replays it, lets every explicit setting win, and leaves no trace of its probe in the run;
speed="off" is float32 with one step per execution, as runs were before it."""

import dataclasses
import json

import pytest

from engine.recipe.loading import load_recipe
from engine.run import auto_speed
from engine.run.plan import plan_recipe
from engine.run.training import run_recipe
from tests.conftest import ROOT, read_json


def run(runs_dir, lines=None, **changes):
    recipe = dataclasses.replace(load_recipe("iris_mlp"), epochs=3, **changes)
    return run_recipe(recipe, runs_dir=str(runs_dir), console=(lines.append if lines is not None else
                                                               lambda line: None), verbose=0)


@pytest.fixture
def probe_always(monkeypatch):
    """The probe runs even for a run this short (it would not pay for itself, so it is skipped otherwise)."""
    monkeypatch.setattr(auto_speed, "MIN_PROJECTED_STEPS", 0)
    monkeypatch.setattr(auto_speed, "PROBE_PAYS", 0.0)


def weights(result):
    import keras

    model = keras.saving.load_model(result.folder / "model.keras", compile=False)
    return [layer.name for layer in model.layers], [array.tolist() for array in model.get_weights()]


def test_auto_probes_records_its_choice_and_a_rerun_from_recipe_json_replays_it(runs_dir, probe_always):
    lines = []
    first = run(runs_dir / "a", lines)
    env = read_json(first.folder / "env.json")["speed"]
    chosen = env["auto"]
    assert chosen["mode"] == "auto" and chosen["candidates"][0] == "float32, 1 step per execution"
    assert [entry["setting"] for entry in chosen["probe"]] == chosen["candidates"]
    assert all(entry["seconds_per_step"] > 0 for entry in chosen["probe"]) and chosen["probe_seconds"] > 0
    assert chosen["chosen"] in chosen["candidates"]
    assert any(line.startswith(f"Speed settings (auto): {chosen['chosen']}, chosen by the probe") for line in lines)
    saved = read_json(first.folder / "recipe.json")
    assert f"{saved['precision']}, {saved['steps_per_execution']} step" in chosen["chosen"]
    assert env["steps_per_execution"] == saved["steps_per_execution"]

    rerun = run_recipe(load_recipe(str(first.folder / "recipe.json")), runs_dir=str(runs_dir / "b"),
                       console=lambda line: None, verbose=0)
    again = read_json(rerun.folder / "env.json")["speed"]
    assert again["auto"] == {"mode": "auto", "chosen_by": "the recipe"}
    assert again["steps_per_execution"] == env["steps_per_execution"] and again["precision"] == env["precision"]
    assert rerun.metrics["test"] == first.metrics["test"]


def test_the_probe_leaves_no_trace_the_run_equals_one_given_the_same_settings(runs_dir, probe_always, monkeypatch):
    # Eight steps per execution wins whatever the timings say: the run must equal a plain run given it.
    monkeypatch.setattr(auto_speed, "MARGIN", -1e9)
    probed = run(runs_dir / "a")
    assert read_json(probed.folder / "env.json")["speed"]["auto"]["chosen"] == "float32, 8 steps per execution"
    given = run(runs_dir / "b", steps_per_execution=8, precision="float32")
    assert weights(probed) == weights(given)
    assert probed.metrics["test"] == given.metrics["test"]


def test_off_is_float32_and_one_step_without_a_probe_as_runs_were_before_auto(runs_dir, probe_always):
    off = run(runs_dir / "a", speed="off")
    env = read_json(off.folder / "env.json")["speed"]
    assert env["precision"] == "float32" and env["steps_per_execution"] == 1
    assert env["auto"]["chosen_by"] == "speed='off'" and "probe" not in env["auto"]
    given = run(runs_dir / "b", steps_per_execution=1, precision="float32")
    assert weights(off) == weights(given)


def test_explicit_settings_win_and_only_the_unset_one_is_chosen(probe_always):
    plan = plan_recipe(dataclasses.replace(load_recipe("iris_mlp"), epochs=2, steps_per_execution=4))
    assert plan.recipe.steps_per_execution == 4 and plan.recipe.precision == "float32"
    assert all(option.endswith("4 steps per execution") for option in plan.speed["candidates"])
    both = plan_recipe(dataclasses.replace(load_recipe("iris_mlp"), epochs=2, steps_per_execution=2,
                                           precision="float32"))
    assert both.speed == {"mode": "auto", "chosen_by": "the recipe"} and both.recipe.steps_per_execution == 2


def test_a_short_run_is_not_probed_says_why_and_takes_eight_steps_per_execution():
    plan = plan_recipe(dataclasses.replace(load_recipe("iris_mlp"), epochs=2))
    assert "probe" not in plan.speed and plan.speed["chosen"] == "float32, 8 steps per execution"
    assert plan.speed["chosen_by"].startswith("no probe:") and "too few" in plan.speed["chosen_by"]
    assert plan.recipe.steps_per_execution == auto_speed.UNPROBED == 8


def test_eight_steps_per_execution_change_no_figure_of_a_short_run(runs_dir):
    eight, one = run(runs_dir / "a"), run(runs_dir / "b", steps_per_execution=1)
    assert read_json(eight.folder / "recipe.json")["steps_per_execution"] == 8
    assert weights(eight) == weights(one)
    assert eight.metrics["test"] == one.metrics["test"]


def test_a_kind_that_does_not_fit_batches_keeps_its_settings_unset():
    plan = plan_recipe(load_recipe("cartpole_dqn"))
    assert plan.recipe.precision is None and plan.recipe.steps_per_execution is None
    assert plan.speed["chosen_by"].startswith("nothing")


def test_sixteen_bits_come_from_the_hardware_and_the_checked_models_never_from_a_timing(monkeypatch):
    recipe = load_recipe("digits_cnn")
    monkeypatch.setattr(auto_speed, "has_bfloat16_arithmetic", lambda: True)
    assert auto_speed.sixteen_bit_type("cpu") == "mixed_bfloat16"
    assert {option.precision for option in auto_speed.candidates(recipe, "cpu")} == {"float32"}
    assert "not among those checked" in auto_speed.precision_for(recipe, "cpu")[1]
    monkeypatch.setattr(auto_speed, "SIXTEEN_BIT_CHECKED", frozenset({recipe.model.name}))
    assert {option.precision for option in auto_speed.candidates(recipe, "cpu")} == {"mixed_bfloat16"}
    assert auto_speed.precision_for(dataclasses.replace(recipe, precision="float32"), "cpu") == ("float32",
                                                                                                 "the recipe")
    monkeypatch.setattr(auto_speed, "has_bfloat16_arithmetic", lambda: False)
    assert auto_speed.sixteen_bit_type("cpu") is None
    assert {option.precision for option in auto_speed.candidates(recipe, "cpu")} == {"float32"}
    assert auto_speed.sixteen_bit_type("tpu") == "mixed_bfloat16"


def test_only_models_the_sixteen_bit_benchmark_kept_are_listed_for_sixteen_bits():
    results = ROOT / "benchmarks" / "results" / "sixteen.json"
    kept = set(json.loads(results.read_text())["figures"]["kept"]) if results.exists() else set()
    assert set(auto_speed.SIXTEEN_BIT_CHECKED) <= kept


@pytest.mark.parametrize("variable, value", [("TF_ENABLE_ONEDNN_OPTS", "0"), ("ONEDNN_MAX_CPU_ISA", "AVX2")])
def test_no_native_bfloat16_where_onednn_is_off_or_capped_below_it(monkeypatch, variable, value):
    from common import machine

    monkeypatch.setattr(machine, "cpu_flags", lambda: ["avx2", "avx512f", "avx512_bf16", "amx_bf16"])
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    assert machine.has_bfloat16_arithmetic()
    monkeypatch.setenv(variable, value)
    assert not machine.has_bfloat16_arithmetic()


@pytest.mark.parametrize("strategy", ["mirrored", "multi_worker"])
def test_replicated_strategies_keep_one_step_per_execution_and_say_why(strategy):
    # Keras 3.15's multi-step loop fails under MirroredStrategy; nothing may be probed or chosen above one.
    def probe(recipe):
        raise AssertionError("no probe under a replicated strategy")

    recipe, record = auto_speed.choose(load_recipe("iris_mlp"), strategy, 100_000, probe)
    assert recipe.steps_per_execution == 1 and record["chosen"] == "float32, 1 step per execution"
    assert record["chosen_by"] == f"one step per execution: more fail under strategy={strategy!r}"
