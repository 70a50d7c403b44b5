"""The kind protocol's contract (engine.kinds), over every kind the registry knows and a kind of one's own.

Each kind, on a short budget of a catalog recipe that uses it (the first one found: a new kind with a catalog
recipe is tested here with no new test code), is checked, trained, recorded, searched with two trials and given a
bad setting. The kind of one's own (tests/kinds/half_data.py: supervised learning, each epoch on a random half of
the training split) lives in one file outside engine/, is named by reference in a recipe file, and also resumes
after its run is killed."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from engine.cli import main
from engine.kinds import TECHNIQUES, every_kind, kind_of
from engine.recipe.loading import catalog_names, load_recipe
from tests.conftest import ROOT, only_run_folder, read_json, run_cli
from tests.engine.run.test_resume import EPOCHS, SLOW_RECIPE, check_complete, check_killed, killed_after_backup

HALF_DATA = ROOT / "tests" / "kinds" / "half_data.py"
RATE_RANGE = json.dumps({"hp": "Float", "name": "learning_rate", "min_value": 1e-3, "max_value": 1e-2, "log": True,
                         "default": 3e-3})
# A short budget, by what the recipe declares (not by kind): few epochs, few environment steps, few labels.
AGENT = {"agent.total_steps": 600, "agent.args.learning_starts": 200, "agent.args.buffer_size": 1000,
         "agent.args.validation_period": 300, "agent.args.validation_episodes": 2, "agent.evaluation_episodes": 3}


def short_budget(name: str) -> list[str]:
    recipe = load_recipe(name)
    budget: dict = dict(AGENT) if recipe.agent is not None else {"epochs": 2}
    if recipe.active_learning:
        budget["active_learning.budget"] = 40
    if recipe.curriculum:
        budget["curriculum.teacher_epochs"] = 1
    return [f"{key}={json.dumps(value)}" for key, value in budget.items()]


def hosts() -> dict[str, str]:
    """Each kind's name, with the first catalog recipe that uses it."""
    found: dict[str, str] = {}
    for name in catalog_names():
        found.setdefault(kind_of(load_recipe(name)).name, name)
    return found


HOSTS = hosts()


def half_data_recipe(folder: Path) -> str:
    """A recipe file naming the kind of one's own by reference (a path relative to the recipe file)."""
    (folder / "kinds").mkdir(exist_ok=True)
    (folder / "kinds" / "half_data.py").write_text(HALF_DATA.read_text())
    path = folder / "half_iris.py"
    path.write_text(textwrap.dedent('''
        from engine import Data, Model, Recipe

        recipe = Recipe(
            kind="kinds/half_data.py:HalfData",
            data=Data(source="iris", validation_split=0.2, test_split=0.2,
                      preprocessing=[{"name": "standardize"}, {"name": "one_hot_labels"}]),
            model=Model("mlp", args={"width": 16, "depth": 1}),
            loss="categorical_crossentropy",
            optimizer={"name": "adam", "learning_rate": 0.01},
            metrics=["accuracy"],
            batch_size=16, epochs=3, seed=3,
        )
    '''))
    return str(path)


def test_every_kind_and_technique_has_a_catalog_recipe():
    assert sorted(HOSTS) == sorted(kind.name for kind in every_kind()), HOSTS
    assert len(HOSTS) == 3 + len(TECHNIQUES)


CASES = [pytest.param(name, id=kind) for kind, name in sorted(HOSTS.items())] + [pytest.param(None, id="half_data")]


@pytest.mark.slow
@pytest.mark.parametrize("host", CASES)
def test_a_kind_is_checked_trained_recorded_searched_and_refuses_a_bad_setting(host, tmp_path, capsys):
    recipe = host or half_data_recipe(tmp_path)
    budget = short_budget(host) if host else []
    runs_dir = tmp_path / "runs"
    name = load_recipe(recipe).name

    assert main(["recipe", recipe, *budget, "batch_size=0", "--runs-dir", str(runs_dir)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "`batch_size`" in error and "Traceback" not in error
    assert not runs_dir.exists()

    assert main(["recipe", recipe, *budget, "--runs-dir", str(runs_dir)]) == 0, capsys.readouterr().err
    folder = only_run_folder(runs_dir, name)
    assert read_json(folder / "env.json")["status"] == "complete"
    for file in ("recipe.json", "metrics.json", "report.md", "model.keras", "history.csv"):
        assert (folder / file).is_file(), file
    assert not (folder / "backup").exists()
    report = (folder / "report.md").read_text()
    assert report.count("## Files") == 1 and not report.rstrip().endswith("## Files")
    if host is None:  # the kind's own record: its metrics entry, report section and console line, written once
        assert read_json(folder / "metrics.json")["half_data"] == {"samples_per_epoch": 45}
        assert report.index("## Half data") < report.index("## Files")
        assert "Half data: 45 samples an epoch." in capsys.readouterr().out

    rate = "optimizer.learning_rate=" + RATE_RANGE
    assert main(["tune", recipe, *budget, rate, "tuner=random", "max_trials=2", "--runs-dir", str(runs_dir)]) == 0, \
        capsys.readouterr().err
    (search,) = (runs_dir / name).glob("tune-*")
    trials = [path for path in (search / "keras_tuner").glob("trial_*") if (path / "trial.json").is_file()]
    assert len(trials) == 2
    assert all(json.loads((path / "trial.json").read_text())["status"] == "COMPLETED" for path in trials)


@pytest.mark.slow
def test_a_kind_of_ones_own_resumes_after_its_run_is_killed(tmp_path):
    (tmp_path / "kinds").mkdir()
    (tmp_path / "kinds" / "half_data.py").write_text(HALF_DATA.read_text())
    recipe = tmp_path / "slow_iris.py"
    kind = '    kind="kinds/half_data.py:HalfData",\n'
    recipe.write_text(SLOW_RECIPE.replace("recipe = Recipe(\n", "recipe = Recipe(\n" + kind))
    runs_dir = tmp_path / "runs"
    folder = killed_after_backup(str(recipe), runs_dir)
    done = check_killed(folder)
    assert read_json(folder / "recipe.json")["kind"] == f"{tmp_path / 'kinds' / 'half_data.py'}:HalfData"

    resumed = run_cli("recipe", str(recipe), f"resume={folder}", runs_dir=runs_dir)
    assert resumed.returncode == 0, (resumed.stdout + resumed.stderr)[-3000:]
    check_complete(folder, done, resumed.stdout)
    assert read_json(folder / "metrics.json")["half_data"]["samples_per_epoch"] < EPOCHS * 100
    assert only_run_folder(runs_dir, "slow_iris") == folder
