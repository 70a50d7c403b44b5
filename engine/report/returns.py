"""What a reinforcement run tells a person: a diagnosis of its returns, their plot and report.md's lines.

The diagnosis reads the training episodes' returns (a moving average over WINDOW episodes) against
the random policy's mean return and the environment's solved threshold, one function per rule:

- not learning: the test return of the greedy policy kept stays within 10% of the way from the random
  policy to the threshold (or, with no threshold, within 10% of the random policy's size);
- learned then collapsed: the moving average got at least a fifth of the way to the threshold, then fell back
  below half of what it had gained (a mean that fell by half from its peak); a problem only when the network
  kept (the best validated one) is no better, since then the collapse is what the test measured;
- still improving: the test return is below the threshold and the returns were still rising when the budget
  ended: the moving average peaked in the last tenth of the episodes with the last fifth above the fifth
  before, or the last fifth beat the fifth before by more than 5% of the way to the threshold: more steps;
- otherwise the returns levelled off: converged (not a problem) at or above the threshold, plateaued below it
  (more steps alone are unlikely to help).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from common.text import markdown_table
from engine.report.diagnosis import Finding
from engine.report.plots import plt, save_figure

WINDOW = 20
NOT_LEARNING_SHARE = 0.1
# A collapse: the moving average gained at least this share of the way to the threshold, then lost half of it.
COLLAPSE_MIN_GAIN = 0.2
COLLAPSE_SHARE = 0.5
IMPROVING_SHARE = 0.05
# Still rising: the moving average's peak came in this last share of the episodes.
PEAK_AT_THE_END = 0.1
# The remedy for a collapse names the algorithm's own way to steadier updates (each agent module's STEADIER).
STEADIER = "make the updates steadier"


def moving_average(values: list[float], window: int = WINDOW) -> np.ndarray:
    """The mean of each value and the (up to) window - 1 before it."""
    values = np.asarray(values, float)
    sums = np.cumsum(np.insert(values, 0, 0.0))
    starts = np.maximum(np.arange(1, len(values) + 1) - window, 0)
    return (sums[1:] - sums[starts]) / (np.arange(1, len(values) + 1) - starts)


def _scale(random_mean: float, threshold: float | None) -> float:
    """The distance that counts as the whole way: from the random policy to the threshold."""
    return abs(threshold - random_mean) if threshold is not None else abs(random_mean) + 1.0


def not_learning(returns: list[float], test_mean: float, random_mean: float, threshold: float | None) -> Finding | None:
    """The greedy policy kept scores about what the random policy does."""
    scale = _scale(random_mean, threshold)
    if test_mean - random_mean > NOT_LEARNING_SHARE * scale:
        return None
    best = float(moving_average(returns).max()) if returns else random_mean
    training = (f"though the moving average of {WINDOW} training episodes reached {best:.1f} (exploration's doing, "
                "or a policy that did not last)" if best - random_mean > NOT_LEARNING_SHARE * scale else
                f"and so do the training episodes (best moving average of {WINDOW}: {best:.1f})")
    return Finding("not learning", True,
                   f"the greedy policy's test mean return ({test_mean:.1f}) stays near the random policy's "
                   f"({random_mean:.1f}), {training}",
                   "check that learning starts well before the budget ends (learning_starts, total_steps), raise "
                   "the learning rate or lengthen the exploration schedule")


def collapsed(returns: list[float], test_mean: float, random_mean: float, threshold: float | None,
              steadier: str = STEADIER) -> Finding | None:
    """The moving average gained a fifth of the way or more, then lost half of its gain; `steadier` is the
    algorithm's own way to steadier updates, for the remedy."""
    if len(returns) < 2 * WINDOW:
        return None
    averages = moving_average(returns)
    peak_at = int(averages.argmax())
    best, last, scale = float(averages[peak_at]), float(averages[-1]), _scale(random_mean, threshold)
    gained = best - random_mean
    if gained < COLLAPSE_MIN_GAIN * scale or last - random_mean >= COLLAPSE_SHARE * gained:
        return None
    kept_bad = test_mean - random_mean < COLLAPSE_SHARE * gained
    return Finding("learned then collapsed", kept_bad,
                   f"the moving average of {WINDOW} training episodes reached {best:.1f} at episode {peak_at + 1}, "
                   f"then fell to {last:.1f} by the end (episode {len(returns)}), losing "
                   f"{(best - last) / gained:.0%} of its gain over the random policy's {random_mean:.1f}"
                   + ("" if kept_bad else f"; the network kept (best validation) still scores {test_mean:.1f}"),
                   f"lower the learning rate, {steadier}, and keep validating (agent.args.validation_period) so the "
                   "best network is the one kept")


