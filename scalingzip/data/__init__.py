"""Offline corpora: the real text the course compresses and models.

Everything here ships with Python itself, so nothing is downloaded:

* ``"python-docs"``: the Python language reference topics that CPython ships as
  :mod:`pydoc_data.topics` (English technical prose, 466,273 bytes), joined in sorted
  topic order with a blank line between topics. The package carries a snapshot taken from
  CPython 3.11.7 (``scalingzip/data/corpora/python-docs.txt.xz``, with the PSF licence beside it), so
  the text, its splits and every number measured on it are the same under every Python; its
  SHA-256 is checked on every load.
* ``"python-code"``: the source of a fixed list of standard-library modules
  (:data:`PYTHON_CODE_MODULES`, about 680 KB of Python), joined in that order.
* any file, by its path: ``load_text("notes.txt")`` reads its bytes.

Image data, also offline (for the vision chapter; scikit-learn and mnist1d must be installed,
as ``requirements.txt`` does):

* :func:`load_digits`: scikit-learn's 1,797 real 8x8 handwritten digits (UCI), 17 grey levels.
* :func:`load_sample_images`: scikit-learn's two 427x640 colour photographs.
* :func:`load_mnist1d`: MNIST-1D (Greydanus 2020), generated here by ``mnist1d``'s
  ``make_dataset`` from its seed; its download path is never used.
* :func:`load_mnist`: MNIST (LeCun et al. 1998), only after an explicit ``download("mnist")``,
  which fetches the four original files (the PyTorch project's mirror) and checks their MD5
  against the published ones.

Corpora that need a download are opt-in: ``download("enwik8")`` fetches Mahoney's enwik8 (the
first 10**8 bytes of an English Wikipedia dump, the benchmark of the Large Text Compression
Benchmark and of the Hutter Prize) once, checks its size and SHA-1 against the published ones,
and caches it (``$SCALINGZIP_CACHE``, else ``~/.cache/scalingzip``); afterwards
``load_text("enwik8")`` reads the cache and never touches the network. Without the cached
file, ``load_text("enwik8")`` says how to get it instead of downloading.

``"python-code"`` is read from the running interpreter's standard library, whose modules are
edited between CPython releases, so a result measured on it should be quoted with the Python
version; :func:`corpus_info` gives it, with the size and a checksum.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import lzma
import os
import platform
import sysconfig
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "CORPORA",
    "DOWNLOADS",
    "Download",
    "PYTHON_CODE_MODULES",
    "PYTHON_DOCS_SHA256",
    "PYTHON_DOCS_SNAPSHOT_VERSION",
    "CorpusInfo",
    "LabelledData",
    "MNIST_FILES",
    "MNIST_URL",
    "Splits",
    "cache_dir",
    "corpus_info",
    "download",
    "load_digits",
    "load_mnist",
    "load_mnist1d",
    "load_sample_images",
    "load_text",
    "python_docs_from_stdlib",
    "split_bytes",
]

CORPORA = ("python-docs", "python-code")


@dataclass(frozen=True, kw_only=True)
class Download:
    """A corpus fetched only on request: where from, and the checks the file must pass."""

    url: str  # a zip archive
    member: str  # the file inside it
    n_bytes: int  # size of the member
    sha1: str  # SHA-1 of the member, as published by its author
    source: str  # where the size and checksum are published


DOWNLOADS: dict[str, Download] = {
    "enwik8": Download(
        url="http://mattmahoney.net/dc/enwik8.zip",
        member="enwik8",
        n_bytes=100_000_000,
        sha1="57b8363b814821dc9d47aa4d41f58733519076b2",
        source="the readme of http://mattmahoney.net/dc/textdata.html (Mahoney, Large Text Compression Benchmark)",
    ),
}


def cache_dir() -> Path:
    """Where downloaded corpora live: ``$SCALINGZIP_CACHE``, else ``~/.cache/scalingzip``."""
    return Path(os.environ.get("SCALINGZIP_CACHE") or Path.home() / ".cache" / "scalingzip")


def _verified(data: bytes, name: str, spec: Download) -> bytes:
    if len(data) != spec.n_bytes or hashlib.sha1(data).hexdigest() != spec.sha1:
        raise ValueError(f"{name}: the file has {len(data):,} bytes and SHA-1 {hashlib.sha1(data).hexdigest()}; "
                         f"expected {spec.n_bytes:,} bytes and {spec.sha1} ({spec.source}). Delete it and download again.")
    return data


# MNIST: the four gzip files, from the mirror torchvision uses, with the MD5s it publishes for them
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def _download_mnist(timeout: float) -> Path:
    folder = cache_dir() / "mnist"
    for name, md5 in MNIST_FILES.items():
        target = folder / name
        if target.is_file() and hashlib.md5(target.read_bytes()).hexdigest() == md5:
            continue
        url = MNIST_URL + name
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                data = response.read()
        except (urllib.error.URLError, OSError) as err:
            raise ConnectionError(f"could not download {url} ({err}); are you offline? You can fetch the four "
                                  f"files of {MNIST_URL} by hand and put them in {folder}") from None
        if hashlib.md5(data).hexdigest() != md5:
            raise ValueError(f"{url}: MD5 {hashlib.md5(data).hexdigest()}, expected {md5} (the published one); "
                             "not saved")
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    return folder


def download(name: str, *, timeout: float = 60.0) -> Path:
    """Fetch a corpus of :data:`DOWNLOADS` into :func:`cache_dir`, verify it, return its path.

    Does nothing but verify when the file is already cached. ``"mnist"`` fetches MNIST's four
    files into ``cache_dir() / "mnist"`` (MD5-checked) and returns that folder.

    Raises:
        ValueError: for an unknown name, or a file whose size or SHA-1 is not the published one.
        ConnectionError: when the download fails (e.g. no network), with the URL to fetch by hand.
    """
    if name == "mnist":
        return _download_mnist(timeout)
    spec = DOWNLOADS.get(name)
    if spec is None:
        raise ValueError(f"no download named {name!r}; choose one of {', '.join([*DOWNLOADS, 'mnist'])}")
    target = cache_dir() / name
    if target.is_file():
        _verified(target.read_bytes(), name, spec)
        return target
    try:
        with urllib.request.urlopen(spec.url, timeout=timeout) as response:
            archive = response.read()
    except (urllib.error.URLError, OSError) as err:
        raise ConnectionError(f"could not download {spec.url} ({err}); are you offline? You can fetch it by hand, "
                              f"unzip it and put {spec.member!r} at {target}") from None
    try:
        data = zipfile.ZipFile(io.BytesIO(archive)).read(spec.member)
    except (zipfile.BadZipFile, KeyError) as err:
        raise ValueError(f"{spec.url} did not hold a zip archive with {spec.member!r} ({err})") from None
    _verified(data, name, spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, target)
    return target

# Standard-library modules of "python-code", paths relative to the standard library, in order.
PYTHON_CODE_MODULES = (
    "argparse.py",
    "collections/__init__.py",
    "dataclasses.py",
    "difflib.py",
    "enum.py",
    "fractions.py",
    "functools.py",
    "heapq.py",
    "inspect.py",
    "json/decoder.py",
    "json/encoder.py",
    "statistics.py",
    "textwrap.py",
)


# The python-docs snapshot: the CPython release it was taken from and the SHA-256 of its bytes.
PYTHON_DOCS_SNAPSHOT_VERSION = "3.11.7"
PYTHON_DOCS_SHA256 = "71f2ff5d99bdc1f9c48c5c2353ad138201c5ca1c377e0226857ef8fa89b8bcee"
_SNAPSHOT = Path(__file__).parent / "corpora" / "python-docs.txt.xz"


def python_docs_from_stdlib() -> bytes:
    """The ``python-docs`` text as the running interpreter's :mod:`pydoc_data` gives it.

    Equal to ``load_text("python-docs")`` under CPython 3.11.7 only; other releases edit the
    documentation. This is how the shipped snapshot was made.
    """
    from pydoc_data import topics

    table = topics.topics
    return "\n\n".join(table[key] for key in sorted(table)).encode("utf-8")


def _python_docs() -> bytes:
    try:
        data = lzma.decompress(_SNAPSHOT.read_bytes())
    except (OSError, lzma.LZMAError) as err:
        raise ValueError(f"the python-docs snapshot {_SNAPSHOT} is missing or damaged ({err}); reinstall scalingzip") from None
    if hashlib.sha256(data).hexdigest() != PYTHON_DOCS_SHA256:
        raise ValueError(f"the python-docs snapshot {_SNAPSHOT} does not have the expected SHA-256; reinstall scalingzip")
    return data


def _python_code() -> bytes:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts = []
    for module in PYTHON_CODE_MODULES:
        path = stdlib / module
        if not path.is_file():  # a Python without its standard library's sources
            raise ValueError(f"corpus 'python-code' needs {path}, which this Python does not have")
        parts.append(path.read_bytes())
    return b"\n".join(parts)


def load_text(name: str | os.PathLike) -> bytes:
    """Return the bytes of a named offline corpus, or of a file.

    Args:
        name: one of :data:`CORPORA`, a key of :data:`DOWNLOADS` (after :func:`download`), or
            the path of a file (a ``str`` naming an existing file, or any :class:`os.PathLike`).

    Returns:
        The corpus as ``bytes`` (the unit of every code length in the course is the byte).

    Raises:
        ValueError: if ``name`` is neither a known corpus nor an existing file, or a cached
            download fails its checksum.
        FileNotFoundError: for a corpus of :data:`DOWNLOADS` not downloaded yet.
    """
    if name == "python-docs":
        return _python_docs()
    if name == "python-code":
        return _python_code()
    if isinstance(name, str) and name in DOWNLOADS:
        cached = cache_dir() / name
        if not cached.is_file():
            raise FileNotFoundError(f"{name!r} needs a download ({DOWNLOADS[name].url}), which the course never does "
                                    f"by itself: run scalingzip.data.download({name!r}) once; it is then read from "
                                    f"{cached}")
        return _verified(cached.read_bytes(), name, DOWNLOADS[name])
    path = Path(name)
    if path.is_file():
        return path.read_bytes()
    if isinstance(name, os.PathLike) or os.sep in str(name):
        raise ValueError(f"no such file: {str(name)!r}")
    raise ValueError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}, or give a file's path")


@dataclass(frozen=True, kw_only=True)
class CorpusInfo:
    """Where a corpus came from, to quote next to any number measured on it."""

    name: str
    n_bytes: int  # length in bytes
    sha256: str  # hex digest of the bytes
    python_version: str  # the CPython release whose standard library supplied the text


def corpus_info(name: str) -> CorpusInfo:
    """Describe a corpus: its size, checksum and the Python version it came from."""
    data = load_text(name)
    return CorpusInfo(
        name=name,
        n_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        python_version=PYTHON_DOCS_SNAPSHOT_VERSION if name == "python-docs" else platform.python_version(),
    )


@dataclass(frozen=True, kw_only=True)
class Splits:
    """Contiguous train / validation / test parts of one byte string."""

    train: bytes
    val: bytes
    test: bytes


def split_bytes(data: bytes, *, val_fraction: float = 0.1, test_fraction: float = 0.1) -> Splits:
    """Cut bytes into contiguous train, validation and test parts, in that order.

    Contiguous parts (rather than randomly drawn windows) keep the held-out text genuinely
    unseen: with ``python-docs`` the test part is the last topics in sorted order, which the
    model never reads. The split is deterministic; there is no seed.

    Args:
        data: the bytes to split.
        val_fraction: fraction of the bytes for validation, in [0, 1).
        test_fraction: fraction for the test part; ``val_fraction + test_fraction < 1``.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes; got {type(data).__name__}")
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0 <= value < 1:
            raise ValueError(f"{name} must be in [0, 1); got {value}")
    if val_fraction + test_fraction >= 1:
        raise ValueError("val_fraction + test_fraction must be < 1 to leave bytes for training")
    n = len(data)
    n_test = round(n * test_fraction)
    n_val = round(n * val_fraction)
    n_train = n - n_val - n_test
    data = bytes(data)
    return Splits(train=data[:n_train], val=data[n_train : n_train + n_val], test=data[n_train + n_val :])


# --- image data ------------------------------------------------------------------------------


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

    folder = cache_dir() / "mnist"
    arrays = {}
    for name, md5 in MNIST_FILES.items():
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
