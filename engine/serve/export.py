"""`make export`: a run's model with its preprocessing inside, as SavedModel, ONNX or LiteRT, checked for parity.

    python -m engine export runs/<recipe>/<run> --format saved_model|onnx|litert

The artifact takes the raw inputs `make predict` takes (a table's columns by name, raw pixel or signal values as
one float32 array named `features`) and returns class probabilities, or regression values in the target's own
units. Keras 3's `model.export` writes it (`tf_saved_model`, `onnx` through tf2onnx, `litert` through
TensorFlow's TFLite converter, here held to LiteRT's built-in operators so that the plain interpreter runs it).

Parity is checked, not assumed: the artifact is loaded in its own runtime (engine.serve.runtimes) and run on
the run's test split; its outputs must match the Keras model's (called eagerly) to 1e-5, absolutely, or
relatively for outputs larger than 1 (a float32 regression value of 150 carries 1.5e-5 of rounding by
itself). A mismatch fails the export with the figures and keeps nothing. A passing artifact is moved into
`<run>/export/`, and `export/README.md` records its inputs, outputs, parity, size and latency.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import suggestion
from common.text import timestamp
from engine.run.run_folder import write_json, write_text
from engine.serve.inputs import Inputs, _table
from engine.serve.layers import serving_model
from engine.serve.predict import run_eagerly
from engine.serve.runtimes import load_runtime, median_latency, run_in_batches
from engine.serve.state import Served, ServeError, load_served, raw_test_split

# format: (file or folder name under export/, Keras's format name, the packages its runtime needs)
FORMATS = {
    "saved_model": ("saved_model", "tf_saved_model", ()),
    "onnx": ("model.onnx", "onnx", ("tf2onnx", "onnx", "onnxruntime")),
    "litert": ("model.tflite", "litert", ("ai_edge_litert",)),
}
TOLERANCE = 1e-5
RECORD = "exports.json"


class ExportFailed(RuntimeError):
    """The converter failed, or the artifact's outputs did not match the Keras model's; nothing was kept."""


def check_format(format_name: str) -> None:
    """Refuse an unknown format, or one whose packages are not installed, before anything is read."""
    if format_name not in FORMATS:
        raise ServeError(f"`--format` must be one of {', '.join(FORMATS)}. Received: {format_name!r}. "
                         f"{suggestion(format_name, FORMATS)}".strip())
    import importlib.util

    missing = [package for package in FORMATS[format_name][2] if importlib.util.find_spec(package) is None]
    if missing:
        raise ServeError(f"Exporting to {format_name} needs {', '.join(missing)}, from the project's `export` extra: "
                         "pip install -e \".[export]\" (make export installs it).")


# Why a table's feature_space cannot leave TensorFlow today (measured with tf2onnx 1.17, TensorFlow 2.21's
# TFLite converter): its string lookups and its one-hot encoding.
TABLE_LIMITS = {
    "onnx": "tf2onnx cannot convert the StringLookup hash tables of its text columns (LookupTableFindV2: \"Could not "
            "determine table shared name\", onnx/tensorflow-onnx#1867; CategoryEncoding, onnx/tensorflow-onnx#1400)",
    "litert": "the TFLite converter has no built-in operator for the DenseBincount of its one-hot encoding (it "
              "would need TensorFlow Select ops, which the plain LiteRT interpreter does not include)",
}


def _refuse_unsupported(served: Served, format_name: str) -> None:
    """Refuse, before converting, what a converter is known not to handle: a table's feature_space outside TF."""
    if served.is_table and format_name in TABLE_LIMITS:
        raise ServeError(f"A run trained on a table (its feature_space step) cannot be exported to {format_name}: "
                         f"{TABLE_LIMITS[format_name]}. Export it with --format saved_model, which keeps every "
                         "preprocessing layer, or predict with make predict.")


def export(run: str | Path, format_name: str, console=print) -> Path:
    """Export the run folder `run` to `format_name` under `<run>/export/`; returns the artifact's path."""
    check_format(format_name)
    folder = Path(run)
    if not folder.is_dir():
        raise ServeError(f"`make export` takes a run folder, runs/<recipe>/<run>. Received: {str(run)!r} "
                         "(a pretrained zoo model is exported by exporting the run it was published from).")
    served = load_served(folder)
    _refuse_unsupported(served, format_name)
    for note in served.notes:
        console(f"Note: {note}")
    model = serving_model(served, target_units=True)
    features = _test_inputs(served)
    reference = run_eagerly(model, features if served.is_table else features["features"])
    target = folder / "export" / FORMATS[format_name][0]
    created = not target.parent.exists()
    target.parent.mkdir(exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".exporting-") as scratch:
            artifact = Path(scratch) / target.name
            _convert(model, artifact, format_name)
            entry = _check_and_measure(artifact, format_name, features, reference, served)
            _move_into_place(artifact, target)
    finally:
        if created and not any(target.parent.iterdir()):
            target.parent.rmdir()
    _record(folder, format_name, entry)
    return target


