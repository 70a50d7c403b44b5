"""Text every report shares: Markdown tables, counted nouns and timestamps."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from typing import Any


def cell(value: Any, digits: int = 4) -> str:
    """A table cell: floats to `digits` decimals, None empty, anything else as text."""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return "" if value is None else str(value)


def significant(value: Any, digits: int = 4) -> str:
    """A table cell: floats to `digits` significant figures (0.0001234, 1.235e+06), None empty."""
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return "" if value is None else str(value)


def markdown_row(values: Sequence[Any], digits: int = 4) -> str:
    """One line of a Markdown table, for a table printed row by row as its results come."""
    return "| " + " | ".join(cell(value, digits) for value in values) + " |"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]], digits: int = 4) -> list[str]:
    """Lines of a Markdown table; floats written with `digits` decimals.

    Cells given as strings are written as they are: format them first where a column needs
    another form (`significant`, thousands separators).
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [markdown_row(row, digits) for row in rows]
    return lines


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    """`count` and `word`, with the plural where the count is not 1: "1 epoch", "3 epochs", "0 epochs"."""
    return f"{count} {word if count == 1 else plural_form or word + 's'}"


def timestamp() -> str:
    """Local time with its offset, as run folders record it: 2026-11-22T10:04:05+0000."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def folder_stamp() -> str:
    """Local time as it begins a run folder's name: 20261122-100405."""
    return time.strftime("%Y%m%d-%H%M%S")


def first_sentence(text: str) -> str:
    """The first sentence of a docstring's first paragraph, whole, on one line."""
    paragraph = " ".join(text.strip().split("\n\n")[0].split())
    end = re.search(r"\.\s+(?=[A-Z`(])", paragraph)  # a full stop before a new sentence, not "e.g. x"
    return paragraph if end is None else paragraph[:end.start() + 1]
