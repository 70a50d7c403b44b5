"""Speed settings of a recipe: `precision`, `jit_compile` and `steps_per_execution`.

- `precision`: "float32" (default), "mixed_float16" or "mixed_bfloat16". The model is built under
  Keras's mixed-precision policy of that name (`keras.mixed_precision`): layers compute in 16 bits
  and keep float32 weights; the zoo's output layer stays float32, and the loss is computed in
  float32. Under "mixed_float16" Keras wraps the optimizer in a `LossScaleOptimizer`.
- `jit_compile`: `"auto"` (Keras's rule: XLA on GPUs, not on CPU-only machines), `true` or `false`.
  Keras compiles nothing with XLA while TensorFlow's op determinism is on (it warns and goes on
  without), so a recipe that asks for `true` runs with op determinism off; seeds still fix the
  initial weights and the data order, and env.json records `op_determinism: false`.
- `steps_per_execution`: training steps run in one call into the compiled function (Keras's compile
  argument); callbacks then see one batch in N.

A setting the hardware cannot run is refused before anything is read or written; what was used
goes to env.json (`speed`) and the console. Their values are checked with every other number
(engine.recipe.validation). `python -m benchmarks.speed` measures each on this machine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras
import tensorflow as tf

from engine.errors import RecipeError


def _compute_capability(gpu) -> tuple[int, int] | None:
    try:
        return tf.config.experimental.get_device_details(gpu).get("compute_capability")
    except (ValueError, RuntimeError):
        return None


def compute_capabilities() -> list[tuple[int, int]]:
    """The compute capability of each GPU TensorFlow sees (none on a CPU-only machine)."""
    found = [_compute_capability(gpu) for gpu in tf.config.list_physical_devices("GPU")]
    return [tuple(capability) for capability in found if capability is not None]


def check_hardware(precision: str, strategy_name: str) -> None:
    """Refuse a precision the chosen devices cannot compute in.

    CPUs run both 16-bit types (without AVX-512 BF16 or AMX, bfloat16 is emulated and slower than
    float32: benchmarks.speed shows by how much). TPUs compute in bfloat16, not float16. NVIDIA GPUs
    have bfloat16 arithmetic from compute capability 8.0 (Ampere) on.
    """
    if precision == "mixed_float16" and strategy_name == "tpu":
        raise RecipeError("precision='mixed_float16' cannot run on a TPU, which computes in bfloat16. "
                          "Use precision='mixed_bfloat16' there.")
    if precision != "mixed_bfloat16" or strategy_name not in ("gpu", "mirrored", "multi_worker"):
        return
    for gpu in tf.config.list_physical_devices("GPU"):
        capability = _compute_capability(gpu)
        if capability is not None and tuple(capability) < (8, 0):
            raise RecipeError(
                f"precision='mixed_bfloat16' needs a GPU of compute capability 8.0 or more (Ampere); "
                f"{gpu.name} has {capability[0]}.{capability[1]}. Use precision='mixed_float16' on this GPU."
            )


def set_op_determinism(jit_compile: Any) -> None:
    """TensorFlow's deterministic ops on, except when XLA is asked for, since Keras then skips XLA.

    The switch is global to the process, so it is set both ways: a search whose trials differ in
    `jit_compile` gets each trial's own setting.
    """
    from tensorflow.python.framework import config

    if jit_compile is True:
        config.disable_op_determinism()
    else:
        config.enable_op_determinism()


@contextlib.contextmanager
def precision_policy(precision: str) -> Iterator[None]:
    """Build layers under the `precision` policy, then put the global policy back."""
    before = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.mixed_precision.set_dtype_policy(before)


def check_precision_applied(model: keras.Model, precision: str) -> None:
    """Under mixed precision some layer must compute in 16 bits (a model loaded from a file keeps the policy it
    was saved with), and the outputs, so the loss, must stay float32 as the zoo's heads do."""
    if precision == "float32":
        return
    computing = {layer.dtype_policy.compute_dtype for layer in model._flatten_layers(include_self=False)
                 if layer.weights and not isinstance(layer, keras.Model)}
    if computing and computing <= {"float32"}:
        raise RecipeError(
            f"precision={precision!r} did not reach the model: every layer computes in float32 (pretrained "
            "weights load with the float32 policy they were saved with). Train this model with precision='float32'."
        )
    outputs = model.outputs if isinstance(model.outputs, list) else [model.outputs]
    low = [str(output.dtype) for output in outputs if str(output.dtype) != "float32"]
    if low:
        raise RecipeError(
            f"Under precision={precision!r} the model's output is {low[0]}, so the softmax and the loss would be "
            "computed in 16 bits. Give the builder's last layer dtype='float32' (for example "
            "keras.layers.Dense(num_classes, activation=..., dtype='float32')), as the zoo's models do."
        )


def compile_options(recipe) -> dict[str, Any]:
    """`model.compile` arguments from a resolved recipe's speed settings."""
    return {"jit_compile": recipe.jit_compile, "steps_per_execution": recipe.steps_per_execution or 1}


def check_compiled(model: keras.Model, jit_compile: Any) -> None:
    """Refuse `jit_compile=true` that Keras turned off (a layer XLA cannot compile), instead of ignoring it."""
    if jit_compile is True and not model.jit_compile:
        layers = [layer.name for layer in model._flatten_layers() if not getattr(layer, "supports_jit", True)]
        raise RecipeError(
            f"jit_compile=true cannot be honoured: XLA cannot compile the layers {layers or '(see Keras warning)'} "
            "of this model. Set jit_compile to \"auto\" or false."
        )


def describe(model: keras.Model, precision: str) -> dict[str, Any]:
    """What the compiled model really uses, for env.json."""
    return {"precision": precision, "dtype_policy": model.dtype_policy.name, "jit_compile": bool(model.jit_compile),
            "steps_per_execution": int(model.steps_per_execution), "optimizer": type(model.optimizer).__name__,
            "op_determinism": bool(_op_determinism())}


def summary(model: keras.Model) -> str:
    """The same, in a few words for the console: "float32, XLA off"."""
    steps = int(model.steps_per_execution)
    return (f"{model.dtype_policy.name}, XLA {'on' if model.jit_compile else 'off'}"
            + (f", {steps} steps per execution" if steps > 1 else ""))


def _op_determinism() -> bool:
    from tensorflow.python.framework import config

    return bool(config.is_op_determinism_enabled())
