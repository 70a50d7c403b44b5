"""The comment written beside or above each field of a dataclass, read back as that field's documentation.

Settings are documented where they are declared, as comments (`# Labels asked for in each round.` above a
field, or after it on its line); `field_docs` returns them so that a command can print them. `registrations`
reads what a registry's decorator registers, the same way, from source: its name, its docstring and the keyword
arguments it takes, so that `make list` and `make show` name the zoo's models and data's sources, and their
arguments, without importing them (and TensorFlow with them).
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import inspect
import io
import textwrap
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def field_docs(cls: type) -> dict[str, str]:
    """{field name: its comment} for each annotated field of `cls` that has one; {} when the source is unreadable."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    comments = {token.start[0]: token.string.lstrip("#").strip()
                for token in tokenize.generate_tokens(io.StringIO(source).readline)
                if token.type == tokenize.COMMENT}
    lines = source.splitlines()
    docs = {}
    body = ast.parse(source).body[0].body
    for statement in body:
        if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
            continue
        line = statement.lineno
        if line in comments:
            docs[statement.target.id] = comments[line]
            continue
        above = []
        while line - 1 in comments and lines[line - 2].lstrip().startswith("#"):
            line -= 1
            above.insert(0, comments[line])
        if above:
            docs[statement.target.id] = " ".join(above)
    return docs


@dataclass(frozen=True)
class Registration:
    """A function a registry's decorator registers, as its source declares it."""

    name: str  # the decorator's first argument when it is a string, else the function's name
    doc: str  # the function's docstring
    options: dict  # the decorator's keyword arguments whose values are literals
    # The function's keyword arguments with their defaults (None where required), as
    # common.signatures.accepted_arguments gives them once it is imported; None when a default is not a literal,
    # which only importing it can tell.
    arguments: dict[str, Any] | None = None


def registrations(package: str, decorator: str) -> list[Registration]:
    """Every function decorated with `@decorator` or `@decorator(...)` in the modules of `package`, read from
    their source without importing them: `make list` names the zoo's models and data's sources this way, in a
    fraction of a second, where importing the modules would load TensorFlow first. A contract test holds the
    result equal to the registries the imports fill."""
    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec else []
    found = []
    for path in sorted(path for folder in folders for path in Path(folder).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                found += [_registration(node, call) for call in node.decorator_list if _names(call, decorator)]
    return found


def _names(node: ast.expr, decorator: str) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (isinstance(target, ast.Name) and target.id == decorator) or \
        (isinstance(target, ast.Attribute) and target.attr == decorator)


def _registration(function: ast.FunctionDef, call: ast.expr) -> Registration:
    arguments = call.args if isinstance(call, ast.Call) else []
    keywords = call.keywords if isinstance(call, ast.Call) else []
    first = arguments[0] if arguments else None
    named = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else function.name
    options = {}
    for keyword in keywords:
        with contextlib.suppress(ValueError):
            options[keyword.arg] = ast.literal_eval(keyword.value)
    return Registration(named, ast.get_docstring(function) or "", options, _arguments(function.args))


def _arguments(signature: ast.arguments) -> dict[str, Any] | None:
    """Keyword arguments and defaults, leaving out positional-only ones, *args and **kwargs, as
    common.signatures.accepted_arguments does; None when a default is an expression rather than a literal."""
    positional = [*signature.posonlyargs, *signature.args]
    defaults = [None] * (len(positional) - len(signature.defaults)) + list(signature.defaults)
    pairs = [*list(zip(positional, defaults, strict=True))[len(signature.posonlyargs):],
             *zip(signature.kwonlyargs, signature.kw_defaults, strict=True)]
    found: dict[str, Any] = {}
    for argument, default in pairs:
        if argument.arg == "self":
            continue
        try:
            found[argument.arg] = None if default is None else ast.literal_eval(default)
        except (ValueError, TypeError):
            return None
    return found
