"""Concurrent requests batched into one model call, as TF Serving's batching does.

A `Batcher` runs on one thread. Requests queue their samples; the thread takes the oldest, then waits for more
while other requests are on their way in (announced, not yet queued) or while fewer requests are queued than the
largest of the last four batches held (clients answered together come back together), until the batch holds
`max_batch_size` samples or `max_wait` seconds have passed since it began gathering. A lone client therefore
never waits, and many clients share each model call. When a batch fails as a whole (a sample the checks let
through and the model refuses), each request in it is run again alone, so only the faulty one is answered with
an error.

`BatchedModel` is what the batcher calls for a served run: its requests' samples merged into one batch of raw
inputs (engine.serve.rest), the serving model (fitted preprocessing and trained model, engine.serve.layers)
called through a `tf.function` traced once for all batch sizes, and the predictions split back per request.
It is warmed up before the server accepts requests, so no request pays for tracing.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.serve.layers import serving_model
from engine.serve.rest import batch_inputs, prediction_records, warm_up_samples
from engine.serve.state import Served, ServeError


@dataclass
class _Job:
    samples: Any
    count: int
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None


class Batcher:
    """Requests' samples gathered into batches for `run`, which maps a list of samples (one entry per request) to a
    list of results (one per request: a value, or an exception to raise in that request)."""

    def __init__(self, run: Callable[[list[Any]], list[Any]], max_batch_size: int = 32, max_wait: float = 0.002):
        self.run, self.max_batch_size, self.max_wait = run, max_batch_size, max_wait
        self.calls = 0  # model calls made (batches), for the server's figures and the tests
        self._queue: deque[_Job] = deque()
        self._arriving = 0
        self._recent: deque[int] = deque(maxlen=4)  # requests in the last batches: clients that come back together
        self._closing = False
        self._condition = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="batcher", daemon=True)
        self._thread.start()

    def announce(self) -> None:
        """A request has arrived and will submit its samples (or withdraw): a batch being gathered waits for it."""
        with self._condition:
            self._arriving += 1

    def withdraw(self) -> None:
        """An announced request will not submit (it was refused)."""
        with self._condition:
            self._arriving -= 1
            self._condition.notify_all()

    def submit(self, samples: Any, count: int) -> Any:
        """The result for these samples, once their batch has run; the request must have announced itself."""
        job = _Job(samples, count)
        with self._condition:
            if self._closing:
                self._arriving -= 1
                raise ServeError("The server is shutting down and takes no new requests.")
            self._arriving -= 1
            self._queue.append(job)
            self._condition.notify_all()
        job.done.wait()
        if isinstance(job.result, Exception):
            raise job.result
        return job.result

    def close(self) -> None:
        """Answer the requests already queued, then stop the thread."""
        with self._condition:
            self._closing = True
            self._condition.notify_all()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            jobs = self._gather()
            if not jobs:
                return
            self._run(jobs)

    def _gather(self) -> list[_Job]:
        with self._condition:
            while not self._queue and not self._closing:
                self._condition.wait()
            deadline = time.monotonic() + self.max_wait
            while (self._queue and (self._arriving > 0 or len(self._queue) < max(self._recent, default=0))
                   and not self._closing and sum(job.count for job in self._queue) < self.max_batch_size):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._condition.wait(remaining)
            jobs, rows = [], 0
            while self._queue and (not jobs or rows + self._queue[0].count <= self.max_batch_size):
                jobs.append(self._queue.popleft())
                rows += jobs[-1].count
            self._recent.append(len(jobs))
            return jobs

    def _run(self, jobs: list[_Job]) -> None:
        self.calls += 1
        try:
            results = self.run([job.samples for job in jobs])
        except Exception as error:  # noqa: BLE001 - answered in the request; the thread must keep serving
            results = [error] if len(jobs) == 1 else [self._alone(job) for job in jobs]
        for job, result in zip(jobs, results, strict=True):
            job.result = result
            job.done.set()

    def _alone(self, job: _Job) -> Any:
        self.calls += 1
        try:
            return self.run([job.samples])[0]
        except Exception as error:  # noqa: BLE001 - as above
            return error


class BatchedModel:
    """A served run's model called on batches of requests: raw samples in, one list of prediction objects out
    per request."""

    def __init__(self, served: Served):
        import tensorflow as tf

        self.served = served
        model = serving_model(served)
        signature = tf.nest.map_structure(lambda tensor: tf.TensorSpec((None, *tensor.shape[1:]), tensor.dtype),
                                          model.input)
        self._call = tf.function(lambda features: model(features, training=False), input_signature=[signature])

    def __call__(self, samples: list[Any]) -> list[Any]:
        """One result per request: its prediction objects, or a ServeError if the model answers a non-finite value."""
        inputs = batch_inputs(self.served, samples)
        outputs = np.asarray(self._call(inputs.features))
        records = prediction_records(self.served, outputs)
        finite = np.isfinite(outputs.reshape(len(outputs), -1)).all(axis=1)
        results, start = [], 0
        for part in samples:
            stop = start + _count(part)
            bad = np.flatnonzero(~finite[start:stop])
            results.append(records[start:stop] if not len(bad) else ServeError(
                f"The model predicts non-finite values for samples {bad[:10].tolist()} of this request; check "
                "those inputs (a value far outside the training range?)."))
            start = stop
        return results

    def warm_up(self, batch_sizes: tuple[int, ...]) -> None:
        """Trace the function and touch every kernel once for each batch size, before any request comes."""
        for size in batch_sizes:
            self([warm_up_samples(self.served, size)])


def _count(samples: Any) -> int:
    return len(next(iter(samples.values()))) if isinstance(samples, dict) else len(samples)
