"""make serve under load: requests per second and latency at 1, 8 and 32 concurrent clients.

    python -m benchmarks.serve [--seconds 3]

Trains a tiny run of penguins_tabular (a table) and of digits_cnn (an array), then, for each, starts
`python -m engine serve RUN` as its own process on 127.0.0.1 and sends it single-row predict requests from 1, 8
and 32 client threads of this process, each on its own kept-alive connection, for `--seconds` each after half a
second of warm-up. Every answer is checked against `make predict`'s CSV for the same row (engine.serve.predict,
to 1e-6). Reports per level the requests per second, the median and 99th-percentile latency, errors (an answer
other than 200), dropped requests (no answer: a reset connection, a timeout) and answers that differ from make
predict's, and the server's peak resident memory (VmHWM from /proc). The server is then stopped with SIGTERM and
must exit 0.

Goals (exit status 1 when one is missed): for each recipe, a median under 10 ms for one row at one client,
throughput at 32 clients at least 5 times that at one client (batching at work), no errors, drops or differing
answers. The client threads share this machine's cores with the server, so the figures hold for this CPU and
its load; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas

from benchmarks import results_file
from benchmarks.machine import describe_cpu
from common.text import markdown_table, plural

ROOT = Path(__file__).resolve().parents[1]
RECIPES = {  # tiny runs: the figures are the server's, not the model's
    "penguins_tabular": {"epochs": 1},
    "digits_cnn": {"epochs": 1, "model.args.filters": 16, "model.args.dense_units": 32},
}
CLIENTS = (1, 8, 32)
WARM_SECONDS = 0.5
TOLERANCE = 1e-6
P50_GOAL_MS = 10.0
SPEEDUP_GOAL = 5.0


@dataclass
class Load:
    """One recipe at one number of clients: what the clients saw."""

    recipe: str
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    dropped: int = 0
    differing: int = 0

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, percent: float) -> float:
        return float(np.percentile(self.latencies, percent) * 1000) if self.latencies else float("nan")


def train(runs_dir: Path) -> dict[str, Path]:
    from engine.recipe.loading import load_recipe
    from engine.recipe.overrides import apply_overrides
    from engine.run.training import run_recipe

    return {name: run_recipe(apply_overrides(load_recipe(name), overrides), runs_dir=runs_dir,
                             console=lambda line: None, verbose=0).folder for name, overrides in RECIPES.items()}


def single_row_requests(folder: Path, scratch: Path) -> tuple[list[bytes], pandas.DataFrame]:
    """One predict body per row of the run's test split, and make predict's CSV rows for the same rows."""
    from engine.serve.predict import predict
    from engine.serve.state import raw_test_split

    features, _ = raw_test_split(json.loads((folder / "recipe.json").read_text()))
    if isinstance(features, pandas.DataFrame):
        features = features.reset_index(drop=True)
        source = scratch / f"{folder.parent.name}.csv"
        features.to_csv(source, index=False)
        rows = features.astype(object).where(features.notna(), None).to_dict("records")
    else:
        source = scratch / f"{folder.parent.name}.npz"
        np.savez(source, x=features)
        rows = features.tolist()
    expected = pandas.read_csv(predict(folder, source, scratch / f"{folder.parent.name}_predictions.csv",
                                       console=lambda line: None), keep_default_na=False)
    bodies = [json.dumps({"instances": [row]}).encode() for row in rows]
    return bodies, expected.assign(predicted=expected["predicted"].astype(str))


def same_as_predict(answer: dict, expected: dict) -> bool:
    """Whether a single-row answer is make predict's CSV row (a dict of its cells), probabilities to 1e-6."""
    (prediction,) = answer["predictions"]
    return prediction["predicted"] == expected["predicted"] and all(
        abs(probability - expected[f"probability_{name}"]) <= TOLERANCE
        for name, probability in prediction["probabilities"].items())


def start_server(folder: Path, port: int, log: Path) -> subprocess.Popen:
    """`python -m engine serve` on `port`, once it says it is serving."""
    command = [sys.executable, "-m", "engine", "serve", str(folder), "--port", str(port), "--name", "bench"]
    with log.open("w") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},  # noqa: S603
                                   stdout=subprocess.PIPE, stderr=stderr, text=True)
    for line in process.stdout:
        if line.startswith("Serving"):
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
            return process
    raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Connection:
    """A lean HTTP/1.1 keep-alive client: each request's bytes are built once, and an answer is read by its
    Content-Length. http.client parses every answer's headers with the email package, whose CPU the client would
    take from the server on a 2-core machine; the tests speak to the server with http.client itself."""

    def __init__(self, port: int):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pending = b""

    def exchange(self, request: bytes) -> tuple[int, bytes]:
        """(status, body) of one request sent whole."""
        self.socket.sendall(request)
        while b"\r\n\r\n" not in self.pending:
            self._receive()
        head, _, rest = self.pending.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
        while len(rest) < length:
            self.pending = rest
            self._receive()
            rest = self.pending
        self.pending = rest[length:]
        return int(head.split(b" ", 2)[1]), rest[:length]

    def _receive(self) -> None:
        chunk = self.socket.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.pending += chunk

    def close(self) -> None:
        self.socket.close()


