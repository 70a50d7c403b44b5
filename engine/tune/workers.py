"""A parallel search on this machine: one KerasTuner chief (the oracle) and N workers on 127.0.0.1.

KerasTuner's distributed mode is configured by environment variables: every process gets
KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT; the chief has KERASTUNER_TUNER_ID=chief and
worker i has tuner<i>. The chief serves the oracle over gRPC and, once the workers have run
every trial, writes best.json and report.md into the shared search folder.
"""

from __future__ import annotations

from engine.distribute.local_cluster import Group, free_port


def launch(arguments: list[str], workers: int, console=print) -> int:
    """Run `python -m engine tune <arguments>` as a chief and `workers` workers; stop all if one fails."""
    port = free_port()
    shared = {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(port)}
    group = Group()
    for label in ["chief", *[f"tuner{index}" for index in range(workers)]]:
        group.start(label, ["tune", *arguments], {**shared, "KERASTUNER_TUNER_ID": label},
                    lambda line, label=label: console(f"[{label}] {line}"))
    console(f"Parallel search: chief and {workers} worker(s), oracle on 127.0.0.1:{port}.")
    failed = group.wait()
    if failed:
        console(f"error: the {failed} process failed ({group.describe_exit(failed)}); "
                "every other process of the search was stopped.")
        return group.exit_code(failed)
    return 0