def _test_inputs(served: Served) -> dict[str, np.ndarray]:
    """The run's test split as the serving model takes it (columns by name, or one array `features`)."""
    features, _ = raw_test_split(served.recipe)
    inputs = _table(served, features) if served.is_table else Inputs(np.asarray(features, dtype="float32"), [])
    return inputs.features if isinstance(inputs.features, dict) else {"features": inputs.features}


def _convert(model, artifact: Path, format_name: str) -> None:
    import tensorflow as tf

    options: dict[str, Any] = {"verbose": False}
    if format_name == "litert":  # built-in operators only: what the plain LiteRT interpreter runs
        options["target_spec"] = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]}
    try:
        model.export(str(artifact), format=FORMATS[format_name][1], **options)
    except Exception as error:  # noqa: BLE001 - converters raise many types; the message names the cause
        raise ExportFailed(f"the {format_name} converter failed: {type(error).__name__}: "
                           f"{str(error).strip().splitlines()[-1] if str(error).strip() else ''}") from error


def compare(reference: np.ndarray, outputs: np.ndarray) -> dict[str, float]:
    """Max absolute and max relative (to max(1, |reference|)) differences, and whether they pass."""
    reference = np.asarray(reference, dtype="float64")
    outputs = np.asarray(outputs, dtype="float64").reshape(reference.shape)
    difference = np.abs(outputs - reference)
    scaled = difference / np.maximum(1.0, np.abs(reference))
    return {"max_abs_diff": float(difference.max()), "max_scaled_diff": float(scaled.max()),
            "tolerance": TOLERANCE, "samples": int(len(reference)), "passed": bool(scaled.max() <= TOLERANCE)}


def _check_and_measure(artifact: Path, format_name: str, features: dict, reference: np.ndarray,
                       served: Served) -> dict[str, Any]:
    try:
        runtime = load_runtime(format_name, artifact)
        outputs = run_in_batches(runtime, features)
    except Exception as error:  # noqa: BLE001 - each runtime raises its own types
        raise ExportFailed(f"the {format_name} artifact could not be run in its runtime: {type(error).__name__}: "
                           f"{error}") from error
    if outputs.size != reference.size:
        raise ExportFailed(f"the {format_name} artifact returned outputs shaped {outputs.shape}; the Keras model's "
                           f"are shaped {reference.shape}.")
    parity = compare(reference, outputs)
    if not parity["passed"]:
        raise ExportFailed(
            f"parity failed for {format_name} on the {parity['samples']} test samples: max |difference| "
            f"{parity['max_abs_diff']:.3g}, relative to max(1, |Keras output|) {parity['max_scaled_diff']:.3g}, "
            f"over the tolerance {TOLERANCE:g}. Nothing was kept.")
    size = sum(path.stat().st_size for path in artifact.rglob("*") if path.is_file()) if artifact.is_dir() \
        else artifact.stat().st_size
    return {"file": artifact.name, "runtime": runtime.name, "inputs": runtime.inputs, "outputs": runtime.outputs,
            "parity": parity, "bytes": size, "exported": timestamp(),
            "latency_ms": {"1": 1000 * median_latency(runtime, features, 1, 100),
                           "32": 1000 * median_latency(runtime, features, 32, 50)},
            "output_meaning": _output_meaning(served), "machine": f"{platform.processor() or platform.machine()}, "
                                                                  f"{os.cpu_count()} CPU cores"}


def _output_meaning(served: Served) -> str:
    if served.classification:
        names = served.state["class_names"]
        if served.state["output"].get("units") == 1:
            return f"the probability of class {names[-1]!r} (against {names[0]!r}), one sigmoid unit"
        return "one probability per class, in the order " + ", ".join(repr(name) for name in names)
    units = "the target's own units" if served.state.get("target") else "the target's units as given"
    return f"the predicted value(s), in {units}"


def _move_into_place(artifact: Path, target: Path) -> None:
    if target.is_dir():
        old = target.with_name(f".replaced-{target.name}")
        os.replace(target, old)
        os.replace(artifact, target)
        shutil.rmtree(old)
    else:
        os.replace(artifact, target)


def _record(folder: Path, format_name: str, entry: dict[str, Any]) -> None:
    """export/exports.json gains this format's entry, and export/README.md is written again from it."""
    path = folder / "export" / RECORD
    record = json.loads(path.read_text()) if path.is_file() else {}
    record[format_name] = entry
    write_json(path, record)
    from engine.serve.readme import render

    write_text(folder / "export" / "README.md", render(folder, record))
