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
