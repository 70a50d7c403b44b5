"""report.md: what a person reads first about a run.

`render_report` puts together one short function per section: results (with the targets),
evaluation and diagnosis (the assessment), data, model and training, files.
"""

from __future__ import annotations

import json
from typing import Any

from common.text import markdown_table, plural
from engine.report.representation import representation_lines
from engine.report.time_to_target import time_to_target_lines

FILES = [
    "## Files",
    "",
    "- `model.keras`: the trained model (`keras.saving.load_model`).",
    "- `metrics.json`: test and validation metrics; `history.csv`: per-epoch training history.",
    "- `recipe.json`: the resolved recipe; `make recipe NAME=<this folder>/recipe.json` repeats the run.",
    "- `env.json`: versions, strategy, devices and seed.",
    "- `logs/`: TensorBoard (`make tensorboard`).",
    "",
]


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "n/a" if value is None else str(value)


def classification_report_markdown(evaluation) -> str:
    """scikit-learn's classification report as a Markdown table (per class, then the averages)."""
    report = evaluation.figures["classification_report"]
    rows = [[name, row["precision"], row["recall"], row["f1-score"], int(row["support"])]
            for name, row in report.items() if isinstance(row, dict)]
    total = sum(map(sum, evaluation.figures["confusion_matrix"]))
    rows.append(["accuracy", "", "", report["accuracy"], total])
    return "\n".join(markdown_table(["class", "precision", "recall", "F1", "support"], rows))


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


def _results_lines(summary: dict[str, Any]) -> list[str]:
    """Title, description, Keras's metrics on validation and test, the targets and how training went."""
    recipe, metrics = summary["recipe"], summary["metrics"]
    names = [name for name, value in metrics["test"].items() if not isinstance(value, (dict, list))]
    rows = [[name, _number(metrics["validation"].get(name, "")), _number(metrics["test"][name])] for name in names]
    description = recipe.get("description", "").strip().splitlines()[0] if recipe.get("description") else ""
    return [
        f"# {recipe['name']}: run {summary['run_id']}",
        "",
        description,
        "",
        "## Results",
        "",
        *markdown_table(["metric", "validation", "test"], rows),
        "",
        *_target_lines(recipe.get("targets", {}), metrics["test"]),
        *time_to_target_lines(metrics.get("time_to_target", {})),
        f"Trained {summary['epochs_run']} of {plural(recipe['epochs'], 'epoch')} in {summary['train_seconds']:.1f} s "
        f"({summary['stopped_by'] or 'ran every epoch'}).",
        "",
    ]


def _evaluation_lines(assessment, task: str) -> list[str]:
    """scikit-learn's figures on the test split, then the easy baseline's (an unsupervised run: what its
    representation is worth, engine.report.representation)."""
    if assessment.representation is not None:
        return ["## What the model learned without labels (test split)", "",
                *representation_lines(assessment.representation), ""]
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
        lines += [*markdown_table(["MSE", "RMSE", "MAE", "R^2"],
                                  [[figures["mse"], figures["rmse"], figures["mae"], figures["r2"]]]),
                  "", f"In {figures['units']}.", ""]
    base = assessment.baseline
    if task == "classification":
        lines += [f"Easy baseline ({base['kind']}): test accuracy {base['accuracy']:.4f}.", ""]
    else:
        lines += [f"Easy baseline ({base['kind']}): test MSE {base['mse']:.4f}, MAE {base['mae']:.4f}, "
                  f"R^2 {base['r2']:.4f}.", ""]
    return lines


def _diagnosis_lines(findings) -> list[str]:
    lines = ["## Diagnosis", ""]
    if not any(finding.problem for finding in findings):
        lines += ["No divergence, overfitting or underfitting found.", ""]
    lines += [f"- **{finding.kind}**{' (problem)' if finding.problem else ''}: {finding.evidence}. "
              f"Remedy: {finding.remedy}." for finding in findings]
    return lines