def post(body: bytes) -> bytes:
    return (f"POST /v1/models/bench:predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def run_load(recipe: str, port: int, bodies: list[bytes], expected: pandas.DataFrame, clients: int,
             seconds: float) -> Load:
    """`clients` threads sending single-row requests for WARM_SECONDS + `seconds`; the latter are counted."""
    load = Load(recipe, clients)
    lock = threading.Lock()
    measure_from = time.perf_counter() + WARM_SECONDS
    stop_at = measure_from + seconds
    expected_rows = expected.to_dict("records")  # plain dicts: a pandas lookup per answer would load the client

    requests = [post(body) for body in bodies]

    def client(offset: int) -> None:
        connection, index = None, offset * 7
        while time.perf_counter() < stop_at:
            index = (index + 1) % len(requests)
            started = time.perf_counter()
            try:
                connection = connection or Connection(port)
                status, answer = connection.exchange(requests[index])
            except (OSError, ValueError, AttributeError):  # refused, reset, timed out, or an answer that is not HTTP
                if connection is not None:
                    connection.close()
                connection = None
                with lock:
                    load.dropped += started >= measure_from
                continue
            elapsed = time.perf_counter() - started
            if started < measure_from:
                continue
            correct = status == 200 and same_as_predict(json.loads(answer), expected_rows[index])
            with lock:
                load.latencies.append(elapsed)
                load.errors += status != 200
                load.differing += status == 200 and not correct
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=client, args=(offset,)) for offset in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = seconds
    return load


def measure(recipe: str, folder: Path, scratch: Path, seconds: float) -> tuple[list[Load], float, int]:
    """Every level of clients against one server; (loads, the server's peak RSS in MiB, its exit code)."""
    from engine.serve.server import free_port

    bodies, expected = single_row_requests(folder, scratch)
    port = free_port()
    process = start_server(folder, port, scratch / f"{recipe}_server.log")
    try:
        loads = []
        for clients in CLIENTS:
            loads.append(run_load(recipe, port, bodies, expected, clients, seconds))
            print(f"{recipe}, {plural(clients, 'client')}: {loads[-1].per_second:.0f} requests/s, p50 "
                  f"{loads[-1].percentile_ms(50):.2f} ms", file=sys.stderr, flush=True)
        peak = peak_rss_mib(process.pid)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    return loads, peak, code


def missed_goals(recipe: str, loads: list[Load], exit_code: int) -> list[str]:
    by_clients = {load.clients: load for load in loads}
    missed = []
    if not by_clients[1].percentile_ms(50) < P50_GOAL_MS:
        missed.append(f"{recipe}: median latency at one client {by_clients[1].percentile_ms(50):.2f} ms, goal under "
                      f"{P50_GOAL_MS:g} ms")
    speedup = by_clients[32].per_second / max(by_clients[1].per_second, 1e-9)
    if speedup < SPEEDUP_GOAL:
        missed.append(f"{recipe}: 32 clients give {speedup:.1f}x the requests per second of one, goal "
                      f"{SPEEDUP_GOAL:g}x")
    for load in loads:
        if load.errors or load.dropped or load.differing:
            missed.append(f"{recipe}, {load.clients} clients: {load.errors} errors, {load.dropped} dropped, "
                          f"{load.differing} answers differing from make predict's")
    if exit_code != 0:
        missed.append(f"{recipe}: the server exited {exit_code} on SIGTERM, not 0")
    return missed


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per number of clients")
    options = parser.parse_args(argv)
    print(f"CPU: {describe_cpu()}")
    print(f"load average before: {loadavg()}")
    rows, missed = [], []
    with tempfile.TemporaryDirectory(prefix="serve_benchmark_") as scratch:
        for recipe, folder in train(Path(scratch) / "runs").items():
            loads, peak, code = measure(recipe, folder, Path(scratch), options.seconds)
            missed += missed_goals(recipe, loads, code)
            rows += [[f"`{recipe}`", load.clients, len(load.latencies), f"{load.per_second:.0f}",
                      f"{load.percentile_ms(50):.2f}", f"{load.percentile_ms(99):.2f}", load.errors, load.dropped,
                      load.differing, f"{peak:.0f}"] for load in loads]
    print(f"load average after: {loadavg()}")
    print()
    header = ["recipe", "clients", "requests", "requests/s", "p50 ms", "p99 ms", "errors", "dropped",
              "differing from predict", "server peak RSS MiB"]
    print("\n".join(markdown_table(header, rows)))
    print()
    lines = [f"goal missed: {line}" for line in missed] or [
        f"All goals met: p50 under {P50_GOAL_MS:g} ms at one client, at least {SPEEDUP_GOAL:g}x the throughput "
        "at 32 clients, no errors, drops or differing answers, exit 0 on SIGTERM."]
    print("\n".join(lines))
    results_file.save("serve", argv, [results_file.table(f"Single-row requests, {options.seconds:g} s per level",
                                                         header, rows)], lines)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
