"""Text every report shares: Markdown tables and timestamps."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any


def cell(value: Any, digits: int = 4) -> str:
    """A table cell: floats to `digits` decimals, None empty, anything else as text."""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return "" if value is None else str(value)


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]], digits: int = 4) -> list[str]:
    """Lines of a Markdown table; floats written with `digits` decimals."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value, digits) for value in row) + " |" for row in rows]
    return lines


def timestamp() -> str:
    """Local time with its offset, as run folders record it: 2026-11-22T10:04:05+0000."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def folder_stamp() -> str:
    """Local time as it begins a run folder's name: 20261122-100405."""
    return time.strftime("%Y%m%d-%H%M%S")
