"""Sets that need a download: the `keras.datasets` collection and TensorFlow Datasets.

Each keras.datasets file is looked for under `$KERAS_HOME/datasets/` (default
`~/.keras/datasets/`), fetched from Keras's own origin when absent, and checked against the
sha256 that Keras publishes for it before it is read. Without a network the error names the
URL and the exact place to put the file. Parsing is our own, without general pickle: the
CIFAR batches and the ragged IMDB/Reuters arrays go through an unpickler that rebuilds NumPy
arrays and nothing else. Every set keeps its own test split.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import tarfile
import zipfile
from pathlib import Path

import keras
import numpy as np

from common.hashing import sha256_of
from data.errors import DataError
from data.sources import CLASSIFICATION, Dataset, register_source

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
TORONTO = "https://www.cs.toronto.edu/~kriz/"
# file under datasets/ -> (origin URL, sha256 or None). URLs and hashes as in Keras 3.15's
# keras/src/datasets/*.py; Keras publishes no hash for the Fashion-MNIST files.
FILES = {
    "mnist.npz": (KERAS_ORIGIN + "mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
    **{f"fashion-mnist/{name}": (KERAS_ORIGIN + name, None) for name in (
        "train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")},
    "cifar-10-python.tar.gz": (TORONTO + "cifar-10-python.tar.gz",
                               "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
    "cifar-100-python.tar.gz": (TORONTO + "cifar-100-python.tar.gz",
                                "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"),
    "imdb.npz": (KERAS_ORIGIN + "imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    "reuters.npz": (KERAS_ORIGIN + "reuters.npz", "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"),
}
# Globals needed to rebuild NumPy arrays from a pickle stream; anything else is refused.
ARRAY_GLOBALS = frozenset({("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                           ("numpy._core.multiarray", "_reconstruct")})
# Keras's conventions for the word-index sets: 0 pads, 1 starts a review, 2 stands for a rare word.
START, OUT_OF_VOCABULARY, INDEX_FROM = 1, 2, 3


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays, lists, dicts and numbers only: a crafted file cannot run code."""

    def find_class(self, module, name):
        if (module, name) in ARRAY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing `{module}.{name}`: only NumPy arrays may be rebuilt from this file")


def datasets_folder() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"


def fetch(file: str) -> Path:
    """The verified local copy of `file`, downloaded from its origin if absent."""
    origin, expected = FILES[file]
    path = datasets_folder() / file
    if not path.exists():
        try:
            keras.utils.get_file(fname=Path(file).name, origin=origin, file_hash=expected,
                                 cache_dir=str(datasets_folder().parent),
                                 cache_subdir=str(Path("datasets") / Path(file).parent))
        except Exception as error:  # noqa: BLE001 - urllib and Keras raise several types for a failed download
            check = f" (sha256 {expected})" if expected else ""
            raise DataError(
                f"Cannot download {origin}: {type(error).__name__}: {error}. Without a network, download it on "
                f"another machine{check} and place it at {path} (set KERAS_HOME to use another folder than "
                "~/.keras)."
            ) from None
    if expected and sha256_of(path) != expected:
        raise DataError(
            f"{path} does not match the sha256 Keras publishes for it ({expected}); it is damaged or another "
            f"file. Delete it and download {origin} again."
        )
    return path


def parse_mnist(path: Path) -> tuple[tuple, tuple]:
    with np.load(path, allow_pickle=False) as archive:
        return (archive["x_train"], archive["y_train"]), (archive["x_test"], archive["y_test"])


