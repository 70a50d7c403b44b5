"""The next epoch of a table begun on a thread while this one drains.

A streamed table whose training split fits in the shuffle pool (`data.block_shuffle`) must be
read whole before its first batch can leave, since any row may come first; without help each
epoch would then wait for the whole file to be parsed before training on it. `ReadAhead` passes
over a table's blocks many times: as soon as one pass has read its last block (the rows are in
the pool and batches are leaving), a thread starts the next pass and reads its opening blocks,
up to `rows` rows (the pool's capacity: what that pass needs before its first batch can leave),
and holds them. The next pass takes those blocks, then goes on reading where the thread stopped.
At most `rows` rows (and a block) are held beside the pool, and every pass gives the same blocks
in the same order as reading from the start would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator


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
    """Passes over `read()`'s blocks (tuples of arrays, rows first), each after the first begun ahead."""

    def __init__(self, read: Callable[[], Iterator[tuple]], rows: int):
        self.read, self.rows = read, max(1, int(rows))
        self._lock = threading.Lock()
        self._next: _Opening | None = None

    def blocks(self) -> Iterator[tuple]:
        """One pass: the blocks read ahead for it (if any), then the rest, read as needed."""
        with self._lock:
            opening, self._next = self._next, None
        if opening is None:
            yield from self.read()
        else:
            held, rest = opening.result()
            yield from held
            yield from rest
        with self._lock:
            if self._next is None:
                self._next = _Opening(self.read, self.rows)
