"""`make export`: a run's model with its preprocessing inside, as SavedModel, ONNX or LiteRT, checked for parity.

    python -m engine export runs/<recipe>/<run> --format saved_model|onnx|litert

The artifact takes the raw inputs `make predict` takes (a table's columns by name, raw pixel or signal values as
one float32 array named `features`) and returns class probabilities, or regression values in the target's own
units. Keras 3's `model.export` writes it (`tf_saved_model`, `onnx` through tf2onnx, `litert` through
TensorFlow's TFLite converter, here held to LiteRT's built-in operators so that the plain interpreter runs it).

Parity is checked, not assumed: the artifact is loaded in its own runtime (engine.serve.runtimes) and run on
the run's test split and on generated raw rows (engine.serve.probes: rows near the decision boundary, values
outside the training range, blank and unseen cells of a table), each sent as a user sends it to the artifact
(a blank text cell as ""); its outputs must match what `make predict` computes from the same raw rows (the
Keras model called eagerly) to 1e-5, absolutely, or relatively for outputs larger than 1 (a float32 regression
value of 150 carries 1.5e-5 of rounding by itself; a regressor's output in its target's units, mean + scale * z,
is measured against at least the size of that mean, whose rounding it carries even where it comes out near 0).
A mismatch fails the export, names the case and its figures, and keeps nothing. A passing artifact is moved into
`<run>/export/`, and `export/README.md` records its inputs, outputs, parity by case, size and latency.

A recurrent layer (GRU, LSTM) is unrolled for LiteRT, whose built-in operators have no while loop over
TensorLists; the weights are the same, and parity is checked as for any model.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import suggestion
from common.files import write_json, write_text
from common.text import timestamp
from engine.serve.inputs import table_inputs
from engine.serve.layers import serving_model
from engine.serve.predict import run_eagerly
from engine.serve.probes import probe_rows
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
        raise ServeError(f"The export format (FORMAT= with make export, --format with python -m engine export) must "
                         f"be one of {', '.join(FORMATS)}. Received: {format_name!r}. "
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
                         f"{TABLE_LIMITS[format_name]}. Export it as saved_model (make export FORMAT=saved_model, or "
                         "--format saved_model), which keeps every preprocessing layer, or predict with make predict.")


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
    probes = _probes(served, model)
    target = folder / "export" / FORMATS[format_name][0]
    created = not target.parent.exists()
    target.parent.mkdir(exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".exporting-") as scratch:
            artifact = Path(scratch) / target.name
            _convert(model, artifact, format_name)
            entry = _check_and_measure(artifact, format_name, probes, served)
            _move_into_place(artifact, target)
    finally:
        if created and not any(target.parent.iterdir()):
            target.parent.rmdir()
    _record(folder, format_name, entry)
    return target


@dataclass
class Probed:
    """One case of raw rows: as predict reads them, as a user sends them to the artifact, and predict's outputs."""

    case: str
    read: dict[str, np.ndarray]
    sent: dict[str, np.ndarray]
    reference: np.ndarray


def _probes(served: Served, model) -> list[Probed]:
    """The test split first (its rows also time the artifact), then every generated case of engine.serve.probes."""
    raw, _ = raw_test_split(served.recipe)

    def read(rows) -> dict[str, np.ndarray]:
        if served.is_table:
            return table_inputs(served, rows).features
        return {"features": np.asarray(rows, dtype="float32")}

    def predicted(rows) -> np.ndarray:
        features = read(rows)
        return run_eagerly(model, features if served.is_table else features["features"])

    imputes = any(step["name"] == "impute" for step in served.state["steps"])
    return [Probed(probe.case, read(probe.rows), _sent(read(probe.rows), probe.rows), predicted(probe.rows))
            for probe in probe_rows(raw, predicted, served.classification, imputes)]


def _sent(read: dict[str, np.ndarray], rows) -> dict[str, np.ndarray]:
    """The rows as a user sends them to the artifact: a table's blank text cell as "" (a string tensor holds no
    NaN), where predict reads the empty cell of a CSV; everything else as predict reads it."""
    sent = dict(read)
    for name, value in read.items():
        if value.dtype == object:
            series = rows[name].astype(object)
            sent[name] = np.asarray(series.where(series.notna(), "").astype(str).to_numpy(), dtype=object)
            sent[name] = sent[name].reshape(value.shape)
    return sent


def _convert(model, artifact: Path, format_name: str) -> None:
    import tensorflow as tf

    options: dict[str, Any] = {"verbose": False}
    if format_name == "litert":  # built-in operators only: what the plain LiteRT interpreter runs
        options["target_spec"] = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]}
        model = unrolled(model)
    try:
        model.export(str(artifact), format=FORMATS[format_name][1], **options)
    except Exception as error:  # noqa: BLE001 - converters raise many types; the message names the cause
        raise ExportFailed(f"the {format_name} converter failed: {type(error).__name__}: "
                           f"{str(error).strip().splitlines()[-1] if str(error).strip() else ''}") from error


