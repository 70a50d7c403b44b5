"""What a search leaves for a person: a table of trials, the best values, and which ranges mattered."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # headless: no display is needed to draw the plot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from common.text import markdown_table, plural, significant  # noqa: E402
from engine.recipe import hp  # noqa: E402
from engine.report.plots import save_figure  # noqa: E402


def _reason(message: str | None) -> str:
    """The last meaningful line of a failed trial's traceback."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    if not lines:
        return ""
    # "package.module.SomeError: what happened" -> "SomeError: what happened"
    kind, separator, text = lines[-1].partition(": ")
    return f"{kind.rpartition('.')[2]}{separator}{text}"


def trial_number(trial_id: str) -> int | str:
    """The number a person reads for KerasTuner's trial id: counted from 1 ("00" is trial 1), as KerasTuner's own
    console lines ("Trial 1 Complete") count; an id that is not a number is shown as it is."""
    return int(trial_id) + 1 if str(trial_id).isdigit() else trial_id


# Below this many completed trials, an importance is a rough figure: with 3 trials a range with no effect at all
# has a rank correlation of +-1 one time in 3 (2 of the 6 orders of three scores), and 1.00 means little.
FEW_TRIALS = 10


def trial_rows(oracle, objective, ranges: list[hp.Range] | None = None) -> list[dict[str, Any]]:
    """One row per trial, best first (failed and unscored trials last)."""
    rows = []
    for trial in oracle.trials.values():
        values = dict(trial.hyperparameters.values)
        if ranges:
            values = hp.active_values(ranges, values)
        score = trial.score if trial.score is not None and math.isfinite(trial.score) else None
        rows.append({
            "trial_id": trial.trial_id, "trial": trial_number(trial.trial_id), "status": str(trial.status),
            "score": score,
            "best_step": trial.best_step if str(trial.status) == "COMPLETED" else None, "values": values,
            "reason": _reason(trial.message) if str(trial.status) != "COMPLETED" else "",
        })
    sign = -1.0 if objective.direction == "max" else 1.0
    return sorted(rows, key=lambda row: (row["score"] is None, sign * (row["score"] or 0.0), row["trial_id"]))


def importance(rows: list[dict[str, Any]], ranges: list[hp.Range]) -> dict[str, float]:
    """How strongly each range goes with the score over completed trials, 0 to 1.

    Numeric ranges: the absolute Spearman rank correlation of value and score. Choices and
    booleans: the correlation ratio (share of the score's variance explained by the choice).
    """
    scored = [row for row in rows if row["score"] is not None]
    found: dict[str, float] = {}
    for range_ in ranges:
        pairs = [(row["values"][range_.name], row["score"]) for row in scored if range_.name in row["values"]]
        if len(pairs) < 3 or len({value for value, _ in pairs}) < 2:
            found[range_.name] = 0.0
            continue
        values, scores = zip(*pairs, strict=True)
        scores = np.asarray(scores, dtype=float)
        if isinstance(range_, (hp.Float, hp.Int)):
            rho = spearmanr(values, scores).statistic
            found[range_.name] = 0.0 if np.isnan(rho) else float(abs(rho))
        else:
            total = float(((scores - scores.mean()) ** 2).sum())
            groups = {value: scores[[v == value for v in values]] for value in set(values)}
            between = sum(len(group) * (group.mean() - scores.mean()) ** 2 for group in groups.values())
            found[range_.name] = float(math.sqrt(between / total)) if total > 0 else 0.0
    return dict(sorted(found.items(), key=lambda item: -item[1]))


