"""Features read from files as they are needed, for data larger than memory.

A `Stream` stands for the features of one split. It holds one small key per sample (a file
path, or a row number of a table) and builds a tf.data pipeline that reads and decodes the
samples in parallel, in the split's own fixed order. Preprocessing steps add per-sample maps
(`Stream.map`); `data.pipeline.make_dataset` shuffles the keys before decoding, so that a
shuffle buffer holds paths, not pixels.

The file sources (`image_folder`, `text_folder`, `csv`, `parquet`) choose with their `stream`
argument: "auto" (or None, the default) streams when their files total more than
STREAM_BYTES (256 MiB) on disk, true always, false never (everything is read into memory, as
before). The default is None rather than "auto" so that a command-line override may set
either a word or true/false (the engine checks an override's type against the default's). Their `cache` argument
says where decoded samples are kept between epochs: "auto" keeps a split in memory when its
decoded samples are estimated under CACHE_BYTES (1 GiB) and otherwise decodes them afresh each
epoch; "memory"; "none"; or a file path prefix for tf.data's file cache (its files last as
long as the process and are removed when it ends).

A table that is read afresh each epoch (no cache) does not go row by row through tf.data, which
would cost more per row than a small model spends on it: its chunks are parsed by pandas and
encoded (a FeatureSpace's encoding by NumPy: `data.feature_arrays`), shuffled a block at a time
(`data.block_shuffle`), and cut into batches by tf.data (`rebatch`). A training split that fits
in the shuffle pool is the one exception to "afresh": the pool holds all of its rows during each
epoch anyway, so they are kept, encoded, after the first epoch and not parsed again
(`data.read_ahead`), with no more memory at the peak than one epoch takes.
"""

from __future__ import annotations

import atexit
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas
import tensorflow as tf

from data.block_shuffle import row_bytes, shuffled_blocks
from data.errors import DataError
from data.read_ahead import ReadAhead

STREAM_BYTES = 256 * 2**20
CACHE_BYTES = 2**30
# A shuffle buffer of decoded samples (a table's rows, or a split cached to a file) holds at most
# this much, counting ELEMENT_BYTES of tf.data's own bookkeeping per sample besides its values.
SHUFFLE_BYTES = 64 * 2**20
ELEMENT_BYTES = 1024
CHUNK_ROWS = 32768
CACHE_WORDS = ("auto", "memory", "none")
_cache_files = itertools.count()


def check_options(stream: Any, cache: Any) -> None:
    """A DataError for a `stream` or `cache` argument a source does not take (None means "auto")."""
    if not (stream is None or stream is True or stream is False or stream == "auto"):
        raise DataError(f'`data.args.stream` must be "auto", true or false. Received: stream={stream!r}. "auto" '
                        f"streams the files from disk when they total more than {STREAM_BYTES // 2**20} MiB.")
    if not isinstance(cache, str) or not cache.strip():
        raise DataError(f'`data.args.cache` must be "auto", "memory", "none" or a file path prefix for a cache '
                        f"file. Received: cache={cache!r}")


def wants_stream(stream: Any, files: list[Path]) -> bool:
    """Whether to stream: as asked, or ("auto" or None) when the files total more than STREAM_BYTES."""
    if stream is None or stream == "auto":
        return sum(os.path.getsize(file) for file in files) > STREAM_BYTES
    return bool(stream)


class FileReader:
    """Samples decoded one file each: `decode` maps a path (a string tensor) to a sample."""

    keyed = True

    def __init__(self, decode: Callable, bytes_per_file: float):
        self.decode, self.bytes_per_file = decode, bytes_per_file


