"""A parallel search on this machine: one KerasTuner chief (the oracle) and N workers on 127.0.0.1.

KerasTuner's distributed mode is configured by environment variables: every process gets
KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT; the chief has KERASTUNER_TUNER_ID=chief and
worker i has tuner<i>. The chief serves the oracle over gRPC and, once the workers have run
every trial, writes best.json and report.md into the shared search folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

POLL_SECONDS = 0.5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stream(process: subprocess.Popen, label: str, console) -> None:
    for line in process.stdout:
        console(f"[{label}] {line.rstrip()}")


def launch(arguments: list[str], workers: int, console=print) -> int:
    """Run `python -m engine tune <arguments>` as a chief and `workers` workers; stop all if one fails."""
    port = free_port()
    shared = {**os.environ, "KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(port),
              "PYTHONUNBUFFERED": "1"}
    labels = ["chief", *[f"tuner{index}" for index in range(workers)]]
    processes: dict[str, subprocess.Popen] = {}
    threads = []
    for label in labels:
        processes[label] = subprocess.Popen(
            [sys.executable, "-m", "engine", "tune", *arguments],
            env={**shared, "KERASTUNER_TUNER_ID": label},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        thread = threading.Thread(target=_stream, args=(processes[label], label, console), daemon=True)
        thread.start()
        threads.append(thread)
    console(f"Parallel search: chief and {workers} worker(s), oracle on 127.0.0.1:{port}.")
    failed = ""
    try:
        while any(process.poll() is None for process in processes.values()):
            failed = next((label for label, process in processes.items() if process.poll() not in (None, 0)), "")
            if failed:
                break
            time.sleep(POLL_SECONDS)
        failed = failed or next((label for label, process in processes.items() if process.returncode), "")
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for thread in threads:
            thread.join(timeout=5)
    if failed:
        console(f"error: the {failed} process failed (exit code {processes[failed].returncode}); "
                "every other process of the search was stopped.")
        return processes[failed].returncode if processes[failed].returncode and processes[failed].returncode > 0 else 1
    return 0
