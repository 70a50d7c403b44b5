"""Processes on this machine that work as one: free ports, output streamed as it comes, all stopped if one fails.

Shared by the two launchers: `make tune WORKERS=N` (engine.tune.workers, a KerasTuner chief and
workers) and `make recipe WORKERS=N` (engine.distribute.multi_worker, MultiWorkerMirroredStrategy workers).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

POLL_SECONDS = 0.5
STOP_SECONDS = 30


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free on 127.0.0.1 (all probes stay open until each has its own)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


class Group:
    """Named `python -m engine ...` processes; each output line goes to the callable given for its name."""

    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen] = {}
        self._threads: list[threading.Thread] = []

    def start(self, label: str, arguments: list[str], environment: dict[str, str],
              on_line: Callable[[str], None]) -> subprocess.Popen:
        process = subprocess.Popen(  # noqa: S603 - this interpreter running our own engine, no shell
            [sys.executable, "-m", "engine", *arguments],
            env={**os.environ, "PYTHONUNBUFFERED": "1", **environment},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        thread = threading.Thread(target=_stream, args=(process, on_line), daemon=True)
        thread.start()
        self.processes[label] = process
        self._threads.append(thread)
        return process

    def wait(self) -> str:
        """Wait until every process has ended; as soon as one fails, stop the others.

        Returns the label of the first process that failed, or "" when all succeeded.
        """
        failed = ""
        try:
            while any(process.poll() is None for process in self.processes.values()):
                failed = next((label for label, process in self.processes.items()
                               if process.poll() not in (None, 0)), "")
                if failed:
                    break
                time.sleep(POLL_SECONDS)
            failed = failed or next((label for label, process in self.processes.items() if process.returncode), "")
        finally:
            self.stop()
        return failed

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for thread in self._threads:
            thread.join(timeout=5)

    def exit_code(self, label: str) -> int:
        """The process's exit code, or 1 when a signal ended it (the shell's 128+N would hide the cause)."""
        code = self.processes[label].returncode
        return code if code and code > 0 else 1

    def describe_exit(self, label: str) -> str:
        code = self.processes[label].returncode
        if code is not None and code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"


def _stream(process: subprocess.Popen, on_line: Callable[[str], None]) -> None:
    for line in process.stdout:
        on_line(line.rstrip("\n"))
