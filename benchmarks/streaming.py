"""Streaming sources at 1x and 10x the data: memory stays flat, and the input pipeline outruns the model.

    python -m benchmarks.streaming [--images 5000] [--rows 50000]

Writes, in a temporary folder removed afterwards, image folders of 10 classes of 64x64 PNGs
(`--images` at 1x, ten times as many at 10x) and CSV tables (`--rows` rows at 1x: eight
numbers, a text column with gaps, a class label). For each source and size, a fresh process
prepares it streamed (`stream=True`, `cache="none"`, so the 10x run cannot hold its data in
memory) and runs one training epoch of the pipeline `data.pipeline.make_dataset` builds, then
reports its own peak resident memory. It then times the pipeline alone (batches per second over
whole epochs, each iterated inside TensorFlow by a traced `Dataset.reduce`, after that warm-up
epoch) against a small model's training steps (`train_on_batch`) on the same batches held in
memory: a small CNN for images, a small MLP for tables. Each side first runs for WARM_SECONDS
(3 s) untimed, then the two take turns, three times, for at least MEASURED_SECONDS (3 s) each in
all, so that the machine's drift falls on both alike: a single epoch of the 1x table
lasts about 50 ms, and one slow epoch moved the ratio by half; the 1x image folder's first five
epochs gave about 90 batches a second and the later ones about 130 (one process, 2026-11-23).

Goals (exit status 1 when one is missed): peak memory at 10x at most 1.2 times that at 1x, and
the pipeline at least 10 times faster than its model consumes batches, for both sources at both
sizes. The table is the hard case: an MLP step on 64 rows takes about a millisecond, and a split
that fits in the shuffle pool (the 1x table: 35,000 rows) must be parsed whole before its first
batch leaves. The pool holds such a split whole anyway, so its encoded rows are kept after the
first epoch and not parsed again; a larger split (10x) is parsed each epoch, the next epoch's
opening rows on a thread while this one's batches leave (`data.read_ahead`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks import results_file
from benchmarks.machine import describe_cpu

BATCH = 64
CLASSES = 10
SIDE = 64
SCALES = (1, 10)
RSS_LIMIT = 1.2
REQUIRED_RATIO = 10.0
MODEL_BATCHES = 100
# Each side is timed over at least this long (whole epochs for the pipeline, passes over the held
# batches for the model), so that one slow epoch or step does not decide the ratio.
WARM_SECONDS = 3.0
MEASURED_SECONDS = 3.0
ROUNDS = 3


# ---- generated data ---------------------------------------------------------------------------------


def _write_images(job: tuple[str, int, int]) -> None:
    """Images `start`..`stop` of a folder: a class-coloured gradient with noise, so each one differs."""
    from PIL import Image

    folder, start, stop = job
    generator = np.random.default_rng(start)
    ramp = np.linspace(0, 255, SIDE)
    for index in range(start, stop):
        label = index % CLASSES
        base = np.stack([np.add.outer(ramp, ramp * (label + 1) / CLASSES) / 2, np.full((SIDE, SIDE), 25.0 * label),
                         np.add.outer(ramp[::-1], ramp) / 2], axis=-1)
        pixels = np.clip(base + generator.normal(0, 12, base.shape), 0, 255).astype("uint8")
        Image.fromarray(pixels).save(Path(folder) / f"class_{label}" / f"{index:06d}.png", compress_level=1)


def write_images(folder: Path, count: int) -> None:
    for label in range(CLASSES):
        (folder / f"class_{label}").mkdir(parents=True)
    step = max(1, count // 32)
    jobs = [(str(folder), start, min(start + step, count)) for start in range(0, count, step)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(_write_images, jobs))


def write_table(path: Path, rows: int) -> None:
    import pandas

    generator = np.random.default_rng(0)
    for start in range(0, rows, 100_000):
        size = min(100_000, rows - start)
        frame = pandas.DataFrame({f"x{column}": generator.normal(column, 1 + column, size) for column in range(8)})
        colour = np.array(["red", "green", "blue", "grey", "pink"])[generator.integers(0, 5, size)].astype(object)
        colour[generator.random(size) < 0.02] = None
        frame["colour"] = colour
        frame["label"] = (frame["x0"] + frame["x1"] > 1).astype(int) + 2 * (frame["colour"] == "red")
        frame.to_csv(path, mode="a" if start else "w", header=not start, index=False)


def generate(folder: Path, images: int, rows: int) -> dict[tuple[str, int], tuple[str, int]]:
    """(source, scale) -> (path, samples), every data set written under `folder`."""
    made = {}
    for scale in SCALES:
        started = time.perf_counter()
        write_images(folder / f"images_{scale}x", images * scale)
        write_table(folder / f"table_{scale}x.csv", rows * scale)
        print(f"generated {scale}x: {images * scale:,} images, {rows * scale:,} rows "
              f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        made[("image_folder", scale)] = (str(folder / f"images_{scale}x"), images * scale)
        made[("csv", scale)] = (str(folder / f"table_{scale}x.csv"), rows * scale)
    return made


# ---- one measurement, in its own process ----------------------------------------------------------------


def small_model(source: str, input_shape: tuple, classes: int):
    import keras

    inputs = keras.Input(shape=input_shape)
    if source == "image_folder":
        hidden = inputs
        for filters in (16, 32, 64):
            hidden = keras.layers.Conv2D(filters, 3, activation="relu", padding="same")(hidden)
            hidden = keras.layers.MaxPooling2D()(hidden)
        hidden = keras.layers.GlobalAveragePooling2D()(hidden)
    else:
        hidden = keras.layers.Dense(64, activation="relu")(inputs)
        hidden = keras.layers.Dense(64, activation="relu")(hidden)
    model = keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(hidden))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def measure(source: str, path: str) -> dict:
    """Peak RSS after one streamed epoch, then the pipeline's and the model's batches per second."""
    import tensorflow as tf

    import data
    from data.pipeline import make_dataset

    if source == "image_folder":
        args = {"path": path, "image_size": [SIDE, SIDE]}
        steps = [{"name": "rescale", "scale": 1 / 255}]
    else:
        args = {"path": path, "target": "label"}
        steps = [{"name": "feature_space", "impute": "mean"}]
    prepared = data.prepare(source, {**args, "stream": True, "cache": "none"}, preprocessing=steps, seed=0)
    features, targets = prepared.splits["train"]
    dataset = make_dataset(features, targets, BATCH, shuffle=True, seed=0)
    # One epoch per call, traced once: each call starts a fresh iterator, as each training epoch does.
    epoch = tf.function(lambda: dataset.reduce(0, lambda count, _: count + 1))
    started = time.perf_counter()
    batches = int(epoch())
    epoch_seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    held = [(tf.constant(x), tf.constant(y)) for x, y in dataset.take(MODEL_BATCHES).as_numpy_iterator()]
    model = small_model(source, prepared.input_shape, prepared.num_classes)
    batches_held = itertools.cycle(held)

    def step() -> int:
        model.train_on_batch(*next(batches_held))
        return 1

    # Whole epochs: each epoch's start (a shuffle pool filling before its first batch) counts as
    # often as it does in training.
    pipeline, training = alternated([lambda: int(epoch()), step])
    return {"samples": len(features), "batches": batches, "epoch_seconds": epoch_seconds, "peak_mib": peak,
            "pipeline": pipeline, "model": training}


def alternated(sides: list[Callable[[], int]]) -> list[float]:
    """Batches per second of each side's `run()` (which returns how many batches it gave).

    Each side runs WARM_SECONDS untimed; then the sides take turns, ROUNDS times, each turn lasting
    at least MEASURED_SECONDS / ROUNDS, so that the machine's drift over the measurement falls on
    both sides alike.
    """
    for run in sides:
        started = time.perf_counter()
        while time.perf_counter() - started < WARM_SECONDS:
            run()
    counts, seconds = [0] * len(sides), [0.0] * len(sides)
    for _ in range(ROUNDS):
        for index, run in enumerate(sides):
            started = time.perf_counter()
            while (elapsed := time.perf_counter() - started) < MEASURED_SECONDS / ROUNDS:
                counts[index] += run()
            seconds[index] += elapsed
    return [count / elapsed for count, elapsed in zip(counts, seconds, strict=True)]


def in_child(source: str, path: str) -> dict:
    command = [sys.executable, "-m", "benchmarks.streaming", "--child", source, path]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"the measurement of {source} at {path} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---- the report -----------------------------------------------------------------------------------------


def report(results: dict, made: dict, arguments: list[str] | None = None) -> int:
    from common.text import markdown_table

    header = ["source", "size", "files / rows", "training samples", "peak RSS, MiB", "epoch, s",
              "pipeline, batches/s", "model, batches/s", "ratio"]
    cells = [[source, f"{scale}x", f"{made[(source, scale)][1]:,}", f"{row['samples']:,}", f"{row['peak_mib']:,.0f}",
              f"{row['epoch_seconds']:.1f}", f"{row['pipeline']:,.0f}", f"{row['model']:,.0f}",
              f"{row['pipeline'] / row['model']:.1f}x"] for (source, scale), row in results.items()]
    print("\n".join(markdown_table(header, cells)))
    print(f"\nCPU: {describe_cpu()}; batch {BATCH}; streamed with cache=\"none\"; model: a 3-layer CNN (images), "
          "a 2-layer MLP (csv).")
    missed, lines = [], []
    for source in ("image_folder", "csv"):
        growth = results[(source, SCALES[-1])]["peak_mib"] / results[(source, SCALES[0])]["peak_mib"]
        lines.append(f"{source}: peak RSS at {SCALES[-1]}x is {growth:.2f} times that at {SCALES[0]}x "
                     f"(goal <= {RSS_LIMIT})")
        print(lines[-1])
        if growth > RSS_LIMIT:
            missed.append(f"{source} memory grows {growth:.2f}x")
    for (source, scale), row in results.items():
        if row["pipeline"] / row["model"] < REQUIRED_RATIO:
            missed.append(f"{source} {scale}x pipeline only {row['pipeline'] / row['model']:.1f}x the model")
    print("goals met" if not missed else "goals missed: " + "; ".join(missed))
    caption = f"Batch {BATCH}, streamed with cache=\"none\"; model: a 3-layer CNN (images), a 2-layer MLP (csv)"
    results_file.save("streaming", arguments or [], [results_file.table(caption, header, cells)],
                      [*lines, "goals met" if not missed else "goals missed: " + "; ".join(missed)],
                      [{"source": source, "scale": scale, **row} for (source, scale), row in results.items()])
    return 1 if missed else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000, help="images at 1x (10x has ten times as many)")
    parser.add_argument("--rows", type=int, default=50_000, help="CSV rows at 1x")
    parser.add_argument("--child", nargs=2, metavar=("SOURCE", "PATH"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        print(json.dumps(measure(*options.child)))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="streaming_benchmark_"))
    try:
        made = generate(folder, options.images, options.rows)
        os.sync()  # the written files reach the disk now, not while a measurement runs
        results = {key: in_child(key[0], path) for key, (path, _) in sorted(made.items(), key=lambda item: item[0])}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return report(results, made, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
