"""Preprocessing steps declared in a recipe, each fitted on the training split only.

A step is written `{"name": "<step>", <arguments>}` in `data.preprocessing`, for example
`{"name": "standardize"}` or `{"name": "reshape", "shape": [8, 8, 1]}`. Statistics (means,
deviations) are learned from the training features or targets and then applied unchanged to
validation and test, so nothing leaks from the held-out parts.

Features streamed from files (a `data.streaming.Stream`) take a parallel path: `fit_stream`
learns in one streaming pass over the training split, `transform_stream` adds a per-sample map.
A step without that path refuses streamed data with a DataError saying what to do instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

from common.signatures import accepted_arguments
from data.errors import DataError
from data.sources import CLASSIFICATION, REGRESSION

Arrays = tuple[np.ndarray, np.ndarray]
# Samples per batch when a step learns its statistics from streamed features.
STATS_BATCH = 256


class Step:
    """A preprocessing step: `fit` on the training arrays, then `transform` any split."""

    # Whether the step takes a table (DataFrame) as it is; other steps get its numeric columns as an array.
    takes_tables = False
    # The name the step is registered under (set by `register_step`).
    step_name = ""

    def fit(self, features: np.ndarray, targets: np.ndarray, task: str) -> None:
        """Learn what the step needs from the training split (most steps need nothing)."""

    def transform(self, features: np.ndarray, targets: np.ndarray) -> Arrays:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What the step learned, for the run report."""
        return {}

    def fit_stream(self, stream, targets: np.ndarray, task: str) -> None:
        """Learn from a Stream of the training split's features, in a streaming pass."""
        self.cannot_stream()

    def transform_stream(self, stream, targets: np.ndarray):
        """(stream with the step applied to each sample, targets)."""
        self.cannot_stream()

    def cannot_stream(self, why: str = "", instead: str = "") -> None:
        raise DataError(
            f"Preprocessing step {self.step_name!r} cannot run on data streamed from files{why}. Set "
            f"data.args.stream=false to load the data into memory (if it fits){instead}."
        )


class TargetStep(Step):
    """A step that changes only the targets, which stay in memory: streamed features pass through."""

    def fit_stream(self, stream, targets, task):
        self.fit(stream, targets, task)

    def transform_stream(self, stream, targets):
        return self.transform(stream, targets)


_STEPS: dict[str, type[Step]] = {}


def register_step(name: str) -> Callable:
    def decorate(cls: type[Step]) -> type[Step]:
        _STEPS[name] = cls
        cls.step_name = name
        return cls

    return decorate


def list_steps() -> list[str]:
    return sorted(_STEPS)


def step_arguments(name: str) -> dict[str, Any]:
    """The arguments a step accepts, with their defaults (None where required)."""
    if name not in _STEPS:
        return {}
    return accepted_arguments(_STEPS[name])


def build_step(config: Any) -> Step:
    """A step object from its `{"name": ..., ...}` declaration."""
    if isinstance(config, str):
        config = {"name": config}
    if not isinstance(config, dict) or "name" not in config:
        raise DataError(
            f"Each `data.preprocessing` step must look like {{'name': 'standardize', ...}}. Received: {config!r}"
        )
    arguments = {key: value for key, value in config.items() if key != "name"}
    name = config["name"]
    if name not in _STEPS:
        raise DataError(
            f"`data.preprocessing` step must be one of {', '.join(list_steps())}. Received: name={name!r}"
        )
    try:
        return _STEPS[name](**arguments)
    except TypeError as error:
        raise DataError(f"Preprocessing step {name!r} was given arguments it does not take: {error}") from None


class Pixels:
    """Whole-number pixels (uint8) held as they are, read as float32 `pixels * scale + offset`.

    An image split in memory keeps its pixels at a byte each, a quarter of their float32 size; the
    training pipeline (`data.pipeline.make_dataset`) turns them into float32 a batch at a time, and
    whatever reads the split otherwise gets float32 values: `features[index]` the rows at `index`,
    `np.asarray(features)` every row (a float32 copy of the whole split, made then). `len()`, `shape`
    and `dtype` (float32) are an array's. The arithmetic is the `rescale` step's on float32 arrays
    (x * float32(scale) + float32(offset)), so the values are those an eager step would give.
    """

    def __init__(self, pixels: np.ndarray, scale: float = 1.0, offset: float = 0.0):
        self.pixels, self.scale, self.offset = pixels, float(scale), float(offset)

    def __len__(self) -> int:
        return len(self.pixels)

    def __repr__(self) -> str:
        return f"Pixels({list(self.shape)} uint8 read as float32 x * {self.scale!r} + {self.offset!r})"

    @property
    def shape(self) -> tuple:
        return self.pixels.shape

    @property
    def ndim(self) -> int:
        return self.pixels.ndim

    @property
    def dtype(self) -> np.dtype:
        return np.dtype("float32")

    def _read(self, pixels: np.ndarray) -> np.ndarray:
        values = pixels.astype("float32")
        if self.scale != 1.0:
            values *= np.float32(self.scale)
        if self.offset != 0.0:
            values += np.float32(self.offset)
        return values

    def __getitem__(self, index) -> np.ndarray:
        return self._read(self.pixels[index])

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        values = self._read(self.pixels)
        return values if dtype is None else values.astype(dtype, copy=False)

    def reshape(self, *shape) -> np.ndarray:
        return np.asarray(self).reshape(*shape)

    def astype(self, dtype, copy: bool = True) -> np.ndarray:
        return np.asarray(self).astype(dtype, copy=False)

    def take(self, index: np.ndarray) -> Pixels:
        """The samples at `index`, still whole-number pixels."""
        from data.pipeline import aligned_rows

        return Pixels(aligned_rows(self.pixels, index), self.scale, self.offset)

    def rescaled(self, scale: float, offset: float) -> Pixels | np.ndarray:
        """These pixels rescaled: still held as bytes when nothing has scaled them yet, else as float32."""
        if self.scale == 1.0 and self.offset == 0.0:
            return Pixels(self.pixels, scale, offset)
        return (np.asarray(self) * scale + offset).astype("float32")


