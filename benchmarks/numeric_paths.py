"""Numeric paths: the same code and seed computed by other kernels, standing in for other CPUs.

    python -m benchmarks.numeric_paths PATH -- COMMAND ...   # run COMMAND under one path
    python -m benchmarks.numeric_paths                       # list the paths and their variables

oneDNN (inside TensorFlow), NumPy and OpenBLAS each choose kernels by the CPU they find, so the last bits
of a float differ between machines, and a short training run can land far from where it landed on the
machine that set its target. A test that holds a trained figure to a bound must hold on every path here
(`make test-portable` runs the `figures` tests under each), and its bound is set from measurements over
several seeds and paths (`python -m benchmarks.spread`).

- `native`: whatever this CPU picks.
- `no_onednn`: TensorFlow's own Eigen kernels instead of oneDNN's.
- `avx2`: oneDNN capped at AVX2, NumPy's AVX-512 dispatch off, OpenBLAS's Haswell kernels: an AVX2-only
  machine's choices on a machine that has AVX-512 (on an AVX2-only machine it changes nothing).
"""

from __future__ import annotations

import os
import subprocess
import sys

# NumPy's dispatch targets that use AVX-512; only those this NumPy knows are disabled (naming one it does
# not know is an error at import).
NUMPY_AVX512_TARGETS = ("X86_V4", "AVX512_SKX", "AVX512_CLX", "AVX512_CNL", "AVX512_ICL", "AVX512_SPR")


def numpy_avx512_targets() -> list[str]:
    """The AVX-512 dispatch targets of the installed NumPy that this CPU offers (disabling one it does not
    offer is refused by NumPy)."""
    import numpy  # noqa: F401  (imported for its feature table)
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [target for target in NUMPY_AVX512_TARGETS
            if target in __cpu_dispatch__ and __cpu_features__.get(target, False)]


def path_variables(name: str) -> dict[str, str]:
    """The environment variables that select numeric path `name`."""
    if name == "native":
        return {}
    if name == "no_onednn":
        return {"TF_ENABLE_ONEDNN_OPTS": "0"}
    if name == "avx2":
        variables = {"ONEDNN_MAX_CPU_ISA": "AVX2", "OPENBLAS_CORETYPE": "Haswell"}
        targets = numpy_avx512_targets()
        if targets:
            variables["NPY_DISABLE_CPU_FEATURES"] = " ".join(targets)
        return variables
    raise SystemExit(f"Unknown numeric path {name!r}: choose one of {', '.join(PATHS)}.")


PATHS = ("native", "no_onednn", "avx2")


def environment(name: str) -> dict[str, str]:
    """os.environ with path `name`'s variables added. An OPENBLAS_CORETYPE the machine already sets is kept:
    some machines set it because other OpenBLAS kernels compute wrong results on their CPU."""
    variables = path_variables(name)
    if "OPENBLAS_CORETYPE" in os.environ:
        variables.pop("OPENBLAS_CORETYPE", None)
    return {**os.environ, **variables}


def main(arguments: list[str]) -> int:
    if not arguments:
        for name in PATHS:
            print(f"{name}: {' '.join(f'{key}={value!r}' for key, value in path_variables(name).items()) or '-'}")
        return 0
    name, *rest = arguments
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if not rest:
        print("usage: python -m benchmarks.numeric_paths PATH -- COMMAND ...", file=sys.stderr)
        return 2
    print(f"numeric path {name}: {path_variables(name) or 'as this CPU chooses'}", file=sys.stderr, flush=True)
    return subprocess.call(rest, env=environment(name))  # noqa: S603  (the caller's own command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
