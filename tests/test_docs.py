"""The documentation cannot drift from the code: its commands and recipes run, its results are rendered.

Every fenced block of README.md and docs/ says what it is by its language:

- `bash`: commands. Each line is `make ...`, `python -m engine ...` or `python -m benchmarks.<module> ...`. A make
  line must name a Makefile target and expand (`make -n`) to a command that the engine's own argument parser
  takes; an engine line must parse; a benchmark line must name a module of benchmarks/. The commands a user
  trains, tunes, compares, lists, predicts, exports and evaluates with are then run, in this process, on a tiny
  budget (one epoch, a few hundred environment steps, one trial) into a temporary runs folder; a placeholder
  such as `runs/penguins_tabular/<run>` becomes a tiny run of that recipe, made for the purpose, and the input
  files the pages name are written from the same data. What cannot run here in seconds is only checked:
  servers (`make serve`, `make tensorboard`, `make docs-serve`), the suites and benchmarks, the commands that
  write outside the runs folder (`make publish`), several processes (`WORKERS=`, two logical devices) and
  resuming an unfinished run; tests of their own cover each.
- `python`: code, run here; or a file included with `--8<-- "path"`, which is a catalog recipe (the catalog
  tests train those), the kind of one's own (the kind contract test runs it) or an example of docs/examples/,
  each of which runs here.
- `text`, `console`, `json`: what a person sees (output, transcripts), not run.

The results pages and README.md's catalog are rendered again from the benchmarks' JSON files and must match
what is committed; README.md stays under 200 lines; no page but the changelog and the generated results carries
a date.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.xdist_group("docs")

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
GENERATED = ROOT / "docs" / "results"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
SNIPPET = re.compile(r'^\s*--8<--\s+"([^"]+)"\s*$')
LANGUAGES_RUN = {"bash", "python"}
LANGUAGES_SHOWN = {"text", "console", "json"}
# The commands run here; the others (servers, suites, benchmarks, publishing) are checked only.
RUN_HERE = {"recipe", "tune", "compare", "list", "predict", "export", "evaluate", "new"}
# Files the pages include that other tests run: the catalog recipes (tests/recipes) and the kind of one's own.
RUN_ELSEWHERE = re.compile(r"^(recipes/[a-z0-9_]+\.py|tests/kinds/half_data\.py)$")
EXAMPLES = ROOT / "docs" / "examples"
INPUT_FILES = ("new_penguins.csv", "new_digits.npz", "predictions.csv", "my_table.csv")
# The recipe file `make new` writes, kept beside the inputs rather than in the repository.
NEW_RECIPE = {"my_recipe": "my_recipe.py", "my_recipe.py": "my_recipe.py"}
MAKE = shutil.which("make") or "/usr/bin/make"


@dataclass(frozen=True)
class Block:
    page: Path
    language: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}: ```{self.language}"


def blocks() -> list[Block]:
    return [Block(page, match.group(1), match.group(2)) for page in PAGES
            for match in FENCE.finditer(page.read_text())]


def command_lines() -> list[tuple[str, str]]:
    """(where, line) of every command in a bash block, continuation lines joined."""
    found = []
    for block in blocks():
        if block.language == "bash":
            text = block.text.replace("\\\n", " ")
            found += [(block.where, line.split("  #")[0].strip()) for line in text.splitlines()
                      if line.strip() and not line.strip().startswith("#")]
    return sorted(set(found))


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-zA-Z][\w-]*):(?!=)", (ROOT / "Makefile").read_text(), re.M))


def engine_words(line: str) -> list[str] | None:
    """The words after `python -m engine` that a documented line runs, through `make -n` for a make line."""
    words = shlex.split(line)
    if words[:2] == ["python", "-m"] and words[2] == "engine":
        return words[3:]
    expanded = subprocess.run([MAKE, "-n", *words[1:]], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert expanded.returncode == 0, f"{line!r}: make -n fails: {expanded.stderr[-500:]}"
    commands = expanded.stdout.replace("\\\n", " ").splitlines()  # a recipe line continued with a backslash
    engine = [shlex.split(command) for command in commands if " -m engine " in command]
    return engine[-1][engine[-1].index("engine") + 1:] if engine else None


def test_every_block_says_what_it_is():
    unknown = [block.where for block in blocks() if block.language not in LANGUAGES_RUN | LANGUAGES_SHOWN]
    assert not unknown, f"fenced blocks need a language among {sorted(LANGUAGES_RUN | LANGUAGES_SHOWN)}: {unknown}"


@pytest.mark.parametrize("where, line", command_lines())
def test_each_documented_command_names_a_real_target_and_parses(where, line):
    from engine.cli import _parser

    words = shlex.split(line)
    if words[0] == "make":
        target = next((word for word in words[1:] if "=" not in word), "help")
        assert target in makefile_targets(), f"{where}: {line!r} names no Makefile target"
    elif words[:2] == ["python", "-m"] and words[2].startswith("benchmarks."):
        module = words[2].split(".", 1)[1]
        assert (ROOT / "benchmarks" / f"{module}.py").exists(), f"{where}: no module benchmarks.{module}"
        return
    else:
        assert words[:3] == ["python", "-m", "engine"], f"{where}: {line!r} is not a make or python -m command"
    arguments = engine_words(line)
    if arguments is None:
        return  # a target that builds, tests or serves the project rather than calling the engine
    try:
        _parser().parse_args(arguments)
    except SystemExit as exit_:
        assert exit_.code == 0, f"{where}: {line!r} runs `python -m engine {' '.join(arguments)}`, which does not parse"


# ---- running the commands ---------------------------------------------------------------------------------


def tiny(recipe) -> list[str]:
    """Overrides that cut a recipe to seconds: one epoch, a few hundred environment steps, one round."""
    if recipe.environment is not None:
        base = ["agent.total_steps=600", "agent.evaluation_episodes=3", "agent.args.validation_period=300",
                "agent.args.validation_episodes=2"]
        if recipe.agent.algorithm == "dqn":
            return [*base, "agent.args.learning_starts=200", "agent.args.buffer_size=1000"]
        return base
    words = ["epochs=1"]
    if recipe.fine_tune:
        words.append("fine_tune.epochs=1")
    if recipe.active_learning:
        words += ["active_learning.initial_per_class=2", "active_learning.query_size=10", "active_learning.budget=30"]
    if recipe.curriculum:
        words.append("curriculum.teacher_epochs=1")
    return words


class Runs:
    """A temporary runs folder, with a tiny run of each recipe a placeholder names, made on first use."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.made: dict[str, Path] = {}
        self.done: dict[tuple[str, ...], int] = {}  # a command two pages show runs once

    def run(self, name: str) -> Path:
        if name not in self.made:
            self.call(["recipe", name])
            self.made[name] = sorted((self.folder / name).iterdir())[-1]
        return self.made[name]

    def search(self, name: str) -> Path:
        folders = sorted((self.folder / name).glob("tune-*"))
        if not folders:
            self.call(["tune", name])
            folders = sorted((self.folder / name).glob("tune-*"))
        return folders[-1]

    def resolve(self, word: str) -> str:
        word = re.sub(r"runs/([a-z0-9_]+)/tune-<id>", lambda match: str(self.search(match.group(1))), word)
        word = re.sub(r"runs/([a-z0-9_]+)/<run>", lambda match: str(self.run(match.group(1))), word)
        if word in NEW_RECIPE:
            return str(self.folder.parent / NEW_RECIPE[word])
        return str(self.folder.parent / word) if word in INPUT_FILES else word

    def written(self, name: str) -> None:
        """The recipe file a page's `make new` line writes, made first when a page runs it before that line."""
        if not Path(self.resolve(name)).exists():
            line = next(line for _, line in command_lines() if line.startswith("make new "))
            assert self.call(engine_words(line)) == 0, f"{line!r} failed"

    def call(self, words: list[str]) -> int:
        """`python -m engine WORDS` in this process, on a tiny budget, into this runs folder."""
        from engine.cli import main
        from engine.recipe.loading import load_recipe

        if words[0] == "recipe" and len(words) > 1 and words[1] in NEW_RECIPE:
            self.written(words[1])
        words = [self.resolve(word) for word in words]
        command, rest, options = words[0], [], {}
        at = 1
        while at < len(words):  # every option of these commands takes a value
            if words[at].startswith("--"):
                options[words[at]] = words[at + 1]
                at += 2
            else:
                rest.append(words[at])
                at += 1
        if command in ("recipe", "tune") and "--data" in options:  # a starter on one's own files
            rest.append("epochs=1")
        elif command in ("recipe", "tune"):
            name = next((word for word in rest if "=" not in word), "digits_cnn")
            rest += tiny(load_recipe(name)) + (["max_trials=1"] if command == "tune" else [])
        if command == "compare":
            self.run(rest[0] if rest else "digits_cnn")  # a run to compare
        if command in ("recipe", "tune", "compare"):
            options["--runs-dir"] = str(self.folder)
        if command == "predict":
            options.setdefault("--output", str(self.folder.parent / "predictions.csv"))
        if command == "evaluate":
            options["--episodes"] = "3"
        rest += [word for option in options.items() for word in option]
        key = (command, *rest)
        if key not in self.done:
            self.done[key] = main([command, *rest])
        return self.done[key]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    folder = tmp_path_factory.mktemp("docs") / "runs"
    write_inputs(folder.parent)
    return Runs(folder)


