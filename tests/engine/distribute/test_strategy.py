import pytest

from engine import RecipeError
from engine.distribute.strategy import choose_strategy, pick_name
from tests.conftest import only_run_folder, read_json, run_cli


def test_auto_picks_the_cpu_on_a_machine_without_accelerators(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    chosen = choose_strategy("auto")
    assert chosen.name == "cpu" and chosen.replicas == 1


def test_one_device_trains_under_the_default_strategy_with_no_wrapper():
    import tensorflow as tf

    chosen = choose_strategy("cpu")
    assert chosen.strategy is tf.distribute.get_strategy()
    assert not isinstance(chosen.strategy, tf.distribute.OneDeviceStrategy)
    assert chosen.describe()["class"] == "default (no wrapper)" and chosen.is_chief


def test_asking_for_absent_hardware_is_an_error_not_a_fallback():
    with pytest.raises(RecipeError, match="needs a GPU"):
        choose_strategy("gpu")
    with pytest.raises(RecipeError, match="found no TPU"):
        choose_strategy("tpu")


def test_several_workers_in_tf_config_mean_multi_worker(monkeypatch):
    # Creating the strategy would wait for the other workers: tests/engine/distribute/test_multi_worker.py runs them.
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}}')
    assert pick_name("auto") == "multi_worker"
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1"]}}')
    assert pick_name("auto") == "cpu"


def test_mirrored_trains_on_two_logical_cpu_devices(runs_dir):
    result = run_cli("recipe", "iris_mlp", "strategy=mirrored", "replicas=2", "epochs=2", runs_dir=runs_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = only_run_folder(runs_dir, "iris_mlp")
    strategy = read_json(folder / "env.json")["strategy"]
    assert strategy["class"] == "MirroredStrategy"
    assert strategy["replicas"] == 2
    assert len(strategy["devices"]) == 2 and all("CPU" in device for device in strategy["devices"])
    assert read_json(folder / "metrics.json")["test"]["accuracy"] > 0
    # batch_size 16 is per replica: 90 training flowers in global batches of 32 make 3 steps an epoch,
    # as Keras's own progress lines count them.
    assert read_json(folder / "env.json")["data"]["global_batch"] == 32
    assert read_json(folder / "env.json")["data"]["steps_per_epoch"] == 3
    assert "3/3 - " in result.stdout