def still_improving(returns: list[float], test_mean: float, random_mean: float,
                    threshold: float | None) -> Finding | None:
    """Below the threshold and still rising at the end: the moving average at its peak in the last tenth of the
    episodes (and the last fifth above the fifth before), or the last fifth well above the fifth before."""
    fifth = len(returns) // 5
    if fifth < 1 or (threshold is not None and test_mean >= threshold):
        return None
    last, before = float(np.mean(returns[-fifth:])), float(np.mean(returns[-2 * fifth:-fifth]))
    averages = moving_average(returns)
    peak_at = int(averages.argmax())
    at_peak = peak_at >= len(returns) * (1 - PEAK_AT_THE_END) - 1 and last > before
    if not at_peak and last - before <= IMPROVING_SHARE * _scale(random_mean, threshold):
        return None
    peak = (f"the moving average of {WINDOW} episodes was at its peak ({float(averages[peak_at]):.1f}) at episode "
            f"{peak_at + 1} of {len(returns)}; " if at_peak else "")
    below = f"below the threshold of {threshold:g}" if threshold is not None else "still rising"
    return Finding("still improving", False,
                   f"{peak}the last fifth of the training episodes averaged {last:.1f} against {before:.1f} for the "
                   f"fifth before, and the test return ({test_mean:.1f}) is {below}",
                   "more steps (agent.total_steps): the returns were still rising when the budget ended")


def levelled_off(returns: list[float], test_mean: float, random_mean: float, threshold: float | None) -> Finding:
    """No rule fired: converged at or above the threshold (or with none), plateaued below it."""
    best = float(moving_average(returns).max()) if returns else random_mean
    if threshold is None or test_mean >= threshold:
        return Finding("converged", False, f"the returns rose from the random policy's {random_mean:.1f} and held "
                       f"(best moving average of {WINDOW}: {best:.1f}; test {test_mean:.1f})", "none needed")
    return Finding("plateaued", True,
                   f"the returns rose from the random policy's {random_mean:.1f} and levelled off (best moving "
                   f"average of {WINDOW}: {best:.1f}) with the test return {test_mean:.1f} below the threshold of "
                   f"{threshold:g}", "more steps alone are unlikely to reach it: try another learning rate, a larger "
                   "network or other agent settings (make tune)")


def diagnose(returns: list[float], test_mean: float, random_mean: float, threshold: float | None,
             steadier: str = STEADIER) -> list[Finding]:
    """The findings of the rules above, in order; `levelled_off`'s when none fires. `steadier` is the algorithm's
    own way to steadier updates (its module's STEADIER), named in a collapse's remedy."""
    found = [not_learning(returns, test_mean, random_mean, threshold),
             collapsed(returns, test_mean, random_mean, threshold, steadier),
             still_improving(returns, test_mean, random_mean, threshold)]
    if found[1] is not None and found[1].problem:
        found[0] = None  # it did learn: the collapse says why the policy kept is no better than chance
    found = [finding for finding in found if finding is not None]
    return found or [levelled_off(returns, test_mean, random_mean, threshold)]


def learning_curves(rows: list[dict[str, Any]], validations: list[dict[str, float]], random_mean: float,
                    threshold: float | None, test: dict[str, float], path: Path) -> Path:
    """Episode returns against environment steps with their moving average, the validations, the random
    policy and the solved threshold; beside them, each figure the agent reported per episode."""
    extras = [key for key in (rows[0] if rows else {}) if key not in ("episode", "steps", "return", "length")]
    figure, axes = plt.subplots(1, 1 + len(extras), figsize=(6.5 + 4 * len(extras), 4.2), squeeze=False)
    axis, steps = axes[0][0], [row["steps"] for row in rows]
    returns = [row["return"] for row in rows]
    axis.plot(steps, returns, color="tab:blue", alpha=0.25, linewidth=0.8, label="training episode")
    if rows:
        axis.plot(steps, moving_average(returns), color="tab:blue", label=f"mean of {WINDOW} episodes")
    if validations:
        axis.plot([entry["steps"] for entry in validations], [entry["mean_return"] for entry in validations], "o-",
                  color="tab:orange", markersize=3, label="greedy validation")
    if threshold is not None:
        axis.axhline(threshold, color="tab:red", linestyle="--", label=f"solved ({threshold:g})")
    axis.axhline(random_mean, color="grey", linestyle=":", label=f"random policy ({random_mean:.1f})")
    axis.errorbar([steps[-1] if steps else 0], [test["mean_return"]], yerr=[test["std_return"]], fmt="s",
                  color="tab:green", label=f"test ({test['mean_return']:.1f})")
    axis.set(xlabel="environment steps", ylabel="return", title="Episode returns")
    axis.legend(fontsize=8)
    for axis, name in zip(axes[0][1:], extras, strict=True):
        axis.plot(steps, [row[name] for row in rows], color="tab:purple")
        axis.set(xlabel="environment steps", ylabel=name, title=name)
    for axis in axes[0]:
        axis.grid(alpha=0.3)
    return save_figure(figure, path)


def summary_lines(test: dict[str, float], baseline: dict[str, float], threshold: float | None,
                  test_seeds: list[int]) -> list[str]:
    """The test and baseline figures as a table, then where they come from."""
    rows = [["greedy policy", test["mean_return"], test["std_return"], test["min_return"], test["max_return"]],
            ["random policy", baseline["mean_return"], baseline["std_return"], baseline["min_return"],
             baseline["max_return"]]]
    solved = f" Gymnasium counts the task solved at a mean return of {threshold:g}." if threshold is not None else ""
    return [*markdown_table(["policy", "mean return", "std", "min", "max"], rows), "",
            f"Over {test['episodes']} episodes each, started from seeds {test_seeds[0]}, {test_seeds[1]}, ... "
            f"(none of them a training or validation seed).{solved}", ""]
