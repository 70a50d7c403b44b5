"""Time to target: when the validation metric first reached the recipe's target, as DAWNBench ranks runs.

A recipe's `targets` are lower bounds on test metrics ({"accuracy": 0.98}); the same metric on the
validation split is in each epoch's logs (`val_accuracy`), and history.csv keeps each epoch's wall
seconds (validation included). The first epoch whose validation value reaches the bound gives the
epoch and the seconds of training up to its end (epochs of earlier processes included after a resume).
A target whose metric Keras does not log per epoch (one computed by scikit-learn after training,
such as `r2`) has no time to target, and says so.
"""

from __future__ import annotations

from typing import Any


def time_to_target(rows: list[dict[str, Any]], targets: dict[str, float]) -> dict[str, dict[str, Any]]:
    """For each target, the first epoch and the training seconds at which its validation metric reached it."""
    found = {}
    for name, bound in targets.items():
        key = f"val_{name}"
        entry: dict[str, Any] = {"target": bound, "validation_metric": key, "epoch": None, "seconds": None}
        if not rows or key not in rows[0]:
            entry["reason"] = f"{key} is not logged per epoch"
        else:
            elapsed = 0.0
            for row in rows:
                elapsed += float(row.get("seconds", 0.0))
                if float(row[key]) >= bound:
                    entry.update(epoch=int(row["epoch"]), seconds=round(elapsed, 3))
                    break
            else:
                entry["reason"] = "not reached"
        found[name] = entry
    return found


def time_to_target_lines(found: dict[str, dict[str, Any]]) -> list[str]:
    """One sentence for report.md."""
    if not found:
        return []
    parts = []
    for name, entry in found.items():
        if entry["epoch"] is None:
            parts.append(f"validation {name} >= {entry['target']}: {entry['reason']}")
        else:
            parts.append(f"validation {name} >= {entry['target']} at epoch {entry['epoch']}, "
                         f"after {entry['seconds']:.1f} s of training")
    return ["Time to target: " + "; ".join(parts) + ".", ""]
