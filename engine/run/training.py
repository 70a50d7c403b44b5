"""Running a recipe end to end: check -> plan -> train -> assess -> record, into the run folder.

Everything that can be refused (overrides, names, numbers, data, model, strategy) is checked by
`engine.run.plan` before the run folder is created, so a bad recipe leaves nothing behind. How the
model trains and is assessed is its kind of learning's (`engine.learning`); what is written at the
end is `engine.run.record`'s.

Every run backs up at each epoch end and can be resumed after a crash (engine.run.resume). Under
multi-worker training every worker runs the same fit and evaluate calls (they are collective),
but only the chief (task 0) writes the run folder; the others write nothing and wait for it at
the end.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Any

from common.files import write_json
from common.text import plural, timestamp
from engine.distribute.strategy import Chosen
from engine.errors import RecipeError
from engine.kinds import Learning
from engine.recipe.schema import Recipe
from engine.run import speed
from engine.run.plan import Plan, build, plan_recipe, versions
from engine.run.record import RunResult, TrainingDiverged, record, wait_for_every_worker
from engine.run.resume import Resume, hold_lock, resumed_entry
from engine.run.run_folder import create_run_folder

__all__ = ["RunResult", "TrainingDiverged", "run_recipe"]


def run_recipe(
    recipe: Recipe,
    runs_dir: str | Path = "runs",
    console=print,
    verbose: int | None = None,
    values: dict[str, Any] | None = None,
    values_from: str | None = None,
    resume: Resume | None = None,
) -> RunResult | None:
    """Train `recipe` and write its run folder; returns where it is and what it measured.

    `console` receives the lines of the summary; `verbose` is Keras's fit verbosity (by
    default a progress bar on a terminal and one line per epoch otherwise). `values` sets
    ranges by name instead of their defaults; `values_from` says where they came from (a
    search folder), and is recorded in env.json and report.md. `resume` (engine.run.resume.check_resume)
    continues an unfinished run in its own folder instead; `recipe` is then its recipe.json.

    On the workers of a cluster other than the chief, trains alongside the chief, writes
    nothing and returns None.
    """
    plan = plan_recipe(recipe, values)
    if resume is not None:
        _continue_plan(plan, resume)
    build(plan)
    kind = plan.kind
    verbose = (1 if sys.stdout.isatty() else 2) if verbose is None else verbose
    if not plan.chosen.is_chief:
        kind.train(plan, None, resume, lambda line: None, 0)
        wait_for_every_worker(plan.chosen)
        return None
    folder, env = _open_run_folder(plan, runs_dir, values_from, resume, console)
    lock = hold_lock(folder)
    write_json(folder / "env.json", env)
    try:
        return _train_and_record(plan, kind, folder, env, resume, console, verbose)
    except TrainingDiverged:
        raise  # the run folder is complete and already says "diverged"
    except BaseException as error:
        env.update(status="failed", error=f"{type(error).__name__}: {error}", finished=timestamp())
        write_json(folder / "env.json", env)
        raise
    finally:
        lock.close()


def _train_and_record(plan: Plan, kind: Learning, folder: Path, env: dict, resume: Resume | None, console,
                      verbose: int) -> RunResult:
    trained = kind.train(plan, folder, resume, console, verbose)
    assessment = kind.assess(plan, trained, folder)
    result = record(plan, trained, assessment, folder, env, console)
    if plan.recipe.targets:
        console(target_line(plan.recipe.targets, result.metrics.get("test", {})))
    return result


def target_line(targets: dict[str, float], test: dict[str, Any]) -> str:
    """The run's last console line: whether each of the recipe's targets (lower bounds) was met, with the figure."""
    parts, missed = [], False
    for metric, bound in targets.items():
        value = test.get(metric)
        if not isinstance(value, (int, float)):
            parts.append(f"test {metric} was not measured (target >= {bound:g})")
            missed = True
        elif value >= bound:
            parts.append(f"test {metric} {value:.4f} >= {bound:g}")
        else:
            parts.append(f"test {metric} {value:.4f} < {bound:g}")
            missed = True
    return f"Target {'missed' if missed else 'met'}: {'; '.join(parts)}."


def _open_run_folder(plan: Plan, runs_dir: str | Path, values_from: str | None, resume: Resume | None,
                     console) -> tuple[Path, dict[str, Any]]:
    """A new run folder with recipe.json written, or the resumed run's; and the run's env.json contents."""
    where = f"{plan.chosen.name} ({_replicas_text(plan.chosen)}; {speed.summary(plan.model)})"
    used = {**speed.describe(plan.model, plan.recipe.precision or "float32"), "auto": plan.speed}
    if resume is not None:
        env = {key: value for key, value in resume.env.items() if key not in ("error", "finished")}
        env.update(status="running", strategy=plan.chosen.describe(), speed=used, versions=versions())
        env["resumed"] = [*env.get("resumed", []), resumed_entry(resume, plan.chosen.describe())]
        console(f"{plan.recipe.name}: resuming {resume.folder} on {where}: {plan.kind.resume_line(resume.epoch)}")
        return resume.folder, env
    folder = create_run_folder(runs_dir, plan.recipe.name)
    write_json(folder / "recipe.json", {**plan.recipe.to_dict(), "hyperparameters": {
        range_.name: {**range_.to_dict(), "value": plan.values.get(range_.name, "inactive")}
        for range_ in plan.ranges.values()
    }})
    console(f"{plan.recipe.name}: training on {where}; run folder {folder}")
    if plan.speed.get("chosen"):
        console(f"Speed settings ({plan.speed['mode']}): {plan.speed['chosen']}, chosen by {plan.speed['chosen_by']}.")
    env = {
        "status": "running", "versions": versions(), "platform": platform.platform(),
        "strategy": plan.chosen.describe(), "speed": used, "seed": plan.recipe.seed,
        "hyperparameters_from": values_from or "recipe defaults", "command": sys.argv, "started": timestamp(),
    }
    return folder, env


def _replicas_text(chosen: Chosen) -> str:
    workers = f", {chosen.workers} workers" if chosen.multi_worker else ""
    return f"{plural(chosen.replicas, 'replica')}{workers}"


def _continue_plan(plan: Plan, resume: Resume) -> None:
    """A resumed run shows the ranges and values its recipe.json recorded, and keeps its replica count."""
    plan.ranges, plan.values = resume.ranges, resume.values
    before = resume.env.get("strategy", {}).get("replicas")
    if before is not None and before != plan.chosen.replicas:
        workers = resume.env["strategy"].get("workers", 1)
        raise RecipeError(
            f"{resume.folder} trained on {plural(before, 'replica')} and would continue on "
            f"{plan.chosen.replicas}, which changes the global batch. Resume it as it ran: "
            + (f"WORKERS={workers}." if workers > 1 else f"strategy={resume.env['strategy'].get('name')}, "
               "without WORKERS.")
        )
