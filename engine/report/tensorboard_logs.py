"""What a run writes to TensorBoard beyond Keras's own callback.

Keras's `TensorBoard` callback writes per-epoch scalars (loss, metrics, learning rate) to
`logs/train` and `logs/validation`. This module adds, at the top of `logs/`: the resolved
recipe as text, the run's HParams session (named by recipe and run, with the recipe, kind and data
source as columns beside its hyperparameters), and the final test metrics as scalars that the dashboard
lists beside them. Curves against another axis than epochs carry it in their tag (`<name>_vs_labels`,
`<name>_vs_environment_steps`), so that no chart mixes x-axes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf
from tensorboard.plugins.hparams import api as hparams_api
from tensorboard.plugins.scalar import metadata as scalar_metadata
from tensorflow.python.ops.resource_variable_ops import ResourceVariable

from engine.kinds import TECHNIQUES
from engine.recipe import hp

# Keras's scalars gathered over epochs are written once this many seconds have passed since the last write.
WRITE_SECONDS = 1.0


class EpochTensorBoard(keras.callbacks.TensorBoard):
    """Keras's TensorBoard callback, logging once per epoch, its event files flushed at each backup.

    Keras flushes when fit ends (or every two minutes): a run killed before would lose the epochs
    it logged, and a resumed run's curves would have a gap. The backup (engine.run.resume) calls
    `flush` before it writes, so what a resumed run continues from is on disk; TensorBoard drops the
    points of epochs that a resumed run logs again (its purge of orphaned steps).

    Keras 3.15 writes each batch's logs with `summary.scalar` even with update_freq="epoch", where no
    summary writer is open, so nothing is written: half a millisecond per batch for nothing.

    Keras's scalars (`epoch_<metric>` in train/ and validation/, `evaluation_<metric>_vs_iterations`
    in validation/) are gathered and written by one call of a compiled function (`_scalar_function`)
    once WRITE_SECONDS have passed since the last, at each flush and when training ends; the event
    files reach the disk no later than Keras's own writer would have put them there. Each call costs
    about a millisecond, where a breast_cancer_mlp epoch lasts about 30; one eager `summary.scalar` per
    value cost 2 ms an epoch on digits_cnn.

    The learning rate and the optimizer's step count, read at each epoch, are read by one raw
    `ReadVariableOp` each (`read_scalar`): 21 microseconds on this project's 2-core machine, where
    Keras's conversions took 74 (the step count) and 134 (the learning rate).
    """

    def __init__(self, *arguments, **keywords):
        super().__init__(*arguments, **keywords)
        self._epoch: list[tuple] = []  # this epoch's (writer, names, values, step), in the order logged
        self._gathered: tuple | None = None  # (structure, rows of values, rows of steps) not yet written
        self._compiled: dict[tuple, Callable] = {}
        self._written_at = time.monotonic()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.update_freq != "epoch" or self._should_trace:
            super().on_train_batch_end(batch, logs)

    def _log_epoch_metrics(self, epoch: int, logs: dict | None) -> None:
        if logs:
            train = self._collect_learning_rate({key: value for key, value in logs.items()
                                                 if not key.startswith("val_")})
            validation = {key[4:]: value for key, value in logs.items() if key.startswith("val_")}
            for writer, values in ((self._train_writer, train), (self._val_writer, validation)):
                if values:
                    self._epoch.append((writer, tuple(f"epoch_{name}" for name in values), values.values(), epoch))
        self._gather()
        if time.monotonic() - self._written_at >= WRITE_SECONDS:
            self._write()

    def on_test_end(self, logs: dict | None = None) -> None:
        if logs and self.model.optimizer is not None and hasattr(self.model.optimizer, "iterations"):
            self._epoch.append((self._val_writer, tuple(f"evaluation_{name}_vs_iterations" for name in logs),
                                logs.values(), int(read_scalar(self.model.optimizer.iterations))))
        self._pop_writer()

    def _collect_learning_rate(self, logs: dict) -> dict:
        optimizer = getattr(self.model.optimizer, "inner_optimizer", self.model.optimizer)
        rate = getattr(optimizer, "_learning_rate", None)
        if not isinstance(rate, keras.Variable):  # a schedule, or several optimizers: Keras's own way
            return super()._collect_learning_rate(logs)
        logs["learning_rate"] = float(read_scalar(rate))
        return logs

    def _gather(self) -> None:
        """This epoch's scalars join those waiting to be written (which are written first if laid out otherwise)."""
        if not self._epoch:
            return
        structure = tuple((writer, names) for writer, names, _, _ in self._epoch)
        if self._gathered is not None and self._gathered[0] != structure:
            self._write()
        if self._gathered is None:
            self._gathered = (structure, [], [])
        self._gathered[1].append([float(value) for _, _, values, _ in self._epoch for value in values])
        self._gathered[2].append([step for _, _, _, step in self._epoch])
        self._epoch = []

    def _write(self) -> None:
        self._gather()
        self._written_at = time.monotonic()
        if self._gathered is None:
            return
        structure, values, steps = self._gathered
        if structure not in self._compiled:
            self._compiled[structure] = _scalar_function(structure)
        self._compiled[structure](tf.constant(values, tf.float32), tf.constant(steps, tf.int64))
        self._gathered = None

    def on_train_end(self, logs: dict | None = None) -> None:
        self._write()
        super().on_train_end(logs)

    def flush(self) -> None:
        self._write()
        for writer in getattr(self, "_writers", {}).values():
            writer.flush()