def whole_pixels(features) -> bool:
    """Whether `features` are uint8 pixels held in memory (an image folder's)."""
    return isinstance(features, Pixels) or (isinstance(features, np.ndarray) and features.dtype == np.uint8)


@register_step("rescale")
class Rescale(Step):
    """features * scale + offset, e.g. scale=1/16 for pixel values 0-16.

    Pixels held as uint8 stay so (`Pixels`): the training pipeline rescales them a batch at a time.
    """

    def __init__(self, scale: float = 1.0, offset: float = 0.0):
        self.scale, self.offset = float(scale), float(offset)

    def transform(self, features, targets):
        if whole_pixels(features):
            pixels = features if isinstance(features, Pixels) else Pixels(features)
            return pixels.rescaled(self.scale, self.offset), targets
        return (features * self.scale + self.offset).astype("float32"), targets

    def fit_stream(self, stream, targets, task):
        pass

    def transform_stream(self, stream, targets):
        return stream.map(lambda sample: tf.cast(sample, "float32") * self.scale + self.offset), targets


@register_step("standardize")
class Standardize(Step):
    """Zero mean, unit variance per feature, using the training split's statistics."""

    def __init__(self):
        self.scaler = StandardScaler()

    def fit(self, features, targets, task):
        self.scaler.fit(features.reshape(len(features), -1))

    def transform(self, features, targets):
        flat = self.scaler.transform(features.reshape(len(features), -1))
        return flat.reshape(features.shape).astype("float32"), targets

    def describe(self):
        return {"features": int(self.scaler.n_features_in_)}

    def fit_stream(self, stream, targets, task):
        for batch in stream.batches(STATS_BATCH):
            self.scaler.partial_fit(np.asarray(batch, dtype="float32").reshape(len(batch), -1))

    def transform_stream(self, stream, targets):
        # As scikit-learn does on float32 features: the statistics rounded to float32 first.
        mean, scale = tf.constant(self.scaler.mean_, "float32"), tf.constant(self.scaler.scale_, "float32")

        def standardize(sample):
            flat = tf.reshape(tf.cast(sample, "float32"), [-1])
            return tf.reshape((flat - mean) / scale, sample.shape)

        return stream.map(standardize), targets


@register_step("reshape")
class Reshape(Step):
    """Give each sample the shape `shape`, e.g. [8, 8, 1] for an image with one channel."""

    def __init__(self, shape: list | None = None):
        if not isinstance(shape, (list, tuple)) or not all(isinstance(size, int) for size in shape):
            raise DataError(f"Preprocessing step 'reshape' needs shape=[...] of whole numbers. Received: {shape!r}")
        self.shape = tuple(shape)

    def fit(self, features, targets, task):
        per_sample = int(np.prod(features.shape[1:]))
        if int(np.prod(self.shape)) != per_sample:
            raise DataError(
                f"Preprocessing step 'reshape' cannot turn samples of shape {list(features.shape[1:])} "
                f"({per_sample} values) into shape {list(self.shape)}."
            )

    def transform(self, features, targets):
        return features.reshape((len(features), *self.shape)), targets

    def fit_stream(self, stream, targets, task):
        self.fit(np.empty((0, *stream.shape[1:])), targets, task)

    def transform_stream(self, stream, targets):
        return stream.map(lambda sample: tf.reshape(sample, self.shape)), targets


@register_step("one_hot_labels")
class OneHotLabels(TargetStep):
    """Integer class labels to one-hot rows, for categorical (not sparse) cross-entropy."""

    def __init__(self):
        self.num_classes = 0

    def fit(self, features, targets, task):
        if task != CLASSIFICATION:
            raise DataError("Preprocessing step 'one_hot_labels' needs a classification source.")
        self.num_classes = int(targets.max()) + 1

    def transform(self, features, targets):
        return features, np.eye(self.num_classes, dtype="float32")[targets]


