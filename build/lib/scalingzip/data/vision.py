"""Offline image data for the vision chapter (scikit-learn and mnist1d, as ``requirements.txt`` installs).

* :func:`load_digits`: scikit-learn's 1,797 real 8x8 handwritten digits (UCI), 17 grey levels.
* :func:`load_sample_images`: scikit-learn's two 427x640 colour photographs.
* :func:`load_mnist1d`: MNIST-1D (Greydanus 2020), generated here by ``mnist1d``'s
  ``make_dataset`` from its seed; its download path is never used.
* :func:`load_mnist`: MNIST (LeCun et al. 1998), only after an explicit ``download("mnist")``.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scalingzip.data import downloads

__all__ = ["LabelledData", "load_digits", "load_mnist", "load_mnist1d", "load_sample_images"]


@dataclass(frozen=True, kw_only=True)
class LabelledData:
    """Labelled examples, split into a training and a test part."""

    name: str
    x_train: np.ndarray  # (n_train, ...) examples
    y_train: np.ndarray  # (n_train,) int64 labels in [0, n_classes)
    x_test: np.ndarray  # (n_test, ...)
    y_test: np.ndarray  # (n_test,)
    n_classes: int


def _needs(module: str, package: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this loader needs the {package!r} package: pip install {package} "
                          "(requirements.txt installs it)") from None


def _split(name: str, x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int) -> LabelledData:
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1); got {test_fraction}")
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = round(len(y) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return LabelledData(name=name, x_train=x[train], y_train=y[train], x_test=x[test], y_test=y[test],
                        n_classes=int(y.max()) + 1)


def load_digits(*, test_fraction: float = 0.2, seed: int = 0) -> LabelledData:
    """scikit-learn's handwritten digits: 1,797 images of 8x8 pixels with 17 grey levels (0-16).

    Images are ``uint8`` arrays of shape ``(n, 8, 8)``; labels are the digits 0-9. The split is a
    seeded random permutation (``test_fraction`` of the images held out), the same for a seed.
    """
    datasets = _needs("sklearn.datasets", "scikit-learn")
    bunch = datasets.load_digits()
    images = bunch.images.astype(np.uint8)
    if not np.array_equal(images, bunch.images):  # the data are integers 0-16; check, don't truncate
        raise ValueError("scikit-learn's digits are not integer grey levels; the loader needs updating")
    return _split("digits", images, bunch.target.astype(np.int64), test_fraction, seed)


def load_sample_images() -> dict[str, np.ndarray]:
    """scikit-learn's two sample photographs, ``{"china": ..., "flower": ...}``, uint8 (427, 640, 3)."""
    datasets = _needs("sklearn.datasets", "scikit-learn")
    bunch = datasets.load_sample_images()
    return {Path(f).stem: np.asarray(img, dtype=np.uint8) for f, img in zip(bunch.filenames, bunch.images)}


def load_mnist1d(*, num_samples: int = 5000, seed: int = 42) -> LabelledData:
    """MNIST-1D, generated locally: ``num_samples`` signals of length 40 in 10 classes.

    Calls ``mnist1d.data.make_dataset`` with the package's default arguments (``seed=42`` and
    5,000 samples reproduce the published dataset's recipe) and its own 80/20 split; never its
    download path. ``make_dataset`` seeds Python's and NumPy's global generators; their state is
    restored afterwards, so loading the data does not change any other random numbers.
    """
    if not isinstance(num_samples, int) or num_samples < 10:
        raise ValueError(f"num_samples must be an integer >= 10 (one per class); got {num_samples!r}")
    mnist1d_data = _needs("mnist1d.data", "mnist1d")
    import random

    args = mnist1d_data.get_dataset_args(as_dict=True)
    args.update(num_samples=num_samples, seed=seed)
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        d = mnist1d_data.make_dataset(mnist1d_data.ObjectView(args))
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    return LabelledData(name="mnist1d", x_train=d["x"].astype(np.float32), y_train=d["y"].astype(np.int64),
                        x_test=d["x_test"].astype(np.float32), y_test=d["y_test"].astype(np.int64), n_classes=10)


def _read_idx(data: bytes, name: str, ndim: int) -> np.ndarray:
    """An IDX array of unsigned bytes (MNIST's format): magic 0x0000080N, N big-endian sizes, data."""
    if len(data) < 4 + 4 * ndim or data[:3] != b"\x00\x00\x08" or data[3] != ndim:
        raise ValueError(f"{name} is not an IDX file of {ndim}-D unsigned bytes")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = data[4 + 4 * ndim :]
    if len(body) != int(np.prod(shape)):
        raise ValueError(f"{name}: header says {shape}, i.e. {int(np.prod(shape))} bytes; the file has {len(body)}")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def load_mnist() -> LabelledData:
    """MNIST's 60,000 training and 10,000 test images (uint8, 28x28) from the cache; never downloads.

    Raises:
        FileNotFoundError: when ``download("mnist")`` has not been run; the message says so.
        ValueError: when a cached file is not the published one.
    """
    import gzip

    folder = downloads.cache_dir() / "mnist"
    arrays = {}
    for name, md5 in downloads.MNIST_FILES.items():
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(f"MNIST needs a download, which the course never does by itself: run "
                                    f"scalingzip.data.download('mnist') once; it is then read from {folder}")
        raw = path.read_bytes()
        if hashlib.md5(raw).hexdigest() != md5:
            raise ValueError(f"{path} does not have the published MD5; delete it and download again")
        arrays[name] = _read_idx(gzip.decompress(raw), name, 3 if "images" in name else 1)
    return LabelledData(name="mnist", x_train=arrays["train-images-idx3-ubyte.gz"],
                        y_train=arrays["train-labels-idx1-ubyte.gz"].astype(np.int64),
                        x_test=arrays["t10k-images-idx3-ubyte.gz"],
                        y_test=arrays["t10k-labels-idx1-ubyte.gz"].astype(np.int64), n_classes=10)
