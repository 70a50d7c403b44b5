"""This machine's CPU: its name, core count and the instruction-set flags that decide how fast 16-bit and
wide-vector arithmetic can be. The engine reads them to choose its speed settings; benchmarks print them
beside every figure, which holds for this CPU and no other."""

from __future__ import annotations

import functools
import os
from pathlib import Path

# Instruction-set flags that decide how fast 16-bit and wide-vector arithmetic can be.
FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_fp16")
# Either gives the CPU bfloat16 arithmetic of its own (AVX-512 BF16 dot products, AMX tiles); without them
# oneDNN emulates bfloat16, slower than float32.
BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def _cpuinfo() -> tuple[str, tuple[str, ...]]:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    name = next((line.partition(":")[2].strip() for line in lines if line.startswith("model name")), "unknown CPU")
    flags = next((line.partition(":")[2].split() for line in lines if line.startswith("flags")), [])
    return name, tuple(flags)


def cpu_flags() -> list[str]:
    """Which of FLAGS this CPU has (none where /proc/cpuinfo cannot be read)."""
    return [flag for flag in FLAGS if flag in _cpuinfo()[1]]


# oneDNN's ISA caps (ONEDNN_MAX_CPU_ISA) under which it no longer uses the CPU's bfloat16 instructions.
BELOW_BFLOAT16 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI")


def has_bfloat16_arithmetic() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX-512 BF16 or AMX), and TensorFlow's oneDNN kernels, which use
    those instructions, are on and not capped below them."""
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0" or os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper() in \
            BELOW_BFLOAT16:
        return False
    return any(flag in cpu_flags() for flag in BFLOAT16_FLAGS)


def describe_cpu() -> str:
    """"AMD EPYC (2 cores; avx2)": the CPU's name, its core count and which of FLAGS it has."""
    shown = cpu_flags()
    return f"{_cpuinfo()[0]} ({os.cpu_count()} cores; {', '.join(shown) or 'none of ' + '/'.join(FLAGS)})"
