"""`make predict`: a trained run (or a pretrained zoo model) on raw inputs, one CSV row per input.

    python -m engine predict runs/<recipe>/<run> new_rows.csv [--output predictions.csv]
    python -m engine predict digits_cnn images.npz          # a pretrained zoo model

The inputs are what the recipe's data source gave training (engine.serve.inputs says which files), the run's
fitted preprocessing is applied as training applied it, and the model runs as the run's evaluation ran it
(eagerly, in batches of 256), so on the run's own test split the CSV reproduces the test metrics of its
metrics.json exactly. A classifier's CSV has the predicted class name and each class's probability; a
regressor's the predicted value in the target's own units. Everything is checked before the CSV is written,
and it is written under a temporary name and renamed into place.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas

from common.files import atomic_path
from engine.serve.inputs import Inputs, read_inputs
from engine.serve.layers import serving_model
from engine.serve.state import Served, ServeError, load_served

BATCH = 256  # the batch of the run's own evaluation (engine.report.evaluation.predict)


def predict(name: str | Path, input_path: str | Path, output: str | Path = "predictions.csv",
            console=print) -> Path:
    """Predict the inputs at `input_path` with the run folder or zoo model `name`; returns the CSV's path."""
    output = _checked_output(Path(output))
    served = load_served(name)
    for note in served.notes:
        console(f"Note: {note}")
    inputs = read_inputs(served, input_path)
    outputs = run_eagerly(serving_model(served), inputs.features)
    if not np.all(np.isfinite(outputs)):
        rows = np.flatnonzero(~np.isfinite(outputs.reshape(len(outputs), -1)).all(axis=1))
        raise ServeError(f"The model predicts non-finite values for rows {rows[:10].tolist()}; check those inputs.")
    table = prediction_table(served, inputs, outputs)
    with atomic_path(output) as temporary:
        table.to_csv(temporary, index=False)
    return output


def _checked_output(output: Path) -> Path:
    if output.suffix.lower() != ".csv":
        raise ServeError(f"Predictions are written as CSV: give --output a .csv path. Received: {str(output)!r}")
    if output.is_dir() or not output.parent.resolve().is_dir():
        raise ServeError(f"Cannot write {str(output)!r}: its folder does not exist (or it is a folder).")
    return output


def run_eagerly(model, features, batch: int = BATCH) -> np.ndarray:
    """The model's outputs, batch by batch, called directly in inference mode (no tracing, as evaluation does)."""
    count = len(next(iter(features.values()))) if isinstance(features, dict) else len(features)
    results = []
    for start in range(0, count, batch):
        part = {key: value[start:start + batch] for key, value in features.items()} \
            if isinstance(features, dict) else features[start:start + batch]
        results.append(np.asarray(model(part, training=False)))
    return np.concatenate(results)


def class_probabilities(outputs: np.ndarray) -> np.ndarray:
    """One probability per class: a sigmoid unit's p becomes (1 - p, p)."""
    if outputs.ndim == 1 or outputs.shape[1] == 1:
        positive = outputs.reshape(-1)
        return np.stack([1 - positive, positive], axis=1)
    return outputs


def class_predictions(served: Served, outputs: np.ndarray) -> tuple[list[str], list[str], np.ndarray]:
    """A classifier's class names, each sample's predicted class name, and each class's probability per sample
    (what the CSV and `make serve`'s answers hold)."""
    names = served.state["class_names"]
    probabilities = class_probabilities(outputs)
    names = names if len(names) == probabilities.shape[1] else [str(index) for index in range(len(names))]
    # As the evaluation decides: a sigmoid unit at 0.5, otherwise the most probable class.
    chosen = (outputs.reshape(-1) >= 0.5).astype(int) if probabilities is not outputs else outputs.argmax(axis=1)
    return names, [names[index] for index in chosen], probabilities


def prediction_table(served: Served, inputs: Inputs, outputs: np.ndarray) -> pandas.DataFrame:
    """The CSV's rows: the input's name, then the predicted class and its probabilities, or the values."""
    table = pandas.DataFrame({inputs.id_name: inputs.ids})
    if served.classification:
        names, predicted, probabilities = class_predictions(served, outputs)
        table["predicted"] = predicted
        for position, name in enumerate(names):
            table[f"probability_{name}"] = probabilities[:, position]
        return table
    values = served.in_target_units(outputs)
    for position in range(values.shape[1]):
        table["predicted" if values.shape[1] == 1 else f"predicted_{position}"] = values[:, position]
    return table