def unrolled(model):
    """The model with every recurrent layer unrolled over its (fixed) sequence length, same weights. A rolled GRU
    or LSTM becomes a while loop over TensorList ops, which the TFLite converter cannot lower to built-in
    operators ("Lowering tensor list ops is failed"); unrolled, it is plain matrix products. Other layers are
    reused as they are; the parity check then compares the artifact with make predict as for any model."""
    import keras

    replaced = []

    def clone(layer):
        if isinstance(layer, keras.Model):
            return unrolled(layer)
        config = layer.get_config()
        if config.get("unroll") is False:
            fresh = layer.__class__.from_config({**config, "unroll": True})
            replaced.append((fresh, layer))
            return fresh
        return layer

    def rolled(model) -> bool:
        return any(rolled(layer) if isinstance(layer, keras.Model) else layer.get_config().get("unroll") is False
                   for layer in model.layers)

    if not rolled(model):
        return model
    copy = keras.models.clone_model(model, clone_function=clone)
    for fresh, original in replaced:
        fresh.set_weights(original.get_weights())
    return copy


def compare(reference: np.ndarray, outputs: np.ndarray, floor: float = 1.0) -> dict[str, float]:
    """Max absolute and max relative (to max(floor, |reference|)) differences, and whether they pass."""
    reference = np.asarray(reference, dtype="float64")
    outputs = np.asarray(outputs, dtype="float64").reshape(reference.shape)
    difference = np.abs(outputs - reference)
    scaled = difference / np.maximum(floor, np.abs(reference))
    return {"max_abs_diff": float(difference.max()), "max_scaled_diff": float(scaled.max()),
            "tolerance": TOLERANCE, "floor": floor, "samples": int(len(reference)),
            "passed": bool(scaled.max() <= TOLERANCE)}


def _floor(served: Served) -> float:
    """The smallest magnitude a difference is measured against: 1, or for a regressor answering in its target's
    units, the size of the target's mean. Such an output is mean + scale * z, so one near zero still carries
    the float32 rounding of numbers as large as the mean (diabetes: a mean of 152, one ulp 1.5e-5)."""
    target = served.state.get("target")
    if served.classification or not target:
        return 1.0
    return max(1.0, float(np.max(np.abs(np.asarray(target["mean"], dtype="float64")))))


def _parity(runtime, format_name: str, probes: list[Probed], served: Served) -> dict[str, Any]:
    """Every case through the artifact against predict's outputs; the first case that fails stops the export."""
    cases = {}
    for probe in probes:
        try:
            outputs = run_in_batches(runtime, probe.sent)
        except Exception as error:  # noqa: BLE001 - each runtime raises its own types
            raise ExportFailed(f"the {format_name} artifact could not take the case {probe.case!r} in its runtime: "
                               f"{type(error).__name__}: {error}") from error
        if outputs.size != probe.reference.size:
            raise ExportFailed(f"the {format_name} artifact returned outputs shaped {outputs.shape} for the case "
                               f"{probe.case!r}; make predict's are shaped {probe.reference.shape}.")
        parity = compare(probe.reference, outputs, _floor(served))
        if not parity["passed"]:
            raise ExportFailed(
                f"parity failed for {format_name} on the case {probe.case!r} ({parity['samples']} rows): max "
                f"|difference| from make predict {parity['max_abs_diff']:.3g}, relative to "
                f"max({parity['floor']:g}, |its output|) {parity['max_scaled_diff']:.3g}, over the tolerance "
                f"{TOLERANCE:g}. Nothing was kept.")
        cases[probe.case] = parity
    return {"max_abs_diff": max(case["max_abs_diff"] for case in cases.values()),
            "max_scaled_diff": max(case["max_scaled_diff"] for case in cases.values()),
            "tolerance": TOLERANCE, "floor": _floor(served), "samples": sum(case["samples"] for case in cases.values()),
            "passed": True,
            "cases": {case: parity["samples"] for case, parity in cases.items()}}


def _check_and_measure(artifact: Path, format_name: str, probes: list[Probed], served: Served) -> dict[str, Any]:
    try:
        runtime = load_runtime(format_name, artifact)
    except Exception as error:  # noqa: BLE001 - each runtime raises its own types
        raise ExportFailed(f"the {format_name} artifact could not be loaded in its runtime: {type(error).__name__}: "
                           f"{error}") from error
    parity = _parity(runtime, format_name, probes, served)
    features = probes[0].sent
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
