"""The machine a benchmark ran on, printed beside its figures: timings hold for this CPU and no other."""

from __future__ import annotations

import os
from pathlib import Path

# Instruction-set flags that decide how fast 16-bit and wide-vector arithmetic can be.
FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_fp16")


def describe_cpu() -> str:
    """"AMD EPYC (2 cores; avx2)": the CPU's name, its core count and which of FLAGS it has."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    name = next((line.partition(":")[2].strip() for line in lines if line.startswith("model name")), "unknown CPU")
    flags = next((line.partition(":")[2].split() for line in lines if line.startswith("flags")), [])
    shown = [flag for flag in FLAGS if flag in flags]
    return f"{name} ({os.cpu_count()} cores; {', '.join(shown) or 'none of ' + '/'.join(FLAGS)})"
