"""The Keras work-arounds for MultiWorkerMirroredStrategy: version guard, install and removal, pass-through.

That they make multi-worker training right is tested with real processes in test_multi_worker.py.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src.backend.tensorflow import trainer

from engine import RecipeError
from engine.distribute import compat as multi_worker_compat
from engine.distribute.strategy import choose_strategy


@pytest.fixture
def patched():
    multi_worker_compat.apply()
    yield
    multi_worker_compat.remove()


def test_the_keras_it_was_checked_on_is_accepted_and_any_other_refused_with_what_to_do():
    assert keras.__version__.startswith(multi_worker_compat.CHECKED_KERAS_SERIES + ".")
    assert multi_worker_compat.check_keras_version() == keras.__version__
    assert multi_worker_compat.check_keras_version("3.15.9") == "3.15.9"
    for version in ("3.16.0", "3.14.2", "4.0.0"):
        with pytest.raises(RecipeError, match=r"checked on Keras 3\.15\.x only .*Install keras>=3\.15,<3\.16"):
            multi_worker_compat.check_keras_version(version)


def test_multi_worker_is_refused_before_anything_starts_on_an_unchecked_keras(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, '
                                    '"task": {"type": "worker", "index": 0}}')
    monkeypatch.setattr(keras, "__version__", "3.16.0")
    with pytest.raises(RecipeError, match="this is Keras 3.16.0"):
        choose_strategy("multi_worker")
    assert not multi_worker_compat.applied()


def test_the_patches_go_on_once_and_come_off(patched):
    original = multi_worker_compat._originals["reduce_per_replica"]
    assert trainer.reduce_per_replica is multi_worker_compat._reduce_per_replica
    assert trainer.TensorFlowTrainer._maybe_symbolic_build is multi_worker_compat._maybe_symbolic_build
    multi_worker_compat.apply()
    assert multi_worker_compat._originals["reduce_per_replica"] is original
    multi_worker_compat.remove()
    assert trainer.reduce_per_replica is original
    assert trainer.TensorFlowTrainer._maybe_symbolic_build is not multi_worker_compat._maybe_symbolic_build
    assert not multi_worker_compat.applied()


def test_other_strategies_get_keras_own_behaviour(patched):
    values = {"loss": tf.constant(0.5), "per_class": tf.constant([1.0, 2.0])}
    reduced = trainer.reduce_per_replica(values, tf.distribute.get_strategy(), "auto")
    assert float(reduced["loss"]) == 0.5 and list(np.asarray(reduced["per_class"])) == [1.0, 2.0]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    history = model.fit(np.ones((8, 3)), np.zeros((8, 2)), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