def parse_idx(images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    """The IDX format of MNIST-style files: a 16-byte header before images, 8 bytes before labels."""
    with gzip.open(labels, "rb") as handle:
        targets = np.frombuffer(handle.read(), np.uint8, offset=8)
    with gzip.open(images, "rb") as handle:
        pixels = np.frombuffer(handle.read(), np.uint8, offset=16)
    if pixels.size != len(targets) * 28 * 28:
        raise DataError(f"{images} holds {pixels.size} pixels, not 28x28 for each of {len(targets)} labels.")
    return pixels.reshape(len(targets), 28, 28), targets


def parse_fashion(folder: Path) -> tuple[tuple, tuple]:
    return (parse_idx(folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz"),
            parse_idx(folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz"))


def _cifar_batch(archive: tarfile.TarFile, member: str, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    handle = archive.extractfile(member)
    if handle is None:
        raise DataError(f"The CIFAR archive has no file {member!r}.")
    try:
        loaded = ArrayUnpickler(handle, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError) as error:
        raise DataError(f"Cannot read {member!r} from the CIFAR archive: {error}. Delete the file and fetch it "
                        "again.") from None
    batch = {key.decode() if isinstance(key, bytes) else key: value for key, value in loaded.items()}
    pixels = np.asarray(batch["data"], dtype="uint8").reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return pixels, np.asarray(batch[label_key], dtype="int64")


def parse_cifar(path: Path, folder: str, train: list[str], test: str, label_key: str) -> tuple[tuple, tuple]:
    """CIFAR's python archive: pickled dicts of `data` (N x 3072 bytes, channels first) and labels."""
    with tarfile.open(path, "r:gz") as archive:
        parts = [_cifar_batch(archive, f"{folder}/{name}", label_key) for name in train]
        held_out = _cifar_batch(archive, f"{folder}/{test}", label_key)
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])), held_out


def load_ragged_npz(path: Path) -> dict[str, np.ndarray]:
    """An .npz whose members may be object arrays of lists, read with the array-only unpickler."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            with archive.open(member) as raw:
                stream = io.BytesIO(raw.read())
            try:
                arrays[member.removesuffix(".npy")] = np.lib.format.read_array(stream, allow_pickle=False)
            except ValueError:
                stream.seek(0)
                major, _ = np.lib.format.read_magic(stream)
                reader = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
                reader(stream)
                try:
                    arrays[member.removesuffix(".npy")] = ArrayUnpickler(stream).load()
                except (pickle.UnpicklingError, EOFError) as error:
                    raise DataError(f"Cannot read {member!r} from {path}: {error}. Delete the file and fetch "
                                    "it again.") from None
    return arrays


def word_sequences(sequences, num_words: int, maxlen: int) -> np.ndarray:
    """Word indices shifted by Keras's convention, rare words as 2, padded or cut to `maxlen` at the front."""
    shifted = [[START] + [word + INDEX_FROM if word + INDEX_FROM < num_words else OUT_OF_VOCABULARY
                          for word in sequence] for sequence in sequences]
    return keras.utils.pad_sequences(shifted, maxlen=maxlen, padding="pre", truncating="pre").astype("int32")


def _images(parsed: tuple[tuple, tuple], names: list[str], description: str) -> Dataset:
    (x_train, y_train), (x_test, y_test) = parsed
    if x_train.ndim == 3:  # greyscale: give each image its one channel
        x_train, x_test = x_train[..., None], x_test[..., None]
    return Dataset(features=x_train.astype("float32"), targets=np.asarray(y_train, "int64").reshape(-1),
                   task=CLASSIFICATION, class_names=names, description=description,
                   test=(x_test.astype("float32"), np.asarray(y_test, "int64").reshape(-1)))


def _check_words(num_words: int, maxlen: int) -> None:
    for name, value in (("num_words", num_words), ("maxlen", maxlen)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 4:
            raise DataError(f"`data.args.{name}` must be a whole number >= 4. Received: {value!r}")


@register_source("mnist", needs="download")
def mnist() -> Dataset:
    """MNIST handwritten digits (keras.datasets): 60,000 + 10,000 28x28x1 images, pixels 0-255."""
    return _images(parse_mnist(fetch("mnist.npz")), [str(digit) for digit in range(10)], "MNIST")


FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


@register_source("fashion_mnist", needs="download")
def fashion_mnist() -> Dataset:
    """Fashion-MNIST (keras.datasets): 60,000 + 10,000 28x28x1 clothing images, 10 classes."""
    for file in FILES:
        if file.startswith("fashion-mnist/"):
            fetch(file)
    return _images(parse_fashion(datasets_folder() / "fashion-mnist"), FASHION, "Fashion-MNIST")


@register_source("cifar10", needs="download")
def cifar10() -> Dataset:
    """CIFAR-10 (keras.datasets): 50,000 + 10,000 32x32x3 colour images, 10 classes."""
    parsed = parse_cifar(fetch("cifar-10-python.tar.gz"), "cifar-10-batches-py",
                         [f"data_batch_{index}" for index in range(1, 6)], "test_batch", "labels")
    return _images(parsed, [str(label) for label in range(10)], "CIFAR-10")


@register_source("cifar100", needs="download")
def cifar100(label_mode: str = "fine") -> Dataset:
    """CIFAR-100 (keras.datasets): 50,000 + 10,000 32x32x3 images; 100 fine or 20 coarse classes."""
    if label_mode not in ("fine", "coarse"):
        raise DataError(f"`data.args.label_mode` must be 'fine' or 'coarse'. Received: {label_mode!r}")
    parsed = parse_cifar(fetch("cifar-100-python.tar.gz"), "cifar-100-python", ["train"], "test",
                         f"{label_mode}_labels")
    return _images(parsed, [str(label) for label in range(100 if label_mode == "fine" else 20)], "CIFAR-100")


def parse_imdb(path: Path, num_words: int, maxlen: int) -> tuple[tuple, tuple]:
    arrays = load_ragged_npz(path)
    return ((word_sequences(arrays["x_train"], num_words, maxlen), np.asarray(arrays["y_train"], "int64")),
            (word_sequences(arrays["x_test"], num_words, maxlen), np.asarray(arrays["y_test"], "int64")))


@register_source("imdb", needs="download")
def imdb(num_words: int = 10000, maxlen: int = 200) -> Dataset:
    """IMDB reviews (keras.datasets): 25,000 + 25,000 word-index sequences, positive or negative."""
    _check_words(num_words, maxlen)
    (x_train, y_train), test = parse_imdb(fetch("imdb.npz"), num_words, maxlen)
    return Dataset(features=x_train, targets=y_train, task=CLASSIFICATION, class_names=["negative", "positive"],
                   test=test, description=f"IMDB reviews, {num_words} words, {maxlen} long")


def parse_reuters(path: Path, num_words: int, maxlen: int) -> tuple[np.ndarray, np.ndarray]:
    arrays = load_ragged_npz(path)
    return word_sequences(arrays["x"], num_words, maxlen), np.asarray(arrays["y"], "int64")


@register_source("reuters", needs="download")
def reuters(num_words: int = 10000, maxlen: int = 200) -> Dataset:
    """Reuters newswires (keras.datasets): 11,228 word-index sequences, 46 topics.

    The file has no test split of its own, so the recipe's split applies.
    """
    _check_words(num_words, maxlen)
    features, targets = parse_reuters(fetch("reuters.npz"), num_words, maxlen)
    return Dataset(features=features, targets=targets, task=CLASSIFICATION,
                   class_names=[str(topic) for topic in range(int(targets.max()) + 1)],
                   description=f"Reuters newswires, {num_words} words, {maxlen} long")


def _tfds_module():
    try:
        import tensorflow_datasets
    except ImportError:
        raise DataError("The `tfds` source needs TensorFlow Datasets: pip install tensorflow-datasets "
                        "(or .venv/bin/pip install tensorflow-datasets).") from None
    return tensorflow_datasets


def tfds_arrays(builder, split: str) -> tuple[np.ndarray, np.ndarray]:
    tfds = _tfds_module()
    features, targets = tfds.as_numpy(builder.as_dataset(split=split, as_supervised=True, batch_size=-1))
    return np.asarray(features), np.asarray(targets)


@register_source("tfds", needs="download")
def tfds(name: str = "", data_dir: str | None = None, train_split: str = "train",
         test_split: str | None = "test") -> Dataset:
    """A TensorFlow Datasets set with (features, label) pairs, e.g. name="mnist". Needs tensorflow-datasets.

    `data_dir` is where TFDS keeps prepared sets (default ~/tensorflow_datasets). A set that is
    not prepared there is downloaded and prepared; without a network the error says what to copy.
    """
    module = _tfds_module()
    try:
        builder = module.builder(name, data_dir=data_dir)
    except Exception as error:  # noqa: BLE001 - TFDS raises its own error types for unknown names
        raise DataError(f"TensorFlow Datasets has no set {name!r}: {error}") from None
    if not Path(builder.data_dir).joinpath("dataset_info.json").exists():
        try:
            builder.download_and_prepare()
        except Exception as error:  # noqa: BLE001 - download failures come in many types
            raise DataError(
                f"Cannot download and prepare the TFDS set {name!r} ({type(error).__name__}: {error}). Without a "
                f"network, run `tfds build {name}` on another machine and copy its folder to {builder.data_dir}."
            ) from None
    label = builder.info.features["label"] if "label" in builder.info.features else None
    names = list(getattr(label, "names", []) or [])
    features, targets = tfds_arrays(builder, train_split)
    test = tfds_arrays(builder, test_split) if test_split and test_split in builder.info.splits else None
    if not names:
        names = [str(value) for value in range(int(targets.max()) + 1)]
    floats = features.astype("float32") if features.dtype.kind in "iuf" else features
    if test is not None and test[0].dtype.kind in "iuf":
        test = (test[0].astype("float32"), test[1])
    return Dataset(features=floats, targets=targets.astype("int64"), task=CLASSIFICATION, class_names=names,
                   test=test, description=f"TFDS {name}")

