"""The code stays lint-clean and its functions short enough to read in one screen."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The project's own code; recipes, benchmarks and tests are held to ruff only.
PACKAGES = ("engine", "data", "zoo", "common")
# A function longer than this, from its `def` line to its last line, should be split.
MAX_FUNCTION_LINES = 60


def test_ruff_finds_nothing_with_the_project_configuration():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"ruff check . found problems:\n{result.stdout}{result.stderr}"


def long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_no_function_is_longer_than_sixty_lines():
    offenders = [entry for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
                 for entry in long_functions(path)]
    assert not offenders, (f"{len(offenders)} functions are longer than {MAX_FUNCTION_LINES} lines; split them:\n"
                           + "\n".join(offenders))


def test_the_import_contracts_hold():
    """engine/'s layers import downward only, and data/, zoo/ and common/ never import the engine (pyproject.toml's
    [tool.importlinter]); a module that imports upward makes a circle this catches before an import fails."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"lint-imports found broken contracts:\n{result.stdout}{result.stderr}"
    assert "0 broken" in result.stdout


def project_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [name for name in names if not name.endswith("__main__")]


def test_every_module_imports_alone_in_a_fresh_interpreter():
    """Each module of engine/, data/, zoo/ and common/ imports by itself, first: no module works only because
    another was imported before it. One interpreter per module would take minutes (TensorFlow loads in each),
    so a fresh interpreter imports them one after another, each after clearing every project module from
    sys.modules, which makes each import the first."""
    script = (
        "import importlib, sys, traceback\n"
        f"roots = {PACKAGES!r}\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [key for key in sys.modules if key.split('.')[0] in roots]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        failed.append(name + ': ' + traceback.format_exc().strip().splitlines()[-1])\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    modules = project_modules()
    result = subprocess.run([sys.executable, "-c", script, *modules], cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"modules that fail to import alone:\n{result.stdout}{result.stderr[-3000:]}"
    assert len(modules) > 100
