"""Clocks for the benchmarks: when each epoch began, so an epoch's period includes every callback's
end-of-epoch work (the logs and checkpoints an engine writes, too).

`EngineClock` goes into a recipe's callbacks; the engine builds it from its reference (a file path, which
it imports afresh), so each instance leaves itself in the list `BUILT` of the module as Python first
imported it.
"""

from __future__ import annotations

import statistics
import time

import keras


class EpochClock(keras.callbacks.Callback):
    """When each epoch began and when training ended (perf_counter seconds): an epoch's period then includes
    every callback's end-of-epoch work, the logs and checkpoints an engine writes too."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.marks.append(time.perf_counter())

    def on_train_end(self, logs: dict | None = None) -> None:
        self.marks.append(time.perf_counter())

    def periods(self) -> list[float]:
        return [later - earlier for earlier, later in zip(self.marks, self.marks[1:], strict=False)]


BUILT: list[EpochClock] = []


class EngineClock(EpochClock):
    """The clock given to the engine as a recipe callback."""

    def __init__(self) -> None:
        super().__init__()
        import benchmarks.clock as first_import

        first_import.BUILT.append(self)


def steady(periods: list[float]) -> float:
    """Median seconds per epoch after the first (which traces the training function)."""
    return statistics.median(periods[1:] if len(periods) > 1 else periods)
