"""Peak memory of a one-epoch images run at 2,000 and 20,000 images: in memory and streamed.

    python -m benchmarks.memory [--images 2000 20000]

Writes, in a temporary folder removed afterwards, image folders of 10 classes of random 64x64
RGB PNGs (2,000 and 20,000 images by default). For each folder it runs what a user runs on their
own images, `python -m engine recipe images --data <folder> epochs=1` (the images starter:
rescale 1/255, a random flip, a small CNN), in a fresh process, twice: with `data.args.stream=false`
(decoded into memory) and with `data.args.stream=true` (decoded from disk as training needs them,
cached as the source's default `cache="auto"` says). Each run's peak resident memory is its
process's own maximum RSS (getrusage of the one child, read by a small wrapper process).

Goals (exit status 1 when one is missed): peak memory at 20,000 images at most 1.3 times that at
2,000 in memory, and at most 1.2 times streamed. 20,000 images of 64x64x3 are 234 MiB as uint8
pixels and 938 MiB as float32: before pixels were held as uint8 (2026-12), the in-memory run took
1,341 MiB at 2,000 images and 4,209 MiB at 20,000 (3.14x), the streamed one 1,278 and 1,711 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import results_file
from benchmarks.machine import describe_cpu

CLASSES = 10
SIDE = 64
SIZES = (2000, 20000)
MODES = {"in memory": "false", "streamed": "true"}
LIMITS = {"in memory": 1.3, "streamed": 1.2}
# Runs a command and prints the peak RSS (KiB) of that one child: RUSAGE_CHILDREN of a process with one child.
WRAPPER = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def generate(folder: Path, count: int, seed: int = 0) -> Path:
    """`count` random 64x64 RGB PNGs, spread evenly over 10 class sub-folders."""
    from PIL import Image

    generator = np.random.default_rng(seed)
    for index in range(count):
        klass = folder / f"class_{index % CLASSES}"
        klass.mkdir(parents=True, exist_ok=True)
        pixels = generator.integers(0, 256, (SIDE, SIDE, 3), dtype="uint8")
        Image.fromarray(pixels).save(klass / f"{index:06d}.png")
    return folder


def run_once(images: Path, stream: str, runs: Path) -> dict:
    """One epoch of the images starter on `images` in a fresh process: its peak RSS in MiB and its wall time."""
    command = [sys.executable, "-c", WRAPPER, sys.executable, "-m", "engine", "recipe", "images", "epochs=1",
               f"data.args.stream={stream}", "--data", str(images), "--runs-dir", str(runs)]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)  # noqa: S603
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"the run on {images} (stream={stream}) failed:\n{result.stderr[-3000:]}")
    return {"peak_mib": int(result.stdout.strip().splitlines()[-1]) / 1024, "seconds": seconds}


def report(results: dict, sizes: tuple[int, int], arguments: list[str]) -> int:
    from common.text import markdown_table

    header = ["images", "mode", "peak RSS, MiB", f"ratio {sizes[1]:,} / {sizes[0]:,}", "run, s"]
    cells, lines, missed = [], [], []
    for mode in MODES:
        ratio = results[(sizes[1], mode)]["peak_mib"] / results[(sizes[0], mode)]["peak_mib"]
        for count in sizes:
            row = results[(count, mode)]
            cells.append([f"{count:,}", mode, f"{row['peak_mib']:,.0f}", f"{ratio:.2f}" if count == sizes[1] else "",
                          f"{row['seconds']:.0f}"])
        lines.append(f"{mode}: peak RSS at {sizes[1]:,} images is {ratio:.2f} times that at {sizes[0]:,} "
                     f"(goal <= {LIMITS[mode]})")
        if ratio > LIMITS[mode]:
            missed.append(f"{mode} memory grows {ratio:.2f}x")
    print("\n".join(markdown_table(header, cells)))
    print(f"\nCPU: {describe_cpu()}; one epoch of the images starter (batch 32) on random {SIDE}x{SIDE} RGB PNGs.")
    lines.append("goals met" if not missed else "goals missed: " + "; ".join(missed))
    print("\n".join(lines))
    caption = f"One epoch of the images starter on random {SIDE}x{SIDE} RGB PNGs, 10 classes; peak RSS of the process"
    results_file.save("memory", arguments, [results_file.table(caption, header, cells)], lines,
                      [{"images": count, "mode": mode, **row} for (count, mode), row in results.items()])
    return 1 if missed else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, nargs=2, default=list(SIZES), metavar=("SMALL", "LARGE"),
                        help="images in the small and the large folder (default: 2000 20000)")
    options = parser.parse_args(argv)
    sizes = tuple(options.images)
    folder = Path(tempfile.mkdtemp(prefix="memory_benchmark_"))
    results = {}
    try:
        folders = {count: generate(folder / f"images_{count}", count) for count in sizes}
        os.sync()  # the written files reach the disk now, not while a run is measured
        for count in sizes:
            for mode, stream in MODES.items():
                results[(count, mode)] = run_once(folders[count], stream, folder / "runs")
                print(json.dumps({"images": count, "mode": mode, **results[(count, mode)]}), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return report(results, sizes, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