def _cost_lines(cost: dict[str, Any]) -> list[str]:
    flops = cost["training_flops_per_sample_estimate"]
    return [
        "", "## Cost", "",
        f"- Parameters: {cost['parameters']:,} ({cost['trainable_parameters']:,} trainable).",
        f"- FLOPs per sample: {cost['forward_flops_per_sample']:,} forward (TensorFlow's profiler); about "
        f"{flops:,} to train (3x forward)." if flops else "- FLOPs per sample: the profiler could not count them.",
        f"- {_number(cost['mean_seconds_per_epoch'])} s per epoch on average, "
        f"{cost['train_samples_per_second']:,.0f} training samples per second.",
        f"- Peak memory of the process: {cost['peak_memory_bytes'] / 2**20:,.0f} MiB.",
    ]


def _assessment_lines(summary: dict[str, Any]) -> list[str]:
    """Evaluation, diagnosis, cost and plots: what engine.report.assessment found."""
    assessment = summary["assessment"]
    plots = [f"![{name}]({path.name})" for name, path in assessment.pictures.items()]
    return [
        *_evaluation_lines(assessment, summary["task"]),
        *_diagnosis_lines(assessment.findings),
        *_cost_lines(assessment.cost),
        "", "## Plots", "", *plots, "",
    ]


def _data_lines(summary: dict[str, Any]) -> list[str]:
    """The source, the splits' sizes (and classes), the preprocessing and augmentation."""
    recipe, counts = summary["recipe"], summary["class_counts"]
    header = ["split", "samples"] + (["samples per class"] if counts else [])
    rows = [[split, size] + ([counts.get(split, "")] if counts else []) for split, size in summary["sizes"].items()]
    steps = summary.get("steps") or []
    lines = [
        "## Data",
        "",
        f"Source `{recipe['data']['source']}` ({summary['task']}), split with seed {recipe['seed']}"
        + (" (the test split is the source's own):" if summary.get("test_from") == "source" else ":"),
        "",
        *markdown_table(header, rows),
        "",
        "Preprocessing, fitted on the training split:" if steps else "Preprocessing: none.",
    ]
    for step in steps:
        settings = ", ".join(f"{key} {json.dumps(value)}" for key, value in step.items() if key != "name")
        lines.append(f"- `{step['name']}`" + (f": {settings}" if settings else ""))
    augmentation = recipe["data"].get("augmentation") or []
    if augmentation:
        lines.append("- augmentation on training batches only: "
                     + ", ".join(f"`{json.dumps(entry)}`" for entry in augmentation))
    return lines + [""]


def output_text(output: dict[str, Any]) -> str:
    """The output layer in words: its units for a classifier or regressor; for a model that learns without
    labels (no units of ours), the shape the model gives (an autoencoder's is its input's)."""
    if output.get("units") is not None:
        return f"output layer of {plural(output['units'], 'unit')}, {output['activation']}"
    shape = output.get("shape")
    where = f"output of shape {tuple(shape)}" if shape is not None else "the model's own output"
    return f"{where} (no class or target layer: it learns without labels), {output['activation']}"


def _model_lines(summary: dict[str, Any]) -> list[str]:
    """The model, loss, optimizer, batch size, strategy and hyperparameters."""
    recipe, strategy = summary["recipe"], summary["env"]["strategy"]
    source = summary["env"].get("hyperparameters_from", "recipe defaults")
    return [
        "## Model and training",
        "",
        f"- Model: `{recipe['model']['name'] or recipe['model']['builder']}` with {summary['parameters']:,} "
        f"parameters; {output_text(summary['output'])}.",
        f"- Loss `{json.dumps(recipe['loss'])}`, optimizer `{json.dumps(recipe['optimizer'])}`.",
        f"- Batch size {recipe['batch_size']} per replica, {plural(strategy['replicas'], 'replica')} "
        f"under the `{strategy['name']}` strategy on {', '.join(strategy['devices'])}.",
        f"- Hyperparameters ({source}): "
        f"{', '.join(f'{key}={value}' for key, value in summary['hyperparameters'].items())}.",
        "",
    ]


def render_report(summary: dict[str, Any], sections: list[str] | None = None) -> str:
    """Markdown for one finished run; `summary` is assembled by engine.run.record, `sections` are the kind's own
    (engine.kinds.Recorded.report), placed before the list of files."""
    lines = [*_results_lines(summary), *_assessment_lines(summary), *_data_lines(summary), *_model_lines(summary),
             *(sections or []), *FILES]
    return "\n".join(lines)