def read_scalar(variable: keras.Variable) -> float | int:
    """A scalar variable's value, by one raw read where the variable is a plain TensorFlow resource
    variable (not mirrored across devices), otherwise through Keras."""
    value = getattr(variable, "value", None)
    if type(value) is ResourceVariable:
        return tf.raw_ops.ReadVariableOp(resource=value.handle, dtype=value.dtype).numpy().item()
    return keras.ops.convert_to_numpy(variable).item()


def _scalar_function(structure: tuple) -> Callable:
    """A compiled function writing scalars laid out as `structure`, ((writer, names), ...), for any number
    of epochs: a row of values (the names of every group, in order) and a row of steps (one per group)
    each. Its signature is fixed, so a call skips tf.function's matching of Python arguments."""
    width = sum(len(names) for _, names in structure)
    # tf.summary.scalar would put the loop's name scope in front of each tag ("while/epoch_loss").
    scalar = scalar_metadata.create_summary_metadata(display_name=None, description=None).SerializeToString()
    specs = [tf.TensorSpec([None, width], tf.float32), tf.TensorSpec([None, len(structure)], tf.int64)]

    @tf.function(input_signature=specs, autograph=False)
    def write(values: tf.Tensor, steps: tf.Tensor) -> None:
        def one_epoch(row: tf.Tensor) -> tf.Tensor:
            position = 0
            for group, (writer, names) in enumerate(structure):
                with writer.as_default():
                    for name in names:
                        tf.summary.write(name, values[row, position], step=steps[row, group], metadata=scalar)
                        position += 1
            return row + 1

        tf.while_loop(lambda row: row < tf.shape(values)[0], one_epoch, [tf.constant(0)])

    return write


@tf.function
def _write(writer, names: tuple[str, ...], values: tf.Tensor, step: tf.Tensor) -> None:
    with writer.as_default():
        for index, name in enumerate(names):
            tf.summary.scalar(name, values[index], step=step)


def write_scalars(writer, names: tuple[str, ...], values, step: int) -> None:
    """Scalars `names` = `values` at `step` through `writer`, in one call of a compiled function."""
    _write(writer, names, tf.constant([float(value) for value in values], tf.float32), tf.constant(step, tf.int64))


def keras_callback(logs: Path) -> keras.callbacks.TensorBoard:
    return EpochTensorBoard(log_dir=str(logs), write_graph=False, update_freq="epoch")


def domain(range_: hp.Range):
    """The TensorBoard HParams domain of a range."""
    if isinstance(range_, hp.Float):
        return hparams_api.RealInterval(float(range_.min_value), float(range_.max_value))
    if isinstance(range_, hp.Int):
        return hparams_api.IntInterval(int(range_.min_value), int(range_.max_value))
    if isinstance(range_, hp.Boolean):
        return hparams_api.Discrete([False, True])
    return hparams_api.Discrete(list(range_.values))


def session_name(recipe_name: str, run: str) -> str:
    """The HParams dashboard's name for a run or a search trial: the recipe's name, then the run's folder (or the
    search's folder and the trial), so that rows from several recipes tell apart without opening recipe.json."""
    return f"{recipe_name}/{run}"


def what_ran(resolved_recipe: dict) -> dict[str, str]:
    """The HParams columns every run and trial has, whatever its kind: the recipe, its kind of learning (the
    technique, for a recipe that declares one) and where its data came from (the environment, for an agent)."""
    kind = next((field for field in TECHNIQUES if resolved_recipe.get(field)), resolved_recipe.get("kind", ""))
    environment = resolved_recipe.get("environment") or {}
    source = environment.get("id") or (resolved_recipe.get("data") or {}).get("source", "")
    return {"recipe": str(resolved_recipe.get("name", "")), "kind": str(kind), "data": str(source)}


def write_run_summaries(
    logs: Path,
    run_id: str,
    resolved_recipe: dict,
    hyperparameters: dict[str, Any],
    test_metrics: dict[str, float],
    final_step: int,
) -> None:
    """Recipe text, this run's HParams session and its test scalars, in `logs/`.

    The session is named `recipe/run` (`session_name`) and holds `what_ran`'s columns (recipe, kind, data)
    beside `hyperparameters` (names to scalar values). Each test metric is a scalar `test_<name>` at
    `final_step` (the last epoch, or an agent's last environment step): the dashboard lists it, and every other
    scalar under this run's logs/ (epoch curves, an agent's returns), as a metric column.

    No `hparams_config` is written: TensorBoard reads one experiment configuration for its whole log folder,
    the first it finds, so under `make tensorboard` (every recipe's runs) one recipe's ranges and metrics would
    decide the columns of all. Without one, TensorBoard takes the columns from every session's values and
    every session's scalars, so an agent's mean return and a classifier's accuracy both show.
    """
    writer = tf.summary.create_file_writer(str(logs))
    with writer.as_default():
        text = "```json\n" + json.dumps(resolved_recipe, indent=2) + "\n```"
        tf.summary.text("recipe", text, step=0)
        hparams_api.hparams({**what_ran(resolved_recipe), **hyperparameters},
                            trial_id=session_name(str(resolved_recipe.get("name", "")), run_id))
        for name, value in test_metrics.items():
            tf.summary.scalar(f"test_{name}", float(value), step=final_step)
    writer.flush()
    writer.close()


def write_pictures(logs: Path, pictures: dict[str, Path], texts: dict[str, str], step: int) -> None:
    """The run's PNG plots as image summaries and Markdown tables as text summaries, in `logs/`."""
    writer = tf.summary.create_file_writer(str(logs))
    with writer.as_default():
        for name, path in pictures.items():
            image = tf.image.decode_png(tf.io.read_file(str(path)), channels=3)
            tf.summary.image(f"plots/{name}", image[tf.newaxis], step=step)
        for name, text in texts.items():
            tf.summary.text(name, text, step=step)
    writer.flush()
    writer.close()