def write_inputs(folder: Path) -> None:
    """The input files the pages name, in the form a user has them."""
    import palmerpenguins
    from sklearn.datasets import load_digits

    table = palmerpenguins.load_penguins()
    table.drop(columns=["species", "year"]).head(12).to_csv(folder / "new_penguins.csv", index=False)
    table.to_csv(folder / "my_table.csv", index=False)
    np.savez(folder / "new_digits.npz", x=load_digits().data[:12])


def runnable(line: str) -> bool:
    words = shlex.split(line)
    if any(word.startswith(("WORKERS=", "resume=")) or "resume=" in word or "replicas=" in word for word in words):
        return False
    if words[0] == "make":
        target = next((word for word in words[1:] if "=" not in word), "help")
        return target in RUN_HERE
    return words[:3] == ["python", "-m", "engine"] and len(words) > 3 and words[3] in RUN_HERE


def runnable_lines() -> list[tuple[str, str]]:
    """Each distinct runnable line once, with the first page that shows it."""
    first: dict[str, str] = {}
    for where, line in command_lines():
        if runnable(line):
            first.setdefault(line, where)
    return [(where, line) for line, where in first.items()]


@pytest.mark.parametrize("where, line", runnable_lines())
def test_each_documented_command_runs(where, line, runs):
    assert runs.call(engine_words(line)) == 0, f"{where}: {line!r} failed"


