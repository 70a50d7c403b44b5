import importlib.util
import sys

if importlib.util.find_spec("tensorflow") is None:
    # TensorFlow comes from an extra (pyproject.toml), so that the GPU build can replace the CPU one.
    sys.exit("error: TensorFlow is not installed. Install the project with one of its TensorFlow builds: "
             "make install (the CPU build), make install TF=gpu, or pip install -e \".[cpu]\" / \".[gpu]\".")

from engine.cli import main  # noqa: E402 - after the check, so a missing TensorFlow is one clear line
from engine.native_logs import divert  # noqa: E402

divert()

sys.exit(main())
