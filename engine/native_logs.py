"""TensorFlow's C++ and absl log lines kept off the console of `python -m engine`.

TensorFlow 2.21 writes its start-up notes ("oneDNN custom operations are on", "All log messages before
absl::InitializeLog() ...") straight to file descriptor 2 from C++, where TF_CPP_MIN_LOG_LEVEL no longer
reaches them. `divert()` points descriptor 2 at a log file and gives Python's `sys.stderr` a copy of the
console's descriptor, so the engine's own messages, warnings and tracebacks still reach the console while
native lines go to the file. `ENGINE_DEBUG=1` leaves the console as it is.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

LOG_NAME = "keras-recipes-native.log"
SHARED = "ENGINE_NATIVE_LOG_SHARED"


def native_log_path() -> Path:
    """Where the native lines of the last command went: ENGINE_NATIVE_LOG, else the temporary folder."""
    return Path(os.environ.get("ENGINE_NATIVE_LOG") or Path(tempfile.gettempdir()) / LOG_NAME)


def divert() -> Path | None:
    """Send descriptor 2 to the native log for the rest of this process; None when ENGINE_DEBUG is set."""
    if os.environ.get("ENGINE_DEBUG"):
        return None
    path = native_log_path()
    # A command starts the log afresh; the worker processes it starts add to it.
    mode = "a" if os.environ.get(SHARED) else "w"
    try:
        log = open(path, mode)  # noqa: SIM115 - held open for the life of the process
    except OSError:
        return None  # an unwritable log folder leaves the console as it is
    os.environ[SHARED] = "1"
    console = os.dup(2)
    sys.stderr.flush()
    os.dup2(log.fileno(), 2)
    sys.stderr = os.fdopen(console, "w", buffering=1, encoding=sys.stderr.encoding, errors="backslashreplace")
    return path