class TableReader:
    """Rows of a CSV or Parquet file, chunk by chunk; `convert` turns a chunk into the arrays a sample holds.

    `dtypes` are the feature columns' pandas types seen over the whole file (float64 numbers,
    bool, or object for text); `convert` is None until a step says how to encode the columns.
    """

    keyed = False

    def __init__(self, path: Path, kind: str, dtypes: dict[str, str], convert: Callable | None = None):
        self.path, self.kind, self.dtypes, self.convert = path, kind, dtypes, convert

    def converted(self, convert: Callable) -> TableReader:
        return TableReader(self.path, self.kind, self.dtypes, convert)

    def prototype(self) -> pandas.DataFrame:
        """An empty table with the file's feature columns and types."""
        return pandas.DataFrame({name: pandas.Series([], dtype=dtype) for name, dtype in self.dtypes.items()})

    def frames(self, keys: np.ndarray) -> Iterator[pandas.DataFrame]:
        """The rows `keys` (sorted row numbers) of the feature columns, one chunk of the file at a time."""
        return (chunk.iloc[rows].reset_index(drop=True) for _, chunk, rows in self._positioned(keys))

    def _positioned(self, keys: np.ndarray) -> Iterator[tuple[slice, pandas.DataFrame, np.ndarray]]:
        """(positions in `keys`, a chunk of the file, the rows of it that `keys` names) for each chunk
        that holds some of those rows."""
        start = 0
        for chunk in table_chunks(self.path, self.kind, list(self.dtypes), self.dtypes):
            low, high = np.searchsorted(keys, [start, start + len(chunk)])
            if high > low:
                yield slice(low, high), chunk, keys[low:high] - start
            start += len(chunk)
            if high == len(keys):
                return

    def blocks(self, keys: np.ndarray, targets: np.ndarray) -> Iterator[tuple]:
        """The rows `keys` a chunk of the file at a time: (their encoded features, their targets)."""
        for positions, chunk, rows in self._positioned(keys):
            yield np.asarray(self.convert(chunk.iloc[rows].reset_index(drop=True))), targets[positions]

    def dataset(self, keys: np.ndarray) -> tf.data.Dataset:
        if self.convert is None:
            raise DataError("The streamed table's columns are not encoded yet: add {'name': 'feature_space'} to "
                            "data.preprocessing (or set data.args.stream=false).")
        example = self.convert(self.prototype())
        signature = tree_map(lambda array: tf.TensorSpec((None, *np.shape(array)[1:]), _tf_dtype(array)), example)
        batches = tf.data.Dataset.from_generator(lambda: (self.convert(frame) for frame in self.frames(keys)),
                                                 output_signature=signature)
        # A known length: Keras then reads each epoch once (no extra pass that would move the shuffle's seed on).
        return batches.unbatch().apply(tf.data.experimental.assert_cardinality(len(keys)))


def tree_map(function: Callable, value):
    return {key: function(item) for key, item in value.items()} if isinstance(value, dict) else function(value)


def _tf_dtype(array: np.ndarray) -> tf.DType:
    return tf.string if np.asarray(array).dtype.kind in "OUS" else tf.as_dtype(np.asarray(array).dtype)


def table_chunks(path: Path, kind: str, columns: list[str], dtypes: dict | None = None) -> Iterator[pandas.DataFrame]:
    """The file's `columns` in chunks of CHUNK_ROWS rows; text columns (object in `dtypes`) read as text."""
    if kind == "Parquet":
        import pyarrow.parquet

        for batch in pyarrow.parquet.ParquetFile(path).iter_batches(batch_size=CHUNK_ROWS, columns=columns):
            yield batch.to_pandas()[columns]
        return
    text = {name: object for name, dtype in (dtypes or {}).items() if dtype == "object"}
    with pandas.read_csv(path, usecols=columns, dtype=text, chunksize=CHUNK_ROWS) as reader:
        for chunk in reader:
            yield chunk[columns]


def scan_table(path: Path, kind: str, columns: list[str]) -> tuple[dict[str, str], dict[str, int], int]:
    """One pass over the feature columns: each one's type over the whole file, its missing values, the rows."""
    kinds: dict[str, set] = {name: set() for name in columns}
    gaps = dict.fromkeys(columns, 0)
    rows = 0
    for chunk in table_chunks(path, kind, columns):
        rows += len(chunk)
        for name in columns:
            kinds[name].add(chunk[name].dtype.kind)
            gaps[name] += int(chunk[name].isna().sum())
    dtypes = {name: "float64" if found <= set("iuf") else "bool" if found == {"b"} else "object"
              for name, found in kinds.items()}
    return dtypes, {name: count for name, count in gaps.items() if count}, rows


