"""The ``cpython-docs`` corpus: 11 MB of English technical prose, split into documents and by document.

The reStructuredText sources of CPython 3.11's documentation (the tutorial, the library and
language references, the HOWTOs, the FAQs, What's New), as Debian's ``python3.11-doc`` package
ships them under ``/usr/share/doc/python3.11/html/_sources/``: 497 documents, 11,046,319 bytes (460 train, 23 val, 14 test; 10,159,820 bytes to train on).
They are Python's documentation, under the PSF licence (``corpora/LICENSE-Python.txt``; the
corpus's own ``license.rst.txt`` says so too).

What ships (``scalingzip/data/corpora/``):

* ``cpython-docs.txt.xz`` - the documents joined in the manifest's order, nothing between them,
  compressed with xz;
* ``cpython-docs.manifest.tsv`` - one line per document: its path under ``_sources/``, its split,
  its length in bytes and its SHA-256.

Both are checked on every load against :data:`TEXT_SHA256` and :data:`MANIFEST_SHA256`; a file
that is missing, truncated or altered is refused with the expected checksum and how to restore it,
never partly used. Nothing is downloaded.

The splits are fixed **by document**, so no document straddles two splits: a document goes to
``test`` when the first 32 bits of the SHA-256 of its path, read as a fraction of 2**32, fall
below 0.05, to ``val`` below 0.10, else to ``train``. Which documents those are is written in the
manifest, so the splits never move.

Overlap with ``"python-docs"``: that older corpus is :mod:`pydoc_data`'s topics, text that CPython
renders from its language reference and a few library pages, whose sources are documents of this
corpus. Rendering drops the markup and rewraps lines, so few of the old corpus's lines of 40
characters or more are also whole lines here (391 of 5,957), and all of those are in this corpus's
training split (``tests/test_cpython_docs.py`` measures both). A model trained on the old
corpus has still read, in another form, much of what this corpus's training split says about the
language; its held-out documents are the library, C-API and What's New pages the hash picked.

Rebuild the snapshot (it is reproducible: the same sources give the same files, byte for byte)::

    apt-get install python3.11-doc   # Debian 12: 3.11.2-6+deb12u8
    python -m scalingzip.data.cpython_docs /usr/share/doc/python3.11/html/_sources scalingzip/data/corpora
"""

from __future__ import annotations

import hashlib
import lzma
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MANIFEST_SHA256", "SPLITS", "TEXT_SHA256", "Document", "build_snapshot", "load_documents",
           "split_of"]

FOLDER = Path(__file__).parent / "corpora"
TEXT_FILE = "cpython-docs.txt.xz"
MANIFEST_FILE = "cpython-docs.manifest.tsv"
PYTHON_VERSION = "3.11.2"  # the CPython release the documentation is of
SOURCE = "Debian 12's python3.11-doc 3.11.2-6+deb12u8, /usr/share/doc/python3.11/html/_sources/"
SPLITS = ("train", "val", "test")
TEST_FRACTION = 0.05  # of documents, in expectation (the rule is on each path's hash)
VAL_FRACTION = 0.05

# SHA-256 of the joined documents (decompressed) and of the manifest file, as shipped.
TEXT_SHA256 = "deb6b62f263c58c756f3d3948e89713228497fbdecc2f1f49335ccb03a21530b"
MANIFEST_SHA256 = "7903b0ca482ba03ff58d2eb3fb8ffd06e7c9607a98fb2d360adb73464569f654"

_RESTORE = (f"restore it with `git checkout -- scalingzip/data/corpora/` or rebuild it from {SOURCE} "
            "with `python -m scalingzip.data.cpython_docs SOURCES scalingzip/data/corpora`")


@dataclass(frozen=True)
class Document:
    """One document of the corpus."""

    path: str  # under _sources/, e.g. "library/zlib.rst.txt"
    split: str  # "train", "val" or "test"
    text: bytes


def split_of(path: str) -> str:
    """The split a document belongs to, from the SHA-256 of its path alone."""
    u = int.from_bytes(hashlib.sha256(path.encode("utf-8")).digest()[:4], "big") / 2**32
    return "test" if u < TEST_FRACTION else "val" if u < TEST_FRACTION + VAL_FRACTION else "train"