# ---- code and examples ------------------------------------------------------------------------------------


def python_blocks() -> list[Block]:
    return [block for block in blocks() if block.language == "python"]


def included(block: Block) -> list[str]:
    return [match.group(1) for line in block.text.splitlines() if (match := SNIPPET.match(line))]


def test_each_included_file_is_run_by_a_test():
    for block in python_blocks():
        for path in included(block):
            assert (ROOT / path).exists(), f"{block.where} includes {path}, which does not exist"
            assert RUN_ELSEWHERE.match(path) or path.startswith("docs/examples/"), \
                f"{block.where} includes {path}: include catalog recipes or docs/examples/ files, which tests run"


@pytest.mark.parametrize("block", [block for block in python_blocks() if not included(block)],
                         ids=lambda block: block.where)
def test_each_python_block_runs(block):
    exec(compile(block.text, block.where, "exec"), {"__name__": "docs_block"})  # noqa: S102 - our own pages


def example_recipes() -> list[Path]:
    return sorted(path for path in EXAMPLES.glob("*.py") if re.search(r"^recipe = Recipe\(", path.read_text(), re.M))


def test_each_example_recipe_is_trained_by_a_documented_command():
    """The commands above run each example recipe a page shows; a new example needs its `make recipe` line."""
    commands = {line for _, line in runnable_lines()}
    untrained = [path.name for path in example_recipes()
                 if f"make recipe NAME={path.relative_to(ROOT)}" not in commands]
    assert not untrained, f"example recipes no documented command trains: {untrained}"


def import_example(name: str):
    spec = importlib.util.spec_from_file_location(f"docs_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_source_and_model_register_and_work():
    import data
    import zoo
    from data import sources
    from zoo import registry

    try:
        import_example("own_source")
        dataset = data.load("rings", samples=50)
        assert dataset.features.shape == (50, 2) and dataset.class_names == ["inner", "outer"]
        import_example("own_model")
        model = zoo.create("wide_and_deep", input_shape=(13,), num_classes=3, width=8)
        assert model.output_shape == (None, 3)
        assert {layer.name for layer in model.layers} >= {"backbone", "head"}
    finally:  # the registries as they were, for the tests that run after this one in this process
        for table in (sources._SOURCES, sources._NEEDS):
            table.pop("rings", None)
        for table in (registry._MODELS, registry._INFO):
            table.pop("wide_and_deep", None)


def test_every_example_is_included_by_a_page():
    included_paths = {path for block in python_blocks() for path in included(block)}
    missing = [path.name for path in EXAMPLES.glob("*.py") if f"docs/examples/{path.name}" not in included_paths]
    assert not missing, f"examples no page shows: {missing}"


# ---- generated results and the rules of the pages ---------------------------------------------------------


def test_the_results_pages_and_the_readme_catalog_match_their_json():
    from benchmarks.pages import rendered

    stale = [str(path.relative_to(ROOT)) for path, text in rendered().items()
             if not path.exists() or path.read_text() != text]
    assert not stale, f"out of date with benchmarks/results (run python -m benchmarks.pages): {stale}"


def test_every_results_file_has_a_page():
    from benchmarks.pages import BENCHMARKS

    names = {benchmark.name for benchmark in BENCHMARKS}
    orphans = [path.name for path in (ROOT / "benchmarks" / "results").glob("*.json") if path.stem not in names]
    assert not orphans, f"results files without a page (add them to benchmarks.pages.BENCHMARKS): {orphans}"
    navigation = (ROOT / "mkdocs.yml").read_text()
    assert all(f"results/{name}.md" in navigation for name in names), "a results page is missing from mkdocs.yml"


def test_the_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) < 200


def test_no_page_but_the_changelog_and_the_generated_results_carries_a_date_or_a_notebook_line():
    pattern = re.compile(r"\b20\d\d-\d\d-\d\d\b|\b20\d{6}-\d{6}\b|\bissue \d+|\bI (then|tried|ran|measured)\b"
                         r"|\bthis session\b|while another job", re.I)
    found = [f"{page.relative_to(ROOT)}: {match.group(0)!r}" for page in PAGES
             if page.name != "changelog.md" and GENERATED not in page.parents
             for match in pattern.finditer(page.read_text())]
    assert not found, f"dates or lab-notebook lines outside the changelog and the results pages: {found}"


def test_make_docs_builds_the_site_strictly_and_ci_runs_it():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^docs: ", makefile, re.M) and "mkdocs build --strict" in makefile
    assert "make docs" in (ROOT / ".ci" / "run").read_text()
