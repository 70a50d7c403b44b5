"""export/README.md: what each exported artifact takes and returns, its parity with Keras, size and latency."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.text import markdown_table

LOADING = {
    "saved_model": "`tf.saved_model.load(\"saved_model\").signatures[\"serving_default\"](**inputs)`, or "
                   "TensorFlow Serving",
    "onnx": "`onnxruntime.InferenceSession(\"model.onnx\").run(None, inputs)`",
    "litert": "`ai_edge_litert.interpreter.Interpreter(\"model.tflite\").get_signature_runner()(**inputs)`",
}


def _signature(entries: list) -> str:
    return "; ".join(f"`{name}` {dtype} {[('batch' if size is None else size) for size in shape]}"
                     for name, dtype, shape in entries)


def render(folder: Path, record: dict[str, dict[str, Any]]) -> str:
    """The README of `<run>/export/`, one section per exported format."""
    lines = [
        f"# Exports of {folder.parent.name}/{folder.name}",
        "",
        "Each artifact holds the model with its fitted preprocessing inside: it takes the raw inputs "
        "`make predict` takes, and was checked against `make predict` in its own runtime before it was kept, on "
        "the run's test split and on generated raw rows (near the decision boundary, outside the training range, "
        "blank or unseen cells): max |difference| <= 1e-5, relative to |output| where outputs exceed 1.",
        "",
        *markdown_table(
            ["format", "file", "bytes", "rows checked", "max abs diff", "passed", "1 sample ms", "batch 32 ms"],
            [[name, f"`{entry['file']}`", entry["bytes"], entry["parity"]["samples"],
              f"{entry['parity']['max_abs_diff']:.3g}", "yes" if entry["parity"]["passed"] else "no",
              f"{entry['latency_ms']['1']:.3f}", f"{entry['latency_ms']['32']:.3f}"]
             for name, entry in sorted(record.items())]),
        "",
    ]
    for name, entry in sorted(record.items()):
        lines += [
            f"## {name}", "",
            f"- Load: {LOADING[name]}",
            f"- Inputs: {_signature(entry['inputs'])}",
            f"- Outputs: {_signature(entry['outputs'])}: {entry['output_meaning']}",
            f"- Parity on {entry['parity']['samples']} rows: max |difference| "
            f"{entry['parity']['max_abs_diff']:.3g}, relative {entry['parity']['max_scaled_diff']:.3g} "
            f"(tolerance {entry['parity']['tolerance']:g}); the cases: "
            + "; ".join(f"{case} ({count})" for case, count in entry["parity"].get("cases", {}).items()),
            f"- Size: {entry['bytes']:,} bytes",
            f"- Median latency in {entry['runtime']}: {entry['latency_ms']['1']:.3f} ms for one sample, "
            f"{entry['latency_ms']['32']:.3f} ms for a batch of 32 ({entry['machine']}; exported {entry['exported']})",
            "",
        ]
    return "\n".join(lines)