def write_importance_plot(path: Path, rows: list[dict[str, Any]], ranges: list[hp.Range], objective,
                          most: int = 3) -> dict[str, float] | None:
    """Score against each of the `most` most important ranges, one panel each; None when nothing scored."""
    scored = [row for row in rows if row["score"] is not None]
    if not scored:
        return None
    ranking = importance(rows, ranges)
    names = list(ranking)[:most]
    by_name = {range_.name: range_ for range_ in ranges}
    figure, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.6), squeeze=False)
    best = scored[0]
    for axis, name in zip(axes[0], names, strict=True):
        points = [(row["values"][name], row["score"]) for row in scored if name in row["values"]]
        values = [value for value, _ in points]
        numeric = isinstance(by_name[name], (hp.Float, hp.Int))
        categories = sorted({str(value) for value in values})
        positions = values if numeric else [categories.index(str(value)) for value in values]
        axis.scatter(positions, [score for _, score in points], color="tab:blue", label="trial")
        if name in best["values"]:
            where = best["values"][name] if numeric else categories.index(str(best["values"][name]))
            axis.scatter([where], [best["score"]], color="tab:red", marker="*", s=180, label="best", zorder=3)
        if numeric and getattr(by_name[name], "log", False):
            axis.set_xscale("log")
            # Minor ticks of a log axis label every value between decades; they overlap.
            axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        if not numeric:
            axis.set_xticks(range(len(categories)), categories)
        axis.set_xlabel(f"{name} (importance {ranking[name]:.2f})")
        axis.set_ylabel(objective.name)
        axis.grid(alpha=0.3)
    axes[0][0].legend(loc="best")
    caveat = ", too few to trust the importances" if len(scored) < FEW_TRIALS else ""
    figure.suptitle(f"{objective.name} ({objective.direction}imize) against the most important hyperparameters "
                    f"({plural(len(scored), 'trial')}{caveat})")
    save_figure(figure, path)
    return ranking


def _trials_table(rows: list[dict[str, Any]], objective_name: str, names: list[str]) -> list[str]:
    """One line per trial, best first: rank, status, score, best epoch (1-based) and the values tried."""
    header = ["rank", "trial", "status", objective_name, "best epoch", *names]
    cells = [
        [rank, row["trial"], row["status"].lower(), significant(row["score"]),
         significant(None if row["best_step"] is None else row["best_step"] + 1),
         *(significant(row["values"].get(name, "-")) for name in names)]
        for rank, row in enumerate(rows, start=1)
    ]
    return markdown_table(header, cells)


def render_tune_report(search, rows: list[dict[str, Any]], best: dict[str, Any] | None,
                       ranking: dict[str, float] | None, trials: dict[str, int]) -> str:
    """Markdown: settings, the best trial, a table of every trial by score, failures and importance."""
    names = [range_.name for range_ in search.ranges]
    objective = search.objective
    lines = [
        f"# Search: {search.recipe.name}, {search.resolved.tuner.name}",
        "",
        f"Objective: `{objective.name}` ({objective.direction}imize). "
        f"Trials: {', '.join(f'{count} {status.lower()}' for status, count in trials.items())}.",
        "",
    ]
    if best is None:
        lines += ["No trial completed, so there is no best trial; the reasons are below.", ""]
    else:
        lines += [
            f"Best: trial {best['trial']}, {objective.name} = {best['score']:.4f}, with "
            + ", ".join(f"`{key}={value}`" for key, value in best["hyperparameters"].items()) + ".",
            "",
            f"Retrain with these values: `make recipe NAME={search.recipe.name} ARGS=\"from_tune={search.folder}\"`.",
            "",
        ]
    lines += ["## Trials, best first", "", *_trials_table(rows, objective.name, names)]
    failed = [row for row in rows if row["status"] != "COMPLETED"]
    if failed:
        lines += ["", "## Trials that did not complete", ""]
        lines += [f"- trial {row['trial']} ({row['status'].lower()}): {row['reason'] or 'no reason recorded'}"
                  for row in failed]
    if ranking:
        completed = sum(row["score"] is not None for row in rows)
        lines += ["", "## Which ranges mattered", "",
                  f"Rank correlation of value and score (correlation ratio for choices), over the "
                  f"{plural(completed, 'completed trial')}:", ""]
        lines += [f"- `{name}`: {value:.2f}" for name, value in ranking.items()]
        if completed < FEW_TRIALS:
            lines += ["", f"These rest on {plural(completed, 'trial')} only: read them as rough. With 3 trials, a "
                      "range that has no effect at all scores 1.00 one time in 3; raise max_trials for figures to "
                      "trust."]
        lines += ["", "![score against the most important hyperparameters](importance.png)"]
    lines += ["", "Trials are numbered from 1, as the console counts them; KerasTuner's folders count from 0 (trial 1 "
              "is `keras_tuner/trial_0`, or `trial_00` when max_trials has two digits).", "",
              "Files: `best.json` (best values and score), `keras_tuner/` (KerasTuner's project: one folder per "
              "trial), `logs/` (TensorBoard, one run per trial; HParams tab, each row named recipe/search/trial).",
              ""]
    return "\n".join(lines)