def build_snapshot(sources: str | Path, out: str | Path) -> tuple[str, str]:
    """Write ``cpython-docs.txt.xz`` and the manifest from a folder of ``*.txt`` sources.

    Documents are taken in sorted order of their relative paths (as POSIX strings); the xz stream
    uses preset 9 with the extreme flag and a CRC-64 check. Returns the SHA-256 of the joined text
    and of the manifest, the two constants this module pins.
    """
    sources, out = Path(sources), Path(out)
    paths = sorted((p for p in sources.rglob("*.txt") if p.is_file()), key=lambda p: p.relative_to(sources).as_posix())
    if not paths:
        raise FileNotFoundError(f"no *.txt document under {sources}")
    texts, lines = [], []
    for p in paths:
        rel = p.relative_to(sources).as_posix()
        if "\t" in rel or "\n" in rel:
            raise ValueError(f"a document's path holds a tab or a newline: {rel!r}")
        data = p.read_bytes()
        texts.append(data)
        lines.append(f"{rel}\t{split_of(rel)}\t{len(data)}\t{hashlib.sha256(data).hexdigest()}\n")
    joined = b"".join(texts)
    manifest = ("path\tsplit\tbytes\tsha256\n" + "".join(lines)).encode("utf-8")
    out.mkdir(parents=True, exist_ok=True)
    (out / TEXT_FILE).write_bytes(lzma.compress(joined, preset=9 | lzma.PRESET_EXTREME, check=lzma.CHECK_CRC64))
    (out / MANIFEST_FILE).write_bytes(manifest)
    return hashlib.sha256(joined).hexdigest(), hashlib.sha256(manifest).hexdigest()


def _read(path: Path, what: str) -> bytes:
    if not path.is_file():
        raise FileNotFoundError(f"the cpython-docs corpus's {what} is missing: {path}; {_RESTORE}")
    return path.read_bytes()


def _parse_manifest(raw: bytes) -> list[tuple[str, str, int, str]]:
    rows = []
    lines = raw.decode("utf-8").splitlines()
    if not lines or lines[0] != "path\tsplit\tbytes\tsha256":
        raise ValueError(f"{MANIFEST_FILE}: not a manifest of this corpus (bad header line)")
    for k, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != 4 or fields[1] not in SPLITS or not fields[2].isdigit():
            raise ValueError(f"{MANIFEST_FILE}, line {k}: expected path, split, bytes, sha256; got {line!r}")
        rows.append((fields[0], fields[1], int(fields[2]), fields[3]))
    return rows


def load_documents(folder: str | Path | None = None) -> list[Document]:
    """Every document of the corpus, in manifest order, checked against the pinned checksums.

    Raises:
        FileNotFoundError: a file of the snapshot is missing (the message says how to restore it).
        ValueError: a file is truncated or altered (the message names the expected checksum).
    """
    folder = FOLDER if folder is None else Path(folder)
    manifest = _read(folder / MANIFEST_FILE, "manifest")
    got = hashlib.sha256(manifest).hexdigest()
    if got != MANIFEST_SHA256:
        raise ValueError(f"{folder / MANIFEST_FILE} has SHA-256 {got}, expected {MANIFEST_SHA256}: "
                         f"it was altered; {_RESTORE}")
    compressed = _read(folder / TEXT_FILE, "text")
    try:
        joined = lzma.decompress(compressed)
    except lzma.LZMAError as err:
        raise ValueError(f"{folder / TEXT_FILE} is truncated or damaged ({err}); {_RESTORE}") from None
    got = hashlib.sha256(joined).hexdigest()
    if got != TEXT_SHA256:
        raise ValueError(f"{folder / TEXT_FILE} decompresses to text with SHA-256 {got}, expected {TEXT_SHA256}: "
                         f"it was altered; {_RESTORE}")
    rows = _parse_manifest(manifest)
    if sum(n for _, _, n, _ in rows) != len(joined):  # cannot happen with both checksums right
        raise ValueError(f"{MANIFEST_FILE} and {TEXT_FILE} disagree on the corpus's length; {_RESTORE}")
    docs, pos = [], 0
    for path, split, n, _ in rows:
        docs.append(Document(path=path, split=split, text=joined[pos:pos + n]))
        pos += n
    return docs


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m scalingzip.data.cpython_docs SOURCES_FOLDER OUTPUT_FOLDER")
    text_sha, manifest_sha = build_snapshot(sys.argv[1], sys.argv[2])
    print(f"TEXT_SHA256 = \"{text_sha}\"\nMANIFEST_SHA256 = \"{manifest_sha}\"")
