"""A user's own data as sources: NumPy `.npz` files, image and text folders, a Python function.

Files are read without pickle: `.npz` with `allow_pickle=False`, images and texts with
Keras's directory readers. Each source may carry its own test split (`test_path`, or the
`x_test`/`y_test` arrays of an `.npz`), which the split then keeps as the test set.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from common.references import import_reference
from common.targets import whole_numbers_are_classes
from data.errors import DataError
from data.sources import CLASSIFICATION, REGRESSION, Dataset, encode_labels, register_source
from data.streaming import FileReader, Stream, check_options, wants_stream
from data.tables import TASKS, existing_file


def arrays_dataset(features, targets, where: str, task: str = "auto", classes: list | None = None,
                   test: tuple | None = None, description: str = "") -> Dataset:
    """A Dataset from arrays; whole-number targets mean classification unless `task` says otherwise."""
    if task not in TASKS:
        raise DataError(f"`data.args.task` must be one of {', '.join(TASKS)}. Received: task={task!r}")
    features, targets = np.asarray(features), np.asarray(targets)
    if len(features) != len(targets):
        raise DataError(f"{where} gives {len(features)} feature rows but {len(targets)} targets.")
    if task == "auto":
        labels = classes is not None or targets.dtype.kind in "OSU" or whole_numbers_are_classes(targets)
        task = CLASSIFICATION if labels else REGRESSION
    if task == CLASSIFICATION:
        if targets.ndim > 1 and targets.shape[1:] == (1,) * (targets.ndim - 1):
            targets = targets.reshape(len(targets))
        encoded, class_names = encode_labels(targets, classes, where)
    else:
        if targets.dtype.kind not in "iuf":
            raise DataError(f"{where}: regression targets must be numbers; received {targets.dtype} values.")
        encoded, class_names = targets.astype("float32"), []
    if features.dtype.kind in "iufb":
        features = features.astype("float32")
    held_out = None
    if test is not None:
        test_features, test_targets = np.asarray(test[0]), np.asarray(test[1])
        if task == CLASSIFICATION:
            test_targets = test_targets.reshape(len(test_targets)) if test_targets.ndim > 1 else test_targets
            test_targets, _ = encode_labels(test_targets, class_names, f"{where} (test split)")
        held_out = (test_features.astype("float32") if test_features.dtype.kind in "iufb" else test_features,
                    test_targets.astype("float32") if task == REGRESSION else test_targets)
    return Dataset(features=features, targets=encoded, task=task, class_names=class_names, test=held_out,
                   description=description or where)


@register_source("npz", needs="files")
def npz(path: str = "", features: str = "x", targets: str = "y", task: str = "auto",
        classes: list | None = None) -> Dataset:
    """A NumPy .npz file: arrays `x` and `y`, or `x_train`, `y_train`, `x_test`, `y_test` (its own test split)."""
    found = existing_file(path)
    if not zipfile.is_zipfile(found):
        raise DataError(f"Cannot read {str(path)!r} as a NumPy .npz file (it is not a zip archive of arrays); "
                        "write it with numpy.savez.")
    try:
        with np.load(found, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except ValueError as error:
        raise DataError(f"Cannot read {str(path)!r} without pickle ({error}); save it with plain numeric arrays "
                        "(numpy.savez) instead of object arrays.") from None
    except OSError as error:
        raise DataError(f"Cannot read {str(path)!r} as a NumPy .npz file: {error}") from None
    where = f"npz file {str(path)!r}"
    if features not in arrays and {"x_train", "y_train"} <= set(arrays):
        test = (arrays["x_test"], arrays["y_test"]) if {"x_test", "y_test"} <= set(arrays) else None
        return arrays_dataset(arrays["x_train"], arrays["y_train"], where, task, classes, test)
    for name in (features, targets):
        if name not in arrays:
            raise DataError(f"{where} has no array {name!r}; it holds {sorted(arrays)}. Set `data.args.features` "
                            "and `data.args.targets` to the arrays' names.")
    return arrays_dataset(arrays[features], arrays[targets], where, task, classes)


def _folder(path, argument: str) -> Path:
    if not isinstance(path, (str, Path)) or not str(path):
        raise DataError(f"Data source argument `{argument}` must name a folder. Received: {path!r}")
    found = Path(path).expanduser()
    if not found.is_dir():
        raise DataError(f"No folder at {str(path)!r} (looked for {found.resolve()}). Check `data.args.{argument}`.")
    classes = sorted(entry.name for entry in found.iterdir() if entry.is_dir())
    if len(classes) < 2:
        raise DataError(
            f"The folder {str(path)!r} must hold one sub-folder per class, and at least two classes; it has "
            f"{len(classes)} ({classes}). Put each class's files in its own sub-folder."
        )
    return found


def _read_folder(reader, path, argument: str, class_names: list | None = None, **options):
    folder = _folder(path, argument)
    try:
        dataset = reader(str(folder), labels="inferred", label_mode="int", batch_size=None, shuffle=False,
                         class_names=class_names, **options)
    except (ValueError, OSError) as error:
        raise DataError(f"Cannot read the folder {str(path)!r}: {error}") from None
    features, targets = [], []
    for item, label in dataset.as_numpy_iterator():
        features.append(item)
        targets.append(label)
    if not features:
        raise DataError(f"The folder {str(path)!r} holds no readable files.")
    return np.stack(features), np.asarray(targets, dtype="int64"), list(dataset.class_names)


IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # what keras.utils.image_dataset_from_directory reads
TEXT_FORMATS = (".txt",)
CHANNELS = {"rgb": 3, "grayscale": 1, "rgba": 4}


def list_folder(path, argument: str, formats: tuple, class_names: list | None = None):
    """(paths, labels, class names) of the files in one sub-folder per class, as Keras's directory readers list them.

    Classes are the sub-folders in sorted order (or `class_names`, in that order); each one's
    files are found recursively, folder by folder in sorted order, and sorted by name.
    """
    folder = _folder(path, argument)
    found = sorted(entry.name for entry in folder.iterdir() if entry.is_dir() and not entry.name.startswith("."))
    if class_names is not None:
        if not set(class_names) <= set(found):
            raise DataError(f"Cannot read the folder {str(path)!r}: it must hold the sub-folders {class_names} of "
                            f"the training folder's classes; it has {found}.")
        found = list(class_names)
    paths, labels = [], []
    for label, name in enumerate(found):
        for root, _, names in sorted(os.walk(os.path.join(str(folder), name)), key=lambda entry: entry[0]):
            chosen = [os.path.join(root, file) for file in sorted(names) if file.lower().endswith(formats)]
            paths += chosen
            labels += [label] * len(chosen)
    if not paths:
        raise DataError(f"The folder {str(path)!r} holds no readable files.")
    return np.asarray(paths), np.asarray(labels, dtype="int64"), found


def _folder_stream(path, argument: str, formats: tuple, decode, cache: str, class_names: list | None = None):
    paths, labels, names = list_folder(path, argument, formats, class_names)
    size = sum(os.path.getsize(file) for file in paths) / len(paths)
    return Stream(paths, FileReader(decode, size), cache=cache), labels, names


def _wants_stream(stream, cache, path, test_path, formats: tuple) -> bool:
    check_options(stream, cache)
    if stream not in (None, "auto"):
        return bool(stream)
    folders = [path] + ([test_path] if test_path is not None else [])
    return wants_stream(stream, [Path(file) for folder, argument in zip(folders, ("path", "test_path"), strict=False)
                                 for file in list_folder(folder, argument, formats)[0]])


def image_decoder(size: tuple, color_mode: str):
    """Path to uint8 pixels, read as keras.utils.image_dataset_from_directory reads them (decoded, resized
    bilinearly), then rounded to whole numbers.

    An image already `size` comes out exactly as stored (a bilinear resize to its own size changes
    no value). One resized gets fractional values, which are rounded to the nearest whole number
    (halves to even): each pixel moves by at most half a level (0.5/255 of the range after a 1/255
    rescale), as when the image is saved at that size. So an image costs a byte a value, not four,
    in memory and in a stream's cache, and training, streaming and prediction read the same pixels.
    """
    channels = CHANNELS[color_mode]

    def decode(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
        resized = tf.image.resize(image, size, method="bilinear")
        image = tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8)
        image.set_shape((*size, channels))
        return image

    return decode


def _read_images(path, argument: str, size: tuple, color_mode: str, class_names: list | None = None):
    """(uint8 pixels, labels, class names) of an image folder, decoded in parallel into one aligned array
    (which the training pipeline shares without a copy): no per-image list, no float32 copy."""
    from data.pipeline import aligned_empty

    paths, labels, names = list_folder(path, argument, IMAGE_FORMATS, class_names)
    pixels = aligned_empty((len(paths), *size, CHANNELS[color_mode]), "uint8")
    decoded = tf.data.Dataset.from_tensor_slices(paths).map(
        image_decoder(size, color_mode), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).batch(256)
    start = 0
    try:
        for batch in decoded.as_numpy_iterator():
            pixels[start:start + len(batch)] = batch
            start += len(batch)
    except tf.errors.OpError as error:
        raise DataError(f"An image under {str(path)!r} could not be decoded: {error.message}") from None
    return pixels, labels, names


@register_source("image_folder", needs="files")
def image_folder(path: str = "", image_size: list | None = None, color_mode: str = "rgb",
                 test_path: str | None = None, stream: str | bool | None = None, cache: str = "auto") -> Dataset:
    """Images in one sub-folder per class (read as keras.utils.image_dataset_from_directory reads them), uint8
    pixel values 0-255 (see `image_decoder`), which the training pipeline turns into float32 batch by batch.

    `image_size` [height, width] resizes every image (default [64, 64]); `color_mode` is
    "rgb", "grayscale" or "rgba"; `test_path` is an optional folder laid out the same way.
    `stream` ("auto", true or false; None is "auto") decodes the images from disk as training
    needs them instead of holding them in memory; "auto" streams when the files total over 256 MiB.
    `cache` keeps decoded images between epochs: "auto" (in memory when a split fits in
    1 GiB), "memory", "none" or a file path prefix.
    """
    size = tuple(image_size or (64, 64))
    if len(size) != 2 or not all(isinstance(side, int) and side > 0 for side in size):
        raise DataError(f"`data.args.image_size` must be [height, width]. Received: {image_size!r}")
    if color_mode not in ("rgb", "grayscale", "rgba"):
        raise DataError(f"`data.args.color_mode` must be rgb, grayscale or rgba. Received: {color_mode!r}")
    if _wants_stream(stream, cache, path, test_path, IMAGE_FORMATS):
        decode = image_decoder(size, color_mode)
        features, targets, names = _folder_stream(path, "path", IMAGE_FORMATS, decode, cache)
        test = None if test_path is None else _folder_stream(test_path, "test_path", IMAGE_FORMATS, decode, cache,
                                                             names)[:2]
        return Dataset(features=features, targets=targets, task=CLASSIFICATION, class_names=names, test=test,
                       description=f"images from {path} (streamed)")
    features, targets, names = _read_images(path, "path", size, color_mode)
    test = None if test_path is None else _read_images(test_path, "test_path", size, color_mode, names)[:2]
    return Dataset(features=features, targets=targets, task=CLASSIFICATION, class_names=names, test=test,
                   description=f"images from {path}")


@register_source("text_folder", needs="files")
def text_folder(path: str = "", test_path: str | None = None, stream: str | bool | None = None,
                cache: str = "auto") -> Dataset:
    """Text files in one sub-folder per class (keras.utils.text_dataset_from_directory).

    Features are the raw strings; add the `text_vectorize` preprocessing step to turn them
    into token sequences. `test_path` is an optional folder laid out the same way. `stream`
    and `cache` are as for image_folder (texts read from disk as training needs them).
    """
    if _wants_stream(stream, cache, path, test_path, TEXT_FORMATS):
        features, targets, names = _folder_stream(path, "path", TEXT_FORMATS, tf.io.read_file, cache)
        test = None if test_path is None else _folder_stream(test_path, "test_path", TEXT_FORMATS, tf.io.read_file,
                                                             cache, names)[:2]
        return Dataset(features=features, targets=targets, task=CLASSIFICATION, class_names=names, test=test,
                       description=f"texts from {path} (streamed)")
    features, targets, names = _read_folder(keras.utils.text_dataset_from_directory, path, "path")
    test = None
    if test_path is not None:
        test_features, test_targets, _ = _read_folder(keras.utils.text_dataset_from_directory, test_path,
                                                      "test_path", class_names=names)
        test = (test_features.astype(str), test_targets)
    return Dataset(features=features.astype(str), targets=targets, task=CLASSIFICATION, class_names=names,
                   test=test, description=f"texts from {path}")


def load_function(reference: str):
    """The function `name` in "<file.py or module>:<name>" (a relative file is read from the current folder;
    a recipe file's loader makes it relative to the recipe's folder first)."""
    return import_reference(reference, "`data.args.function`", DataError)


@register_source("function", needs="files")
def function(function: str = "", args: dict | None = None, task: str = "auto", classes: list | None = None) -> Dataset:
    """Whatever a Python function returns: a Dataset, (features, targets), or ((x, y), (x_test, y_test)).

    `function` is "my_data.py:load" (a file beside the recipe or a path) or "module:load";
    `args` are its keyword arguments. In a recipe file, a relative "my_data.py" is found in the
    recipe file's folder, whatever the current folder (recipe.json then records its absolute
    path), and the function itself may be given instead (`args={"function": load}`); in an
    override on the command line it is read from the current folder.
    """
    loader = load_function(function)
    where = f"the data function {function!r}"
    result = loader(**(args or {}))
    if isinstance(result, Dataset):
        return result
    if isinstance(result, tuple) and len(result) == 2 and all(isinstance(part, tuple) for part in result):
        (features, targets), test = result
        return arrays_dataset(features, targets, where, task, classes, test)
    if isinstance(result, tuple) and len(result) == 2:
        return arrays_dataset(*result, where, task, classes)
    raise DataError(f"{where} returned {type(result).__name__}; it must return a data.Dataset, (features, "
                    "targets), or ((features, targets), (test_features, test_targets)).")
