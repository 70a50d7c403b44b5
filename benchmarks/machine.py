"""The machine a benchmark ran on, printed beside its figures: timings hold for this CPU and no other."""

from common.machine import FLAGS, cpu_flags, describe_cpu

__all__ = ["FLAGS", "cpu_flags", "describe_cpu"]
