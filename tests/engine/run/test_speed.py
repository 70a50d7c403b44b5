"""Speed settings take effect (the dtype policy, the XLA flag, steps per execution), are recorded, and bad
values or settings that cannot be honoured are refused; time to target is measured from the epochs."""

import dataclasses

import keras
import pytest

from engine import RecipeError
from engine.recipe.loading import load_recipe
from engine.report.time_to_target import time_to_target, time_to_target_lines
from engine.run.plan import build, plan_recipe
from tests.conftest import only_run_folder, read_json, run_cli


def built(**changes):
    recipe = dataclasses.replace(load_recipe("digits_cnn"), epochs=1, **changes)
    return build(plan_recipe(recipe)).model


@pytest.mark.parametrize("precision, compute", [("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16")])
def test_precision_sets_the_policy_and_keeps_outputs_in_float32(precision, compute):
    model = built(precision=precision)
    assert model.dtype_policy.name == precision
    assert model.get_layer("backbone").get_layer("conv_1_1").compute_dtype == compute
    assert model.get_layer("backbone").get_layer("conv_1_1").variable_dtype == "float32"
    assert str(model.outputs[0].dtype) == "float32"
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer) == (precision == "mixed_float16")
    # The policy is the model's only: what is built next is float32 again.
    assert keras.mixed_precision.dtype_policy().name == "float32"


def test_float32_is_the_default_and_jit_auto_follows_keras_off_on_a_cpu():
    model = built()
    assert model.dtype_policy.name == "float32" and model.jit_compile is False
    # A one-epoch run is too short to probe: eight steps per execution (engine.run.auto_speed.UNPROBED).
    assert int(model.steps_per_execution) == 8
    assert int(built(speed="off").steps_per_execution) == 1


def test_jit_compile_and_steps_per_execution_reach_the_compiled_model():
    model = built(jit_compile=True, steps_per_execution=4)
    assert model.jit_compile is True
    assert int(model.steps_per_execution) == 4


def test_a_run_records_the_speed_settings_it_used(runs_dir):
    result = run_cli("recipe", "iris_mlp", "epochs=2", "precision=mixed_bfloat16", "jit_compile=true",
                     "steps_per_execution=2", runs_dir=runs_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "mixed_bfloat16, XLA on, 2 steps per execution" in result.stdout
    speed = read_json(only_run_folder(runs_dir, "iris_mlp") / "env.json")["speed"]
    assert speed == {"precision": "mixed_bfloat16", "dtype_policy": "mixed_bfloat16", "jit_compile": True,
                     "steps_per_execution": 2, "optimizer": "SGD", "op_determinism": False,
                     "auto": {"mode": "auto", "chosen_by": "the recipe"}}


@pytest.mark.parametrize("override, expected", [
    ("precision=float8", "`precision` must be one of"),
    ("jit_compile=yes", "`jit_compile` must be one of"),
    ("steps_per_execution=0", "`steps_per_execution` must be"),
])
def test_bad_speed_settings_exit_2_with_nothing_written(runs_dir, override, expected):
    result = run_cli("recipe", "iris_mlp", override, runs_dir=runs_dir)
    assert result.returncode == 2, result.stderr[-3000:]
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert not runs_dir.exists()


def low_precision_output(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    hidden = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(hidden))


def test_a_builder_whose_output_is_16_bit_is_refused():
    recipe = load_recipe("digits_cnn")
    model = dataclasses.replace(recipe.model, name=None, args={}, builder=low_precision_output)
    with pytest.raises(RecipeError, match="dtype='float32'"):
        built(precision="mixed_float16", model=model)


def test_pretrained_weights_that_keep_float32_are_refused_under_mixed_precision():
    with pytest.raises(RecipeError, match="did not reach the model"):
        build(plan_recipe(dataclasses.replace(load_recipe("digits59_finetune"), precision="mixed_bfloat16")))


ROWS = [{"epoch": 1, "seconds": 2.0, "val_accuracy": 0.5}, {"epoch": 2, "seconds": 1.0, "val_accuracy": 0.97},
        {"epoch": 3, "seconds": 1.5, "val_accuracy": 0.99}, {"epoch": 4, "seconds": 1.0, "val_accuracy": 0.995}]


def test_time_to_target_is_the_first_epoch_reaching_it_and_the_seconds_up_to_its_end():
    found = time_to_target(ROWS, {"accuracy": 0.98, "r2": 0.5})
    assert found["accuracy"]["epoch"] == 3 and found["accuracy"]["seconds"] == pytest.approx(4.5)
    assert found["r2"]["epoch"] is None and "not logged" in found["r2"]["reason"]
    assert time_to_target(ROWS, {"accuracy": 0.999})["accuracy"]["reason"] == "not reached"
    assert "at epoch 3, after 4.5 s" in time_to_target_lines(found)[0]