@register_step("standardize_targets")
class StandardizeTargets(TargetStep):
    """Zero-mean, unit-variance regression targets (training statistics), so losses start near 1."""

    def __init__(self):
        self.scaler = StandardScaler()

    def fit(self, features, targets, task):
        if task != REGRESSION:
            raise DataError("Preprocessing step 'standardize_targets' needs a regression source.")
        self.scaler.fit(targets.reshape(len(targets), -1))

    def transform(self, features, targets):
        scaled = self.scaler.transform(targets.reshape(len(targets), -1)).reshape(targets.shape)
        return features, scaled.astype("float32")

    def describe(self):
        return {"target_mean": self.scaler.mean_.tolist(), "target_std": self.scaler.scale_.tolist()}


@register_step("impute")
class Impute(Step):
    """Fill missing (NaN) feature values with the training split's per-feature median, mean or `value`."""

    STRATEGIES = ("median", "mean", "constant")

    def __init__(self, strategy: str = "median", value: float = 0.0):
        if strategy not in self.STRATEGIES:
            raise DataError(f"Preprocessing step 'impute' takes strategy= one of {', '.join(self.STRATEGIES)}. "
                            f"Received: {strategy!r}")
        self.imputer = SimpleImputer(strategy=strategy, fill_value=value, keep_empty_features=True)
        self.missing = 0

    def fit(self, features, targets, task):
        flat = np.asarray(features, dtype="float32").reshape(len(features), -1)
        self.missing = int(np.isnan(flat).sum())
        self.imputer.fit(flat)

    def transform(self, features, targets):
        flat = np.asarray(features, dtype="float32").reshape(len(features), -1)
        return self.imputer.transform(flat).reshape(np.shape(features)).astype("float32"), targets

    def describe(self):
        return {"missing_in_train": self.missing}

    def fit_stream(self, stream, targets, task):
        if self.imputer.strategy == "median":
            self.cannot_stream(" with strategy='median' (a median needs every training value at once)",
                               ", or use strategy='mean' or 'constant'")
        totals = counts = None
        for batch in stream.batches(STATS_BATCH):
            flat = np.asarray(batch, dtype="float64").reshape(len(batch), -1)
            present = ~np.isnan(flat)
            totals = np.where(present, flat, 0.0).sum(axis=0) + (0.0 if totals is None else totals)
            counts = present.sum(axis=0) + (0 if counts is None else counts)
            self.missing += int((~present).sum())
        if self.imputer.strategy == "constant":
            self.fill = np.full(len(totals), float(self.imputer.fill_value))
        else:  # keep_empty_features: a feature with no values at all is filled with 0
            self.fill = np.where(counts > 0, totals / np.maximum(counts, 1), 0.0)

    def transform_stream(self, stream, targets):
        fill = tf.constant(self.fill, "float32")

        def impute(sample):
            flat = tf.reshape(tf.cast(sample, "float32"), [-1])
            return tf.reshape(tf.where(tf.math.is_nan(flat), fill, flat), sample.shape)

        return stream.map(impute).filled(), targets


@register_step("text_vectorize")
class TextVectorize(Step):
    """Raw strings to vectors with keras.layers.TextVectorization, its vocabulary from the training texts.

    `output_mode` "multi_hot" or "tf_idf" gives one fixed-width vector per text (for an MLP);
    "int" gives token ids padded to `sequence_length` (for a model that starts with an Embedding).
    """

    MODES = ("multi_hot", "count", "tf_idf", "int")

    def __init__(self, max_tokens: int = 10000, output_mode: str = "multi_hot", sequence_length: int = 200):
        if output_mode not in self.MODES:
            raise DataError(f"Preprocessing step 'text_vectorize' takes output_mode= one of {', '.join(self.MODES)}. "
                            f"Received: {output_mode!r}")
        self.output_mode = output_mode
        self.layer = keras.layers.TextVectorization(
            max_tokens=max_tokens, output_mode=output_mode,
            output_sequence_length=sequence_length if output_mode == "int" else None)

    def fit(self, features, targets, task):
        if np.asarray(features).dtype.kind not in "OUS":
            raise DataError("Preprocessing step 'text_vectorize' needs text features (a text_folder source).")
        self.layer.adapt(np.asarray(features).astype(str))

    def transform(self, features, targets):
        vectors = np.asarray(self.layer(np.asarray(features).astype(str)))
        return vectors.astype("int32" if self.output_mode == "int" else "float32"), targets

    def describe(self):
        return {"vocabulary": int(self.layer.vocabulary_size())}

    def fit_stream(self, stream, targets, task):
        if stream.dtype != tf.string:
            raise DataError("Preprocessing step 'text_vectorize' needs text features (a text_folder source).")
        self.layer.adapt(stream.dataset().batch(STATS_BATCH))

    def transform_stream(self, stream, targets):
        dtype = "int32" if self.output_mode == "int" else "float32"
        width = int(self.layer(tf.constant([""])).shape[-1])

        def vectorize(text):
            return tf.ensure_shape(tf.cast(self.layer(tf.reshape(text, [1]))[0], dtype), [width])

        return stream.map(vectorize), targets
