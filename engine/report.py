"""report.md: what a person reads first about a run."""

from __future__ import annotations

import json
from typing import Any


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def render_report(summary: dict[str, Any]) -> str:
    """Markdown for one finished run; `summary` is assembled by engine.training."""
    recipe, metrics, env = summary["recipe"], summary["metrics"], summary["env"]
    names = list(metrics["test"])
    lines = [
        f"# {recipe['name']}: run {summary['run_id']}",
        "",
        recipe.get("description", "").strip().splitlines()[0] if recipe.get("description") else "",
        "",
        "## Results",
        "",
        "| metric | validation | test |",
        "|---|---|---|",
        *[f"| {name} | {_number(metrics['validation'].get(name, ''))} | {_number(metrics['test'][name])} |"
          for name in names],
        "",
        *_target_lines(recipe.get("targets", {}), metrics["test"]),
        f"Trained {summary['epochs_run']} of {recipe['epochs']} epochs in {summary['train_seconds']:.1f} s "
        f"({summary['stopped_by'] or 'ran every epoch'}).",
        "",
        "## Data",
        "",
        f"Source `{recipe['data']['source']}` ({summary['task']}), split with seed {recipe['seed']}:",
        "",
        "| split | samples |" + (" samples per class |" if summary["class_counts"] else ""),
        "|---|---|" + ("---|" if summary["class_counts"] else ""),
    ]
    for split, size in summary["sizes"].items():
        counts = summary["class_counts"].get(split)
        lines.append(f"| {split} | {size} |" + (f" {counts} |" if counts is not None else ""))
    steps = ", ".join(step["name"] for step in recipe["data"]["preprocessing"]) or "none"
    lines += [
        "",
        f"Preprocessing (fitted on the training split): {steps}.",
        "",
        "## Model and training",
        "",
        f"- Model: `{recipe['model']['name'] or recipe['model']['builder']}` with {summary['parameters']:,} "
        f"parameters; output layer of {summary['output']['units']} units, {summary['output']['activation']}.",
        f"- Loss `{json.dumps(recipe['loss'])}`, optimizer `{json.dumps(recipe['optimizer'])}`.",
        f"- Batch size {recipe['batch_size']} per replica, {env['strategy']['replicas']} replica(s) "
        f"under the `{env['strategy']['name']}` strategy on {', '.join(env['strategy']['devices'])}.",
        f"- Hyperparameters ({env.get('hyperparameters_from', 'recipe defaults')}): "
        f"{', '.join(f'{key}={value}' for key, value in summary['hyperparameters'].items())}.",
        "",
        "## Files",
        "",
        "- `model.keras`: the trained model (`keras.saving.load_model`).",
        "- `metrics.json`: test and validation metrics; `history.csv`: per-epoch training history.",
        "- `recipe.json`: the resolved recipe; `make recipe NAME=<this folder>/recipe.json` repeats the run.",
        "- `env.json`: versions, strategy, devices and seed.",
        "- `logs/`: TensorBoard (`make tensorboard`).",
        "",
    ]
    return "\n".join(lines)


def target_verdicts(targets: dict[str, float], test_metrics: dict[str, float]) -> dict[str, bool]:
    """Whether each declared target (a lower bound on a test metric) was met."""
    return {name: name in test_metrics and test_metrics[name] >= bound for name, bound in targets.items()}


def _target_lines(targets: dict[str, float], test_metrics: dict[str, float]) -> list[str]:
    if not targets:
        return []
    verdicts = target_verdicts(targets, test_metrics)
    parts = [
        f"test {name} >= {bound}: {'met' if verdicts[name] else 'NOT met'}"
        f" ({_number(test_metrics[name]) if name in test_metrics else 'not measured'})"
        for name, bound in targets.items()
    ]
    return ["Targets: " + "; ".join(parts) + ".", ""]
