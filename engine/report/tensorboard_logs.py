"""What a run writes to TensorBoard beyond Keras's own callback.

Keras's `TensorBoard` callback writes per-epoch scalars (loss, metrics, learning rate) to
`logs/train` and `logs/validation`. This module adds, at the top of `logs/`: the resolved
recipe as text, the run's hyperparameters for the HParams dashboard, and the final test
metrics as scalars that the dashboard lists beside them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf
from tensorboard.plugins.hparams import api as hparams_api

from engine.recipe import hp


class EpochTensorBoard(keras.callbacks.TensorBoard):
    """Keras's TensorBoard callback, its event files flushed at every epoch end.

    Keras flushes when fit ends (or every two minutes): a run killed before would lose the
    epochs it logged, and a resumed run's curves would have a gap (engine.run.resume).
    """

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_end(epoch, logs)
        for writer in getattr(self, "_writers", {}).values():
            writer.flush()


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


def write_run_summaries(
    logs: Path,
    run_id: str,
    resolved_recipe: dict,
    hyperparameters: dict[str, Any],
    ranges: dict[str, hp.Range],
    metric_names: list[str],
    test_metrics: dict[str, float],
    final_epoch: int,
) -> None:
    """Recipe text, HParams (configuration and this run's values) and test scalars, in `logs/`.

    `hyperparameters` maps names to scalar values; `ranges` gives the declared domain of
    those that came from `hp` ranges. `metric_names` are Keras's metric names ("loss",
    "accuracy", ...), shown in the dashboard for the validation split and the test split.
    """
    writer = tf.summary.create_file_writer(str(logs))
    ranges_by_name = {range_.name: range_ for range_ in ranges.values()}
    declared = [
        hparams_api.HParam(name, domain(ranges_by_name[name]) if name in ranges_by_name else None)
        for name in hyperparameters
    ]
    metrics = [
        hparams_api.Metric(f"epoch_{name}", group="validation", display_name=f"validation {name}")
        for name in metric_names
    ] + [hparams_api.Metric(f"test_{name}", display_name=f"test {name}") for name in test_metrics]
    with writer.as_default():
        text = "```json\n" + json.dumps(resolved_recipe, indent=2) + "\n```"
        tf.summary.text("recipe", text, step=0)
        hparams_api.hparams_config(hparams=declared, metrics=metrics)
        hparams_api.hparams(hyperparameters, trial_id=run_id)
        for name, value in test_metrics.items():
            tf.summary.scalar(f"test_{name}", float(value), step=final_epoch)
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
