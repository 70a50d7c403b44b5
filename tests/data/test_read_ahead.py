"""`data.read_ahead.ReadAhead`: every pass gives the blocks a fresh read gives; a table that fits in the pool is
read once and kept, a larger one has its next pass begun ahead."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from data.read_ahead import ReadAhead, one_ahead


class CountedTable:
    """Blocks of 10 rows (numbers and labels), counting the blocks read and the threads reading them."""

    def __init__(self, blocks: int = 6, fail_from_pass: int | None = None):
        self.count, self.fail_from_pass = blocks, fail_from_pass
        self.passes, self.read, self.threads = 0, 0, set()

    def blocks(self):
        self.passes += 1
        if self.fail_from_pass is not None and self.passes >= self.fail_from_pass:
            raise OSError("the table file went away")
        for index in range(self.count):
            self.read += 1
            self.threads.add(threading.current_thread().name)
            rows = np.arange(10 * index, 10 * index + 10)
            yield rows, rows % 3


def flat(blocks) -> list:
    return [(int(row), int(label)) for rows, labels in blocks for row, label in zip(rows, labels, strict=True)]


def test_every_pass_gives_the_same_blocks_and_the_next_opening_is_read_on_a_thread():
    table = CountedTable()
    ahead = ReadAhead(table.blocks, rows=25)
    expected = flat(CountedTable().blocks())
    first = flat(ahead.blocks())
    assert first == expected
    ahead._next.result()  # the thread begun when the first pass ended
    assert table.read == 6 + 3, "the next pass's opening: 25 rows, three blocks of 10, and no more"
    assert "table-read-ahead" in table.threads
    for _ in range(3):
        assert flat(ahead.blocks()) == expected


def test_a_table_that_fits_is_read_once_and_its_blocks_kept_for_every_pass():
    table = CountedTable()
    ahead = ReadAhead(table.blocks, rows=60)
    expected = flat(CountedTable().blocks())
    for _ in range(4):
        assert flat(ahead.blocks()) == expected
    assert table.passes == 1 and table.read == 6 and ahead._next is None


def test_a_pass_left_unfinished_begins_no_read_ahead():
    table = CountedTable()
    ahead = ReadAhead(table.blocks, rows=100)
    passing = ahead.blocks()
    next(passing)
    passing.close()
    assert ahead._next is None and table.read == 2, "the first block, and the second read while it was used"
    assert flat(ahead.blocks()) == flat(CountedTable().blocks())


def test_an_error_while_reading_ahead_reaches_the_pass_that_needed_those_blocks():
    ahead = ReadAhead(CountedTable(fail_from_pass=2).blocks, rows=25)
    assert len(flat(ahead.blocks())) == 60
    with pytest.raises(OSError, match="went away"):
        list(ahead.blocks())


def test_one_ahead_reads_on_a_thread_raises_errors_in_the_caller_and_closes_what_it_left():
    table = CountedTable()
    assert flat(one_ahead(table.blocks())) == flat(CountedTable().blocks())
    assert table.threads == {name for name in table.threads if name.startswith("table-read")}

    def failing():
        yield from CountedTable(blocks=2).blocks()
        raise OSError("a cut line")

    with pytest.raises(OSError, match="cut line"):
        list(one_ahead(failing()))
    closed = []

    def watched():
        try:
            yield from CountedTable().blocks()
        finally:
            closed.append(True)

    passing = one_ahead(watched())
    next(passing)
    passing.close()
    assert closed == [True]
