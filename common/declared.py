"""The comment written beside or above each field of a dataclass, read back as that field's documentation.

Settings are documented where they are declared, as comments (`# Labels asked for in each round.` above a
field, or after it on its line); `field_docs` returns them so that a command can print them.
"""

from __future__ import annotations

import ast
import inspect
import io
import textwrap
import tokenize


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
