"""`make recipe NAME=... WORKERS=N`: N MultiWorkerMirroredStrategy workers on 127.0.0.1.

Each worker is `python -m engine recipe NAME ... strategy=multi_worker` with its own TF_CONFIG:
a cluster of N "worker" tasks on free local ports, task 0 being the chief. The chief writes the
run folder and its output is the console's; the other workers write nothing, and their output
is shown only when one of them fails. When any worker fails (or is killed) the others are
stopped and the launcher exits with a non-zero code. An unfinished run resumes with the same
command plus `resume=runs/<recipe>/<run>`.
"""

from __future__ import annotations

import collections
import json

from engine.distribute.local_cluster import Group, free_ports

SHOWN_LINES = 30  # of a failed non-chief worker's output


def tf_configs(workers: int) -> list[str]:
    """TF_CONFIG of each worker: one cluster of `workers` tasks on 127.0.0.1, task 0 the chief."""
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(workers)]}
    return [json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}) for index in range(workers)]


def launch(words: list[str], runs_dir: str, workers: int, console=print) -> int:
    """Run `python -m engine recipe <words> strategy=multi_worker` as `workers` workers; 0 when all succeed.

    `words` are the recipe's name and its overrides, as given to `python -m engine recipe`.
    """
    group = Group()
    tails: dict[str, collections.deque] = {}
    for index, tf_config in enumerate(tf_configs(workers)):
        label = f"worker {index}"
        tails[label] = collections.deque(maxlen=SHOWN_LINES)
        on_line = console if index == 0 else tails[label].append
        process = group.start(label, ["recipe", *words, "strategy=multi_worker", "--runs-dir", runs_dir],
                              {"TF_CONFIG": tf_config}, on_line)
        console(f"Multi-worker training: {label} of {workers}"
                f"{' (the chief: writes the run folder)' if index == 0 else ''}, pid {process.pid}, "
                f"{json.loads(tf_config)['cluster']['worker'][index]}.")
    failed = group.wait()
    if not failed:
        return 0
    for line in tails.get(failed, []):
        console(f"[{failed}] {line}")
    console(f"error: {failed} failed ({group.describe_exit(failed)}); every other worker was stopped.")
    return group.exit_code(failed)