class Stream:
    """The features of one split, read and decoded from files by a tf.data pipeline when needed.

    `len()` is the number of samples, `shape` is (samples, *one sample's shape after
    preprocessing) like an array's, and `dataset()` the samples (features only) in the split's
    order. `gaps` are missing values of a table's columns (in the whole file) that no step has filled yet.
    """

    def __init__(self, keys: np.ndarray, reader, transforms: tuple = (), cache: str = "auto",
                 gaps: dict[str, int] | None = None):
        self.keys, self.reader, self.transforms, self.cache = np.asarray(keys), reader, tuple(transforms), cache
        self.gaps = dict(gaps or {})
        self._spec = None

    def _replace(self, **changes) -> Stream:
        fields = {"keys": self.keys, "reader": self.reader, "transforms": self.transforms, "cache": self.cache,
                  "gaps": self.gaps, **changes}
        return Stream(**fields)

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        return f"Stream({len(self)} samples from files)"

    def take(self, index: np.ndarray) -> Stream:
        """The samples at `index` (sorted positions), still unread."""
        return self._replace(keys=self.keys[np.asarray(index, dtype="int64")])

    def map(self, transform: Callable) -> Stream:
        """The same samples with `transform` (tensor to tensor) applied to each one."""
        return self._replace(transforms=(*self.transforms, transform))

    def filled(self) -> Stream:
        """The same samples, with a step having filled every gap."""
        return self._replace(gaps={})

    def is_raw_table(self) -> bool:
        return not self.reader.keyed and self.reader.convert is None and not self.transforms

    def with_columns(self, convert: Callable) -> Stream:
        """A table's rows encoded by `convert` (a chunk of the table to a dict of arrays, or one array)."""
        return self._replace(reader=self.reader.converted(convert))

    def frames(self) -> Iterator[pandas.DataFrame]:
        """A table's rows of this split, as pandas chunks."""
        return self.reader.frames(self.keys)

    def _apply(self, sample):
        for transform in self.transforms:
            sample = transform(sample)
        return sample

    def dataset(self, transformed: bool = True) -> tf.data.Dataset:
        """Every sample's features, read and decoded in parallel, in the split's order (without the steps'
        transforms when not `transformed`: files as decoded)."""
        if self.reader.keyed:
            keys = tf.data.Dataset.from_tensor_slices(self.keys)
            apply = self._apply if transformed else (lambda sample: sample)
            return keys.map(lambda key: apply(self.reader.decode(key)), num_parallel_calls=tf.data.AUTOTUNE,
                            deterministic=True)
        rows = self.reader.dataset(self.keys)
        if not self.transforms:
            return rows
        return rows.map(self._apply, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    def batches(self, batch_size: int = 256) -> Iterator:
        """The samples as NumPy batches, in order (for fitting statistics)."""
        return self.dataset().batch(batch_size).prefetch(tf.data.AUTOTUNE).as_numpy_iterator()

    @property
    def element_spec(self):
        if self._spec is None:
            self._spec = self.dataset().element_spec
        return self._spec

    @property
    def shape(self) -> tuple:
        if self.is_raw_table():
            return (len(self), len(self.reader.dtypes))
        spec = self.element_spec
        if isinstance(spec, dict):
            return (len(self), len(spec))
        return (len(self), *spec.shape)

    @property
    def dtype(self) -> tf.DType | None:
        spec = None if self.is_raw_table() else self.element_spec
        return spec.dtype if isinstance(spec, tf.TensorSpec) else None

    def caches_pixels(self) -> bool:
        """Whether the files decode to uint8 pixels, which a cache keeps as they are (steps applied after it)."""
        return self.reader.keyed and self.dataset(transformed=False).element_spec.dtype == tf.uint8

    def sample_bytes(self) -> float:
        """Estimated bytes of one decoded sample as a cache holds it (text: its file's average size)."""
        if self.is_raw_table():
            return 8.0 * len(self.reader.dtypes)
        spec = self.dataset(transformed=False).element_spec if self.caches_pixels() else self.element_spec
        specs = list(spec.values()) if isinstance(spec, dict) else [spec]
        total = 0.0
        for part in specs:
            if part.dtype == tf.string:
                total += getattr(self.reader, "bytes_per_file", 64.0)
            else:
                total += float(np.prod([size or 1 for size in part.shape])) * part.dtype.size
        return max(total, 1.0)

    def cache_file(self) -> str | None:
        """None (no cache), "" (in memory) or a fresh file name under the cache prefix."""
        if self.cache == "none" or (self.cache == "auto" and len(self) * self.sample_bytes() >= CACHE_BYTES):
            return None
        if self.cache in ("auto", "memory"):
            return ""
        name = f"{self.cache}-{os.getpid()}-{next(_cache_files)}"
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        atexit.register(_remove_cache, name)
        return name

    def labelled_batches(self, targets: np.ndarray, batch_size: int, shuffle: bool, seed: int) -> tf.data.Dataset:
        """Batches of (features, targets), shuffled afresh each epoch in a seeded order when asked.

        An encoded table read afresh each epoch (no cache) moves whole chunks of rows: see
        `_table_batches`. Everything else goes sample by sample (`labelled`).
        """
        cache = self.cache_file()
        if cache is None and self._encoded_table():
            return self._table_batches(targets, batch_size, shuffle, seed)
        return self.labelled(targets, shuffle, seed, cache).batch(batch_size)

    def _encoded_table(self) -> bool:
        return (not self.reader.keyed and self.reader.convert is not None and not self.transforms
                and isinstance(self.element_spec, tf.TensorSpec))

    def _table_batches(self, targets: np.ndarray, batch_size: int, shuffle: bool, seed: int) -> tf.data.Dataset:
        """A table's rows chunk by chunk, encoded, shuffled by `data.block_shuffle`, then batched.

        The shuffle pool holds as many rows as a tf.data shuffle buffer of SHUFFLE_BYTES would.
        Each epoch draws its order from its own generator (seed, epoch number), so the same seed
        gives the same epochs; the order is not the one in-memory arrays get (their shuffle goes
        row by row), which a split cached in memory keeps. A split that fits in the pool is read
        once and its blocks kept; otherwise, once an epoch has read its last rows, the next one's
        first pool of rows is read on a thread (`data.read_ahead`).
        """
        targets, sample = np.asarray(targets), self.element_spec
        example = (np.zeros((0, *sample.shape), sample.dtype.as_numpy_dtype), targets)
        epochs = itertools.count()
        capacity = min(len(self), SHUFFLE_BYTES // (row_bytes(example) + ELEMENT_BYTES))
        source = ReadAhead(lambda: self.reader.blocks(self.keys, targets), capacity)

        def epoch():
            if not shuffle:
                return source.blocks()
            return shuffled_blocks(source.blocks(), capacity, np.random.default_rng([seed, next(epochs)]))

        spec = tuple(tf.TensorSpec((None, *np.shape(array)[1:]), _tf_dtype(array)) for array in example)
        batches = tf.data.Dataset.from_generator(epoch, output_signature=spec).rebatch(batch_size)
        # Nothing here for tf.data's autotuning model to tune, nor for its graph rewrites, and both cost
        # time at each iterator (each epoch). On this project's 2-core machine, iterating 546 batches took
        # 34 ms with autotuning, 17 ms without; a whole epoch of the streaming benchmark's 1x table
        # (make_dataset's pipeline, 547 batches) took 64 ms at the median with the rewrites, 55 ms without.
        options = tf.data.Options()
        options.autotune.enabled = False
        options.experimental_optimization.apply_default_optimizations = False
        batches = batches.with_options(options)
        return batches.apply(tf.data.experimental.assert_cardinality(-(-len(self) // batch_size)))

    def labelled(self, targets: np.ndarray, shuffle: bool, seed: int, cache: str | None) -> tf.data.Dataset:
        """(features, target) samples; shuffled afresh each epoch, in a seeded order, when asked.

        Without a cache, a stream of files shuffles its keys (all of them) before decoding, so
        the order is the one in-memory arrays get for the same seed. A cached split is decoded in
        order into the cache and shuffled after it; a table's rows are shuffled in a buffer of at
        most SHUFFLE_BYTES (the whole split when it is that small, again the in-memory order).
        """
        labels = tf.data.Dataset.from_tensor_slices(targets)
        if self.reader.keyed and cache is None:
            pairs = tf.data.Dataset.zip(tf.data.Dataset.from_tensor_slices(self.keys), labels)
            if shuffle:
                pairs = pairs.shuffle(len(self), seed=seed, reshuffle_each_iteration=True)
            return pairs.map(lambda key, target: (self._apply(self.reader.decode(key)), target),
                             num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        # Pixels are cached as decoded (a byte a value) and the steps' transforms (a rescale, say) applied
        # after the cache: a cached split of images costs a quarter of its float32 size.
        later = self.transforms and cache is not None and self.caches_pixels()
        pairs = tf.data.Dataset.zip(self.dataset(transformed=not later), labels)
        if cache is not None:
            pairs = pairs.cache(cache)
        if shuffle:
            room = int(SHUFFLE_BYTES // (self.sample_bytes() + ELEMENT_BYTES))
            buffer = len(self) if cache == "" else max(1, min(len(self), room))
            pairs = pairs.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
        if later:
            pairs = pairs.map(lambda sample, target: (self._apply(sample), target),
                              num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return pairs


def _remove_cache(name: str) -> None:
    for path in Path(name).parent.glob(Path(name).name + "*"):
        path.unlink(missing_ok=True)
