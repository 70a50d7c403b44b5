"""Passes over a streamed table's blocks: kept when they fit in the shuffle pool, else begun ahead on a thread.

A streamed table whose training split fits in the shuffle pool (`data.block_shuffle`) must be
read whole before its first batch can leave, since any row may come first. The pool then holds
every row of the split during each epoch, so `ReadAhead` keeps the blocks of a first pass that
ended within `rows` rows (the pool's capacity) and gives them again to every later pass instead
of parsing the same file again: peak memory stays what one epoch needs, and the blocks and their
order are those a fresh read gives. A larger table is read afresh each pass: as soon as one pass
has read its last block (the pool is full and batches are leaving), a thread starts the next
pass and reads its opening blocks, up to `rows` rows (what that pass needs before its first
batch can leave), and holds them. The next pass takes those blocks, then goes on reading where
the thread stopped. Within a pass, each block is read on a thread while the one before it is
shuffled and batched (`one_ahead`), so parsing overlaps tf.data's work on a second core. At most
`rows` rows (and two blocks) are held beside the pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor


def one_ahead(blocks: Iterator[tuple]) -> Iterator[tuple]:
    """The items of `blocks`, the next one read on a thread while the caller uses this one.

    An error in reading is raised here, in the caller's thread. A caller that stops early waits for
    the one read under way, then `blocks` is closed.
    """
    end = object()
    reader = ThreadPoolExecutor(1, thread_name_prefix="table-read")
    try:
        coming = reader.submit(next, blocks, end)
        while (block := coming.result()) is not end:
            coming = reader.submit(next, blocks, end)
            yield block
    finally:
        reader.shutdown(wait=True)
        getattr(blocks, "close", lambda: None)()


class _Opening:
    """A pass's opening blocks, read on a daemon thread; `result()` waits for them."""

    def __init__(self, read: Callable[[], Iterator[tuple]], rows: int):
        self.blocks: list[tuple] = []
        self.rest: Iterator[tuple] | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(read, rows), daemon=True, name="table-read-ahead")
        self._thread.start()

    def _run(self, read: Callable[[], Iterator[tuple]], rows: int) -> None:
        try:
            rest, held = read(), 0
            for block in rest:
                self.blocks.append(block)
                held += len(block[0])
                if held >= rows:
                    break
            self.rest = rest
        except BaseException as error:  # noqa: BLE001 - given back to the pass that takes these blocks
            self.error = error

    def result(self) -> tuple[list[tuple], Iterator[tuple]]:
        """The opening blocks and an iterator over the rest of the pass."""
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.blocks, self.rest


class ReadAhead:
    """Passes over `read()`'s blocks (tuples of arrays, rows first): all of them kept when a pass holds
    at most `rows` rows, otherwise each pass after the first begun ahead."""

    def __init__(self, read: Callable[[], Iterator[tuple]], rows: int):
        self.read, self.rows = read, max(1, int(rows))
        self._lock = threading.Lock()
        self._next: _Opening | None = None
        self.kept: list[tuple] | None = None  # every block of a table that fits in `rows` rows

    def blocks(self) -> Iterator[tuple]:
        """One pass: the kept blocks, or those read ahead for it (if any) and then the rest, read as needed."""
        if self.kept is not None:
            yield from self.kept
            return
        with self._lock:
            opening, self._next = self._next, None
        if opening is None:
            given, held = [], 0
            for block in one_ahead(self.read()):
                if held <= self.rows:
                    given.append(block)
                    held += len(block[0])
                yield block
            if held <= self.rows:
                self.kept = given
                return
        else:
            opening_blocks, rest = opening.result()
            yield from opening_blocks
            yield from one_ahead(rest)
        with self._lock:
            if self._next is None:
                self._next = _Opening(self.read, self.rows)
