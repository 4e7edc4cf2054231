"""Corpora and datasets fetched only when asked: enwik8 and MNIST, checked against published checksums.

``download("enwik8")`` fetches Mahoney's enwik8 (the first 10**8 bytes of an English Wikipedia
dump, the benchmark of the Large Text Compression Benchmark and of the Hutter Prize) once, checks
its size and SHA-1 against the published ones, and caches it (``$SCALINGZIP_CACHE``, else
``~/.cache/scalingzip``). ``download("mnist")`` fetches MNIST's four original files (the PyTorch
project's mirror) and checks their MD5 against the published ones. Nothing else in the course
touches the network.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["cache_dir", "download", "Download", "DOWNLOADS", "MNIST_FILES", "MNIST_URL", "verify"]


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


def verify(data: bytes, name: str, spec: Download) -> bytes:
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
        verify(target.read_bytes(), name, spec)
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
    verify(data, name, spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, target)
    return target
