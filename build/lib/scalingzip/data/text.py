"""Offline text corpora: the real text the course compresses and models, and its splits.

* ``"python-docs"``: the Python language reference topics that CPython ships as
  :mod:`pydoc_data.topics` (English technical prose, 466,273 bytes), joined in sorted
  topic order with a blank line between topics. The package carries a snapshot taken from
  CPython 3.11.7 (``scalingzip/data/corpora/python-docs.txt.xz``, with the PSF licence beside it), so
  the text, its splits and every number measured on it are the same under every Python; its
  SHA-256 is checked on every load.
* ``"cpython-docs"``: the reStructuredText sources of CPython 3.11's documentation, 497
  documents and 11 MB, with fixed splits by document (:func:`document_splits`); see
  :mod:`scalingzip.data.cpython_docs`.
* ``"python-code"``: the source of a fixed list of standard-library modules
  (:data:`PYTHON_CODE_MODULES`, about 680 KB of Python), joined in that order. It is read from
  the running interpreter's standard library, whose modules are edited between CPython releases,
  so a result measured on it should be quoted with the Python version; :func:`corpus_info` gives
  it, with the size and a checksum.
* a corpus of :mod:`scalingzip.data.downloads`, once downloaded (``load_text("enwik8")``);
  without the cached file it says how to get it instead of downloading.
* any file, by its path: ``load_text("notes.txt")`` reads its bytes.
"""

from __future__ import annotations

import hashlib
import lzma
import os
import platform
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from scalingzip.data import cpython_docs
from scalingzip.data.downloads import DOWNLOADS, cache_dir, verify

__all__ = ["CORPORA", "corpus_info", "CorpusInfo", "document_splits", "load_text", "PYTHON_CODE_MODULES", "python_docs_from_stdlib", "PYTHON_DOCS_SHA256", "PYTHON_DOCS_SNAPSHOT_VERSION", "split_bytes", "Splits"]


CORPORA = ("python-docs", "python-code", "cpython-docs")


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
    if name == "cpython-docs":
        return b"".join(d.text for d in cpython_docs.load_documents())
    if isinstance(name, str) and name in DOWNLOADS:
        cached = cache_dir() / name
        if not cached.is_file():
            raise FileNotFoundError(f"{name!r} needs a download ({DOWNLOADS[name].url}), which the course never does "
                                    f"by itself: run scalingzip.data.download({name!r}) once; it is then read from "
                                    f"{cached}")
        return verify(cached.read_bytes(), name, DOWNLOADS[name])
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
    python_version: str  # the CPython release whose standard library or documentation supplied the text
    documents: int | None = None  # for a corpus of documents (cpython-docs), how many
    licence: str = ""  # under what terms the text ships, and where the licence is


_PSF = "PSF License Agreement (scalingzip/data/corpora/LICENSE-Python.txt)"


def corpus_info(name: str) -> CorpusInfo:
    """Describe a corpus: its size, checksum, documents, licence and the Python version it came from."""
    data = load_text(name)
    documents = len(cpython_docs.load_documents()) if name == "cpython-docs" else None
    version = {"python-docs": PYTHON_DOCS_SNAPSHOT_VERSION, "cpython-docs": cpython_docs.PYTHON_VERSION}
    return CorpusInfo(
        name=name,
        n_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        python_version=version.get(name, platform.python_version()),
        documents=documents,
        licence=_PSF if name in CORPORA else "",
    )


def document_splits(name: str = "cpython-docs") -> Splits:
    """The fixed train / validation / test splits of a corpus of documents, each split its
    documents joined in manifest order (no document is cut or shared between splits)."""
    if name != "cpython-docs":
        raise ValueError(f"{name!r} is not split by document; only 'cpython-docs' is (split_bytes cuts any text)")
    docs = cpython_docs.load_documents()
    return Splits(**{s: b"".join(d.text for d in docs if d.split == s) for s in cpython_docs.SPLITS})


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
