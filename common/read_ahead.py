"""Items of an iterator produced on a thread of their own, a few ahead of the one that uses them.

Parsing a table's next chunk (pandas' C parser runs without the GIL) can then go on while the
current chunk is encoded, on the second core.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

_END = object()


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


def read_ahead(items: Iterable, depth: int = 2) -> Iterator:
    """The items of `items`, in order, at most `depth` of them made before they are asked for.

    An error raised while making an item is raised here, in its place. Closing the returned
    generator early stops the thread at its next item.
    """
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        waiting.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            waiting.put(_END)
        except BaseException as error:  # noqa: BLE001 - handed over to the consumer, raised there
            waiting.put(_Failure(error))

    thread = threading.Thread(target=produce, name="read_ahead", daemon=True)
    thread.start()
    try:
        while (item := waiting.get()) is not _END:
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
