"""What a run cost: parameters, estimated FLOPs, time per epoch, throughput and peak memory."""

from __future__ import annotations

import logging
import resource
import sys
import time
from typing import Any

import keras
import tensorflow as tf

# Training costs about three forward passes per sample: the forward pass, plus a backward
# pass of about twice its cost (the rule of thumb of Kaplan et al., 2020, "Scaling Laws for
# Neural Language Models", section 2.1).
TRAINING_FORWARD_MULTIPLE = 3


class EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch, validation included."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._started)


def forward_flops(model: keras.Model, input_shape: tuple[int, ...]) -> int | None:
    """Floating-point operations of one forward pass on one sample, counted by TensorFlow's profiler.

    Returns None where the profiler cannot count the model (it reads a frozen TF graph).
    """
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    @tf.autograph.experimental.do_not_convert
    def forward(inputs):
        return model(inputs, training=False)

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)  # the v1 profiler warns that it is v1; the count is what we need
    try:
        function = tf.function(forward).get_concrete_function(tf.TensorSpec([1, *input_shape], tf.float32))
        graph = convert_variables_to_constants_v2(function).graph
        options = (tf.compat.v1.profiler.ProfileOptionBuilder(tf.compat.v1.profiler.ProfileOptionBuilder
                                                              .float_operation()).with_empty_output().build())
        info = tf.compat.v1.profiler.profile(graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op",
                                             options=options)
        return int(info.total_float_ops) or None
    except Exception:  # noqa: BLE001 - an estimate we can do without
        return None
    finally:
        logger.setLevel(level)


def peak_memory_bytes() -> int:
    """The process's peak resident memory so far (ru_maxrss: kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def measure(model: keras.Model, input_shape: tuple[int, ...], timer: EpochTimer, train_samples: int,
            train_seconds: float) -> dict[str, Any]:
    """The cost figures of a finished run."""
    flops = forward_flops(model, input_shape)
    epochs = len(timer.seconds)
    return {
        "parameters": int(model.count_params()),
        "trainable_parameters": int(sum(int(tf.size(weight)) for weight in model.trainable_weights)),
        "forward_flops_per_sample": flops,
        "training_flops_per_sample_estimate": None if flops is None else TRAINING_FORWARD_MULTIPLE * flops,
        "seconds_per_epoch": timer.seconds,
        "mean_seconds_per_epoch": sum(timer.seconds) / epochs if epochs else None,
        "train_seconds": train_seconds,
        "train_samples_per_second": train_samples * epochs / train_seconds if train_seconds > 0 else None,
        "peak_memory_bytes": peak_memory_bytes(),
    }
