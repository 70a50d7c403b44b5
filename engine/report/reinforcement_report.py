"""report.md of a reinforcement run: results against targets, diagnosis, cost, plot, environment, agent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from common.text import markdown_table
from engine.report.returns import summary_lines
from engine.report.run_report import target_verdicts


def _results(plan, trained, assessment, metrics: dict[str, Any], folder: Path) -> list[str]:
    recipe, cost = plan.recipe, assessment.cost
    description = recipe.description.strip().splitlines()[0] if recipe.description else ""
    verdicts = target_verdicts(recipe.targets, assessment.test)
    targets = "; ".join(f"test {name} >= {bound}: {'met' if verdicts[name] else 'NOT met'} "
                        f"({assessment.test.get(name, float('nan')):.2f})" for name, bound in recipe.targets.items())
    best = metrics["validation"]
    kept = (f"The network kept is the one that scored best on the validation seeds: mean return "
            f"{best['mean_return']:.1f} at step {best['steps']:,}." if best.get("steps") is not None
            else "The network kept is the last one (no validation).")
    return [f"# {recipe.name}: run {folder.name}", "", description, "", "## Results", "",
            *summary_lines(assessment.test, assessment.baseline, plan.prepared.reward_threshold,
                           assessment.test_seeds),
            *([f"Targets: {targets}.", ""] if targets else []),
            f"Trained {cost['environment_steps']:,} of {recipe.agent.total_steps:,} environment steps "
            f"({cost['episodes']:,} episodes finished) in {trained.seconds:.1f} s, "
            f"{cost['environment_steps_per_second']:,.0f} steps per second. {kept}", ""]


def _diagnosis(findings) -> list[str]:
    return ["## Diagnosis", "", *[f"- **{finding.kind}**{' (problem)' if finding.problem else ''}: "
                                  f"{finding.evidence}. Remedy: {finding.remedy}." for finding in findings], ""]


def _cost(cost: dict[str, Any], networks: list[str]) -> list[str]:
    """The cost section; `networks` are the agent's networks by name (a target network, DQN's, is a copy and is
    not counted; PPO has none, so none is mentioned)."""
    trained = [name for name in networks if name != "target"]
    counted = f"the trained network{'s' if len(trained) > 1 else ''}: {', '.join(trained)}" + \
        ("; the target network, a copy, is not counted" if "target" in networks else "")
    return ["## Cost", "", f"- Parameters: {cost['parameters']:,} ({counted}).",
            f"- {cost['train_seconds']:.1f} s of training, validation included.",
            f"- Peak memory of the process: {cost['peak_memory_bytes'] / 2**20:,.0f} MiB.", ""]


def _environment(plan) -> list[str]:
    description, recipe = plan.prepared, plan.recipe
    return ["## Environment", "",
            f"`{description.id}` (Gymnasium) with arguments `{json.dumps(recipe.environment.args)}`: observations "
            f"of shape {description.observation_shape}, actions {description.action_space}, episodes cut at "
            f"{description.max_episode_steps} steps.", ""]


def _agent(plan, trained, env: dict[str, Any]) -> list[str]:
    recipe = plan.recipe
    settings = trained.extra["settings"]
    rows = [[name, json.dumps(value)] for name, value in vars(settings).items()]
    return ["## Agent", "",
            f"- Algorithm `{recipe.agent.algorithm}`, discount gamma {recipe.agent.gamma}, budget "
            f"{recipe.agent.total_steps:,} environment steps, seed {recipe.seed}.",
            f"- Network `{recipe.model.name or recipe.model.builder}` with arguments `{json.dumps(recipe.model.args)}`"
            f"; optimizer `{json.dumps(recipe.optimizer)}`; batch size {recipe.batch_size}.",
            f"- On `{env['strategy']['name']}` ({', '.join(env['strategy']['devices'])}).", "",
            *markdown_table(["setting", "value"], rows), ""]


FILES = ["## Files", "",
         "- `model.keras`: the policy (PPO) or Q network (DQN), `keras.saving.load_model`; PPO's value network is "
         "`value_model.keras`.",
         "- `history.csv`: one row per finished episode (steps when it ended, return, length, the agent's figures).",
         "- `metrics.json`: test and random-policy returns, validation curve, diagnosis, cost.",
         "- `recipe.json`: the resolved recipe; `make recipe NAME=<this folder>/recipe.json` repeats the run.",
         "- `env.json`: versions, device and seed; `logs/`: TensorBoard (`make tensorboard`).", ""]


def render(plan, trained, assessment, metrics: dict[str, Any], folder: Path, env: dict[str, Any],
           sections: list[str] | None = None) -> str:
    """Markdown for one finished reinforcement run; `sections` (engine.kinds.Recorded.report) go before its files."""
    plots = [f"![{name}]({path.name})" for name, path in assessment.pictures.items()]
    lines = [*_results(plan, trained, assessment, metrics, folder), *_diagnosis(assessment.findings),
             *_cost(assessment.cost, list(trained.extra["agent"].networks())), "## Plots", "", *plots, "",
             *_environment(plan), *_agent(plan, trained, env), *(sections or []), *FILES]
    return "\n".join(lines)
