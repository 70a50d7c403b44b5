"""Choosing a tf.distribute strategy for the hardware that is really there.

`auto` picks, in order: a TPU (when the environment names one), several workers (when
TF_CONFIG names more than one task), several GPUs (mirrored), one GPU, the CPU. Asking by
name for hardware that is absent is a RecipeError, never a silent fallback.

Call `choose_strategy` before anything else touches TensorFlow's devices: splitting the
CPU into logical devices (`strategy="mirrored", replicas=2` on a machine without GPUs)
is only possible before the runtime starts, and MultiWorkerMirroredStrategy must be created
before any other TensorFlow operation.

On one device (`cpu`, `gpu`) the model trains under TensorFlow's default strategy, with no wrapper:
`OneDeviceStrategy` costs about 2x per epoch on a small model (benchmarks.overhead measures it) and buys
nothing there. `cpu` on a machine with a GPU is the exception: it pins the model to the CPU.

`multi_worker` reads the cluster from TF_CONFIG (`make recipe WORKERS=2` writes one per worker
process on 127.0.0.1, see engine.distribute.multi_worker) and installs the Keras work-arounds of
engine.distribute.compat first.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import tensorflow as tf

from engine.errors import RecipeError

NAMES = ("auto", "cpu", "gpu", "mirrored", "multi_worker", "tpu")
# Environment variables through which TPU hosts announce themselves; without one of them
# the TPU resolver is not asked, since on other machines it may wait on a metadata server.
TPU_HINTS = ("TPU_NAME", "COLAB_TPU_ADDR", "TPU_WORKER_ID", "TPU_ACCELERATOR_TYPE")


@dataclass
class Chosen:
    """The strategy, its name and the devices its replicas run on."""

    strategy: tf.distribute.Strategy
    name: str
    devices: list[str] = field(default_factory=list)
    workers: int = 1
    task_index: int = 0
    # False on one device, where the model trains under TensorFlow's default strategy: a OneDeviceStrategy
    # there costs about 2x per epoch on a small model and buys nothing.
    wrapped: bool = True

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)

    @property
    def is_chief(self) -> bool:
        """Whether this process writes the run folder: always, except on the other workers of a cluster."""
        return bool(self.strategy.extended.should_checkpoint)

    @property
    def multi_worker(self) -> bool:
        return isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy) and self.workers > 1

    def describe(self) -> dict:
        kind = type(self.strategy).__name__ if self.wrapped else "default (no wrapper)"
        described = {"name": self.name, "class": kind, "replicas": self.replicas,
                     "devices": self.devices, "workers": self.workers}
        if self.name == "multi_worker":
            described["task_index"] = self.task_index
        return described


def _tf_config() -> dict:
    text = os.environ.get("TF_CONFIG", "")
    if not text:
        return {}
    try:
        config = json.loads(text)
        if not isinstance(config.get("cluster"), dict):
            raise AttributeError
    except (json.JSONDecodeError, AttributeError):
        raise RecipeError("TF_CONFIG is set but is not valid JSON with a `cluster` entry.") from None
    return config


def _worker_count() -> int:
    return sum(len(tasks) for tasks in _tf_config().get("cluster", {}).values())


def _tpu_announced() -> bool:
    return any(os.environ.get(name) for name in TPU_HINTS)


def pick_name(name: str, replicas: int | None = None) -> str:
    """The strategy name `auto` stands for here (other names are returned as they are)."""
    if name not in NAMES:
        raise RecipeError(f"`strategy` must be one of {', '.join(NAMES)}. Received: strategy={name!r}")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 1):
        raise RecipeError(f"`replicas` must be a whole number >= 1 or null. Received: replicas={replicas!r}")
    gpus = tf.config.list_physical_devices("GPU")
    if name == "auto":
        if _tpu_announced():
            name = "tpu"
        elif _worker_count() > 1:
            name = "multi_worker"
        elif len(gpus) > 1 or (replicas or 1) > 1:
            name = "mirrored"
        elif gpus:
            name = "gpu"
        else:
            name = "cpu"
    return name


def choose_strategy(name: str, replicas: int | None = None) -> Chosen:
    """The strategy `name` asks for, with `replicas` devices where that makes sense."""
    name = pick_name(name, replicas)
    gpus = tf.config.list_physical_devices("GPU")
    if name == "multi_worker" and replicas is not None:
        raise RecipeError(
            f"strategy='multi_worker' runs one replica on each device of each worker; `replicas={replicas}` "
            "does not apply. Leave replicas unset and choose the number of workers (WORKERS=2)."
        )
    if name in ("cpu", "gpu", "tpu") and replicas not in (None, 1):
        raise RecipeError(
            f"strategy={name!r} runs one replica; `replicas={replicas}` needs strategy='mirrored'."
        )
    _grow_gpu_memory(gpus)
    if name == "cpu":
        # With a GPU present, the default strategy would place the model there: pin it to the CPU instead.
        if gpus:
            return Chosen(tf.distribute.OneDeviceStrategy("/cpu:0"), "cpu", ["/cpu:0"])
        return Chosen(tf.distribute.get_strategy(), "cpu", ["/cpu:0"], wrapped=False)
    if name == "gpu":
        if not gpus:
            raise RecipeError(
                "strategy='gpu' needs a GPU, and TensorFlow sees none on this machine. "
                "Use strategy='cpu' (or 'auto'), or install a GPU build of TensorFlow (pip install -e '.[gpu]')."
            )
        return Chosen(tf.distribute.get_strategy(), "gpu", ["/gpu:0"], wrapped=False)
    if name == "mirrored":
        return _mirrored(gpus, replicas)
    if name == "tpu":
        return _tpu()
    return _multi_worker()


def _grow_gpu_memory(gpus: list) -> None:
    """Let TensorFlow take GPU memory as it needs it instead of all of it at start (several runs may share a
    GPU); only possible before the runtime starts, and harmless to skip afterwards."""
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError):
            return


def _multi_worker() -> Chosen:
    from engine.distribute import compat as multi_worker_compat

    config = _tf_config()
    if not config:
        raise RecipeError(
            "strategy='multi_worker' needs TF_CONFIG, the cluster description of each worker process, and "
            "it is not set. On this machine, `make recipe NAME=... WORKERS=2` (python -m engine recipe NAME "
            "--workers 2) starts the workers with their TF_CONFIG; on several machines, set TF_CONFIG on each "
            "(https://www.tensorflow.org/guide/distributed_training#setting_up_the_tf_config_environment_variable)."
        )
    multi_worker_compat.apply()
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    except (RuntimeError, ValueError) as error:
        raise RecipeError(
            f"Cannot start multi-worker training ({error}). TF_CONFIG must describe the cluster and this "
            "task, and the strategy must be created before anything else runs TensorFlow."
        ) from None
    task_index = int(strategy.cluster_resolver.task_id or 0)
    return Chosen(strategy, "multi_worker", list(strategy.extended.worker_devices), workers=_worker_count(),
                  task_index=task_index)


def _mirrored(gpus: list, replicas: int | None) -> Chosen:
    if gpus:
        count = replicas or len(gpus)
        if count > len(gpus):
            raise RecipeError(
                f"strategy='mirrored' with replicas={count} needs {count} GPUs; TensorFlow sees {len(gpus)}."
            )
        devices = [f"/gpu:{index}" for index in range(count)]
        return Chosen(tf.distribute.MirroredStrategy(devices), "mirrored", devices)
    if replicas is None:
        raise RecipeError(
            "strategy='mirrored' needs more than one GPU, and TensorFlow sees none. To exercise it on "
            "the CPU, split the CPU into logical devices with replicas=2; otherwise use strategy='cpu'."
        )
    try:
        tf.config.set_logical_device_configuration(
            tf.config.list_physical_devices("CPU")[0],
            [tf.config.LogicalDeviceConfiguration() for _ in range(replicas)],
        )
    except RuntimeError as error:
        raise RecipeError(
            f"Cannot split the CPU into {replicas} logical devices once TensorFlow has started ({error}). "
            "Choose the strategy before building anything."
        ) from None
    devices = [device.name for device in tf.config.list_logical_devices("CPU")][:replicas]
    return Chosen(tf.distribute.MirroredStrategy(devices), "mirrored", devices)


def _tpu() -> Chosen:
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        raise RecipeError(
            f"strategy='tpu' found no TPU to connect to ({error}). Run on a TPU host, "
            "or choose strategy='auto' or 'cpu'."
        ) from None
    strategy = tf.distribute.TPUStrategy(resolver)
    devices = [device.name for device in tf.config.list_logical_devices("TPU")]
    return Chosen(strategy, "tpu", devices)
