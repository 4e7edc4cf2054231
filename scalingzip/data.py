"""Offline corpora: the real text the course compresses and models.

Everything here ships with Python itself, so nothing is downloaded:

* ``"python-docs"``: the Python language reference topics that CPython ships as
  :mod:`pydoc_data.topics` (English technical prose, about 466 KB), joined in sorted
  topic order with a blank line between topics.

The text differs slightly between CPython releases (the documentation is edited), so a
result quoted from it should be quoted with the Python version; :func:`corpus_info` gives it.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass

__all__ = ["CORPORA", "CorpusInfo", "Splits", "corpus_info", "load_text", "split_bytes"]

CORPORA = ("python-docs",)


def _python_docs() -> bytes:
    from pydoc_data import topics

    table = topics.topics
    return "\n\n".join(table[key] for key in sorted(table)).encode("utf-8")


def load_text(name: str) -> bytes:
    """Return the UTF-8 bytes of a named offline corpus.

    Args:
        name: one of :data:`CORPORA`.

    Returns:
        The corpus as ``bytes`` (the unit of every code length in the course is the byte).

    Raises:
        ValueError: if ``name`` is not a known corpus.
    """
    if name == "python-docs":
        return _python_docs()
    raise ValueError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}")


@dataclass(frozen=True, kw_only=True)
class CorpusInfo:
    """Where a corpus came from, to quote next to any number measured on it."""

    name: str
    n_bytes: int  # length in bytes
    sha256: str  # hex digest of the bytes
    python_version: str  # the interpreter whose standard library supplied the text


def corpus_info(name: str) -> CorpusInfo:
    """Describe a corpus: its size, checksum and the Python version it came from."""
    data = load_text(name)
    return CorpusInfo(
        name=name,
        n_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        python_version=platform.python_version(),
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
