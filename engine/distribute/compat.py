"""Work-arounds that let Keras 3.15 `model.fit` run under `tf.distribute.MultiWorkerMirroredStrategy`.

Checked against Keras 3.15.1 with TensorFlow 2.21.0 (CHECKED_KERAS_SERIES, CHECKED_ON below). Any
other Keras version is refused with a RecipeError: the two functions patched here are private
Keras code, and a patch written against one version may silently do the wrong thing on another.

The upstream defects (keras-team/keras#20585), in keras/src/backend/tensorflow/trainer.py:

1. `TensorFlowTrainer._maybe_symbolic_build` all-reduces the first data batch
   (`strategy.reduce("MEAN", batch, axis=None)`) only to read its shapes and dtypes; with
   several workers that reduction fails on the PerReplica batch ("Attempt to convert a value
   (PerReplica...) ... to a Tensor"). Patched: under MWMS the symbolic build reads the first
   local replica's batch instead, which has the shapes the build needs and needs no collective op.
2. `reduce_per_replica(..., reduction="auto"/"mean")` reduces each metric value with
   `strategy.reduce("MEAN", value, axis=0)` under multi-worker MWMS: a scalar loss or metric has
   no axis 0, and a vector metric (say per-class F1) would be averaged over its own entries.
   Patched: under multi-worker MWMS the value is averaged across replicas element-wise
   (`axis=None`), which is what the same function does for MirroredStrategy on one machine.

`apply()` is called by engine.distribute.strategy only when it creates a MultiWorkerMirroredStrategy; both
replacements hand every other strategy to the original Keras code unchanged. `remove()` undoes
them (tests). When Keras fixes the defects upstream, delete this module and its call.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from engine.errors import RecipeError

CHECKED_KERAS_SERIES = "3.15"  # the patches below were read against, and tested on, this series
CHECKED_ON = "3.15.1"  # the exact version they were tested on (with TensorFlow 2.21.0)

_originals: dict[str, object] = {}


def check_keras_version(version: str | None = None) -> str:
    """The running Keras version, or a RecipeError when these work-arounds were not checked on it."""
    version = version or keras.__version__
    if version.split(".")[:2] != CHECKED_KERAS_SERIES.split("."):
        raise RecipeError(
            f"Multi-worker training needs work-arounds for Keras defects (keras-team/keras#20585) that were "
            f"checked on Keras {CHECKED_KERAS_SERIES}.x only (tested on {CHECKED_ON}); this is Keras {version}. "
            f"Install keras>={CHECKED_KERAS_SERIES},<3.16 (the range pyproject.toml pins), or check "
            f"engine/multi_worker_compat.py against Keras {version} (keras/src/backend/tensorflow/trainer.py: "
            "_maybe_symbolic_build and reduce_per_replica), update CHECKED_KERAS_SERIES and run "
            "tests/engine/distribute/test_multi_worker.py."
        )
    return version


def _trainer_module():
    from keras.src.backend.tensorflow import trainer

    missing = [name for name in ("reduce_per_replica", "_collective_all_reduce_multi_worker", "TensorFlowTrainer")
               if not hasattr(trainer, name)]
    if missing or not hasattr(trainer.TensorFlowTrainer, "_maybe_symbolic_build"):
        raise RecipeError(
            f"Keras {keras.__version__} no longer has the code engine/multi_worker_compat.py patches "
            f"(missing: {', '.join(missing) or 'TensorFlowTrainer._maybe_symbolic_build'}); multi-worker "
            "training cannot run. Use the Keras version pyproject.toml pins."
        )
    return trainer


def _is_multi_worker(strategy) -> bool:
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def _maybe_symbolic_build(self, iterator=None, data_batch=None):
    """Keras's symbolic build, reading the first local replica's batch under MWMS (no all-reduce)."""
    strategy = self._distribute_strategy
    if not _is_multi_worker(strategy):
        return _originals["_maybe_symbolic_build"](self, iterator=iterator, data_batch=data_batch)
    if iterator is not None:
        for _, _, batches in iterator:
            data_batch = tf.nest.map_structure(
                lambda value: strategy.experimental_local_results(value)[0]
                if isinstance(value, tf.distribute.DistributedValues) else value,
                next(batches),
            )
            break
    with strategy.scope():
        self._symbolic_build(data_batch=data_batch)


def _reduce_per_replica(values, strategy, reduction):
    """Keras's reduction of step outputs, averaging element-wise across workers under multi-worker MWMS."""
    trainer = _trainer_module()
    if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
        return tf.nest.map_structure(lambda value: strategy.reduce("MEAN", value, axis=None), values)
    return _originals["reduce_per_replica"](values, strategy, reduction)


def apply() -> None:
    """Install both work-arounds (idempotent); a RecipeError on a Keras version they were not checked on."""
    check_keras_version()
    trainer = _trainer_module()
    if _originals:
        return
    _originals["reduce_per_replica"] = trainer.reduce_per_replica
    _originals["_maybe_symbolic_build"] = trainer.TensorFlowTrainer._maybe_symbolic_build
    trainer.reduce_per_replica = _reduce_per_replica
    trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build


def remove() -> None:
    """Put Keras's own functions back."""
    if not _originals:
        return
    trainer = _trainer_module()
    trainer.reduce_per_replica = _originals.pop("reduce_per_replica")
    trainer.TensorFlowTrainer._maybe_symbolic_build = _originals.pop("_maybe_symbolic_build")


def applied() -> bool:
    return bool(_originals)
