"""`make predict`: a trained run (or a pretrained zoo model) on raw inputs, one CSV row per input.

    python -m engine predict runs/<recipe>/<run> new_rows.csv [--output predictions.csv]
    python -m engine predict digits_cnn images.npz          # a pretrained zoo model

Without --output (make predict's OUTPUT=) the CSV goes into the run folder, `<run>/predictions/<input name>.csv`
(for a zoo model, `predictions/<model>/<input name>.csv`), and the console says where.

The inputs are what the recipe's data source gave training (engine.serve.inputs says which files), the run's
fitted preprocessing is applied as training applied it, and the model runs as the run's evaluation ran it
(eagerly, in batches of 256), so on the run's own test split the CSV reproduces the test metrics of its
metrics.json exactly. A classifier's CSV has the predicted class name and each class's probability; a
regressor's the predicted value in the target's own units. An input table may hold the target column too (a
held-out file usually does): it is ignored, and the console says so. Everything is checked before the CSV is
written, and it is written under a temporary name and renamed into place.
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


def predict(name: str | Path, input_path: str | Path, output: str | Path | None = None,
            console=print) -> Path:
    """Predict the inputs at `input_path` with the run folder or zoo model `name`; returns the CSV's path
    (`output`, or by default `default_output`'s)."""
    chosen = _checked_output(Path(output)) if output is not None else None
    served = load_served(name)
    for note in served.notes:
        console(f"Note: {note}")
    inputs = read_inputs(served, input_path)
    for column in inputs.ignored:
        console(f"Note: the input's column {column!r} is the target the model was trained to predict; it is "
                "ignored (the predictions never read it).")
    outputs = run_eagerly(serving_model(served), inputs.features)
    if not np.all(np.isfinite(outputs)):
        rows = np.flatnonzero(~np.isfinite(outputs.reshape(len(outputs), -1)).all(axis=1))
        raise ServeError(f"The model predicts non-finite values for rows {rows[:10].tolist()}; check those inputs.")
    table = prediction_table(served, inputs, outputs)
    output = chosen or default_output(served, input_path)
    output.parent.mkdir(parents=True, exist_ok=True)  # every check has passed: now something may be written
    with atomic_path(output) as temporary:
        table.to_csv(temporary, index=False)
    return output


def default_output(served: Served, input_path: str | Path) -> Path:
    """Where predictions go without `--output` (OUTPUT=): `<run>/predictions/<input's name>.csv`, beside the model
    that made them, so that they keep their provenance and predicting with another run, or from another folder,
    overwrites nothing; for a zoo model, which has no run folder, `predictions/<model>/<input's name>.csv` under
    the current folder."""
    stem = Path(input_path).stem or "predictions"
    folder = served.folder / "predictions" if served.folder is not None else Path("predictions") / served.name
    return folder / f"{stem}.csv"


def _checked_output(output: Path) -> Path:
    if output.suffix.lower() != ".csv":
        raise ServeError(f"Predictions are written as CSV: give OUTPUT= (make predict) or --output (python -m engine "
                         f"predict) a .csv path. Received: {str(output)!r}")
    if output.is_dir() or not output.parent.resolve().is_dir():
        raise ServeError(f"Cannot write {str(output)!r} (OUTPUT= or --output): its folder does not exist (or it is a "
                         "folder).")
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
