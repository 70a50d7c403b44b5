"""report.md: what a person reads first about a run."""

from __future__ import annotations

import json
from typing import Any


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "n/a" if value is None else str(value)


def classification_report_markdown(evaluation) -> str:
    """scikit-learn's classification report as a Markdown table (per class, then the averages)."""
    report = evaluation.figures["classification_report"]
    lines = ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for name, row in report.items():
        if isinstance(row, dict):
            lines.append(f"| {name} | {row['precision']:.4f} | {row['recall']:.4f} | {row['f1-score']:.4f} "
                         f"| {int(row['support'])} |")
    total = sum(map(sum, evaluation.figures["confusion_matrix"]))
    lines.append(f"| accuracy | | | {report['accuracy']:.4f} | {total} |")
    return "\n".join(lines)


def _assessment_lines(summary: dict[str, Any]) -> list[str]:
    assessment, task = summary["assessment"], summary["task"]
    lines = ["## Evaluation on the test split (scikit-learn)", ""]
    evaluation = assessment.evaluation
    if evaluation is None:
        lines += [f"Not possible: {assessment.evaluation_error}.", ""]
    elif task == "classification":
        lines += [classification_report_markdown(evaluation), ""]
        if "roc_auc" in evaluation.figures:
            lines += [f"ROC AUC {evaluation.figures['roc_auc']:.4f}; PR AUC (average precision) "
                      f"{evaluation.figures['pr_auc']:.4f}.", ""]
    else:
        figures = evaluation.figures
        lines += ["| MSE | RMSE | MAE | R^2 |", "|---|---|---|---|",
                  f"| {figures['mse']:.4f} | {figures['rmse']:.4f} | {figures['mae']:.4f} | {figures['r2']:.4f} |",
                  "", f"In {figures['units']}.", ""]
    base = assessment.baseline
    if task == "classification":
        lines += [f"Easy baseline ({base['kind']}): test accuracy {base['accuracy']:.4f}.", ""]
    else:
        lines += [f"Easy baseline ({base['kind']}): test MSE {base['mse']:.4f}, MAE {base['mae']:.4f}, "
                  f"R^2 {base['r2']:.4f}.", ""]
    lines += ["## Diagnosis", ""]
    problems = [finding for finding in assessment.findings if finding.problem]
    if not problems:
        lines += ["No divergence, overfitting or underfitting found.", ""]
    lines += [f"- **{finding.kind}**{' (problem)' if finding.problem else ''}: {finding.evidence}. "
              f"Remedy: {finding.remedy}." for finding in assessment.findings]
    cost = assessment.cost
    flops = cost["training_flops_per_sample_estimate"]
    lines += [
        "", "## Cost", "",
        f"- Parameters: {cost['parameters']:,} ({cost['trainable_parameters']:,} trainable).",
        f"- FLOPs per sample: {cost['forward_flops_per_sample']:,} forward (TensorFlow's profiler); about "
        f"{flops:,} to train (3x forward)." if flops else "- FLOPs per sample: the profiler could not count them.",
        f"- {_number(cost['mean_seconds_per_epoch'])} s per epoch on average, "
        f"{cost['train_samples_per_second']:,.0f} training samples per second.",
        f"- Peak memory of the process: {cost['peak_memory_bytes'] / 2**20:,.0f} MiB.",
        "", "## Plots", "",
    ]
    lines += [f"![{name}]({path.name})" for name, path in assessment.pictures.items()]
    return lines + [""]


def render_report(summary: dict[str, Any]) -> str:
    """Markdown for one finished run; `summary` is assembled by engine.run.training."""
    recipe, metrics, env = summary["recipe"], summary["metrics"], summary["env"]
    names = [name for name, value in metrics["test"].items() if not isinstance(value, (dict, list))]
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
        *_assessment_lines(summary),
        "## Data",
        "",
        f"Source `{recipe['data']['source']}` ({summary['task']}), split with seed {recipe['seed']}"
        + (" (the test split is the source's own):" if summary.get("test_from") == "source" else ":"),
        "",
        "| split | samples |" + (" samples per class |" if summary["class_counts"] else ""),
        "|---|---|" + ("---|" if summary["class_counts"] else ""),
    ]
    for split, size in summary["sizes"].items():
        counts = summary["class_counts"].get(split)
        lines.append(f"| {split} | {size} |" + (f" {counts} |" if counts is not None else ""))
    steps = summary.get("steps") or []
    lines += ["", "Preprocessing, fitted on the training split:" if steps else "Preprocessing: none."]
    lines += [f"- `{step['name']}`" + (": " + ", ".join(f"{key} {json.dumps(value)}" for key, value in step.items()
                                                      if key != "name") if len(step) > 1 else "")
              for step in steps]
    augmentation = recipe["data"].get("augmentation") or []
    if augmentation:
        lines.append("- augmentation on training batches only: "
                     + ", ".join(f"`{json.dumps(entry)}`" for entry in augmentation))
    lines += [
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
