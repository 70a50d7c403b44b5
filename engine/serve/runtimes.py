"""An exported artifact loaded in its own runtime: TensorFlow (SavedModel), ONNX Runtime (ONNX), LiteRT.

Each `Runtime` takes the serving model's inputs (one float32 array named `features`, or a table's columns by
name) and returns the single output as a NumPy array; it also says what the artifact itself declares as its
inputs and outputs (names, dtypes, shapes), and times itself. The export packages are imported only here, so
the core project runs without them (`pip install -e ".[export]"` brings them).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

Features = dict[str, np.ndarray]


@dataclass
class Runtime:
    """A loaded artifact: `run` maps named inputs to the output; `inputs`/`outputs` as (name, dtype, shape)."""

    name: str
    run: Callable[[Features], np.ndarray]
    inputs: list[tuple[str, str, list]]
    outputs: list[tuple[str, str, list]]


def _shape(shape: Any) -> list:
    return [None if size is None or (isinstance(size, int) and size < 0) or isinstance(size, str) else int(size)
            for size in shape]


def saved_model_runtime(path: Path) -> Runtime:
    """tf.saved_model.load and its `serving_default` signature, the one TensorFlow Serving calls."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    if "serving_default" not in loaded.signatures:
        raise RuntimeError(f"the SavedModel at {path} has no serving_default signature "
                           f"(it has {sorted(loaded.signatures)}).")
    function = loaded.signatures["serving_default"]
    specs = function.structured_input_signature[1]
    outputs = function.structured_outputs

    def run(features: Features) -> np.ndarray:
        result = function(**{name: tf.constant(value) for name, value in features.items()})
        return np.asarray(next(iter(result.values())))

    return Runtime("TensorFlow " + tf.__version__ + " (tf.saved_model.load, serving_default)", run,
                   [(name, spec.dtype.name, _shape(spec.shape.as_list())) for name, spec in sorted(specs.items())],
                   [(name, spec.dtype.name, _shape(spec.shape.as_list())) for name, spec in outputs.items()])


def onnx_runtime(path: Path) -> Runtime:
    """An onnxruntime.InferenceSession on the CPU execution provider."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [node.name for node in session.get_inputs()]

    def run(features: Features) -> np.ndarray:
        if len(names) == 1 and len(features) == 1:
            feed = {names[0]: next(iter(features.values()))}
        else:
            feed = {name: features[name] for name in names}
        return np.asarray(session.run(None, feed)[0])

    def described(nodes) -> list[tuple[str, str, list]]:
        return [(node.name, node.type.removeprefix("tensor(").removesuffix(")"), _shape(node.shape)) for node in nodes]

    return Runtime(f"ONNX Runtime {onnxruntime.__version__} (CPUExecutionProvider)", run,
                   described(session.get_inputs()), described(session.get_outputs()))


def litert_runtime(path: Path) -> Runtime:
    """The LiteRT interpreter (ai-edge-litert) and the model's signature runner."""
    from ai_edge_litert import interpreter as litert

    interpreter = litert.Interpreter(model_path=str(path))
    signature = next(iter(interpreter.get_signature_list()))
    runner = interpreter.get_signature_runner(signature)
    input_details, output_details = runner.get_input_details(), runner.get_output_details()
    names = list(input_details)

    def run(features: Features) -> np.ndarray:
        if len(names) == 1 and len(features) == 1:
            feed = {names[0]: next(iter(features.values()))}
        else:
            feed = {name: features[name] for name in names}
        return np.asarray(next(iter(runner(**feed).values())))

    def described(details: dict) -> list[tuple[str, str, list]]:
        return [(name, np.dtype(detail["dtype"]).name, _shape(detail["shape_signature"].tolist()))
                for name, detail in details.items()]

    version = getattr(litert, "__version__", "") or _package_version("ai-edge-litert")
    return Runtime(f"LiteRT interpreter, ai-edge-litert {version} (signature {signature!r})", run,
                   described(input_details), described(output_details))


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


LOADERS = {"saved_model": saved_model_runtime, "onnx": onnx_runtime, "litert": litert_runtime}


def load_runtime(format_name: str, path: Path) -> Runtime:
    return LOADERS[format_name](path)


def run_in_batches(runtime: Runtime, features: Features, batch: int = 256) -> np.ndarray:
    count = len(next(iter(features.values())))
    return np.concatenate([runtime.run({name: value[start:start + batch] for name, value in features.items()})
                           for start in range(0, count, batch)])


def median_latency(runtime: Runtime, features: Features, batch: int, repeats: int) -> float:
    """Median seconds of one call on the first `batch` samples (repeated when the split has fewer), after one
    call to warm up."""
    part = {name: np.resize(value, (batch, *value.shape[1:])) for name, value in features.items()}
    runtime.run(part)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        runtime.run(part)
        times.append(time.perf_counter() - started)
    return statistics.median(times)
